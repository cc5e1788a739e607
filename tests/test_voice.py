"""Announcement phrases, voice config validation and the shipped clip set."""
import json
import random
import re
import unicodedata
from pathlib import Path

import pytest

from shared import voice
from shared.config import validate_voice_config
from shared.voice import (VOICE_DIR, announcement, clip_name,
                          clip_names, missing_clips, resolve_mode)

ROOT = Path(__file__).resolve().parents[1]

SHIPPED = VOICE_DIR / "default"
SHIPPED_CONFIGS = [{}, {"southern": True}, {"language": "en"}]


# --------------------------------------------------------------------------- config

def test_defaults():
    cfg = validate_voice_config(None)
    assert cfg == validate_voice_config({})
    assert {k: cfg[k] for k in ("mode", "language", "southern", "number_reading", "letters",
                                "clip_set")} == {
        "mode": "auto", "language": "vi", "southern": False, "number_reading": "whole",
        "letters": {}, "clip_set": "default"}
    assert cfg["templates"]["vi"]["call"] == "Mời số {number} đến {counter}"   # as halls say it
    assert set(cfg["templates"]) == {"vi", "en"}
    assert all(set(t) == {"call", "recall", "short", "short_recall"} for t in cfg["templates"].values())
    assert (cfg["max_lag_s"], cfg["repeat"], cfg["words"]) == (30, False, [])


def test_words_max_lag_and_repeat():
    cfg = validate_voice_config({"words": ["Phúc khảo", "phúc"], "max_lag_s": 20, "repeat": True})
    assert (cfg["words"], cfg["max_lag_s"], cfg["repeat"]) == (["khảo", "phúc"], 20, True)
    assert {"phucs", "khaor"} <= clip_names(cfg)


def test_validation_is_idempotent_and_keeps_partial_templates():
    raw = {"mode": "clips", "southern": True, "letters": {"a": " ưu  tiên "},
           "templates": {"vi": {"recall": "Mời lại số {number} đến {counter}"}}}
    cfg = validate_voice_config(raw)
    assert validate_voice_config(cfg) == cfg
    assert cfg["letters"] == {"A": "ưu tiên"}
    assert cfg["templates"]["vi"]["recall"] == "Mời lại số {number} đến {counter}"
    assert cfg["templates"]["vi"]["call"] == voice.DEFAULT_TEMPLATES["vi"]["call"]


@pytest.mark.parametrize("raw, key", [
    ("loud", "voice:"),
    ({"mode": "loud"}, "voice.mode:"),
    ({"language": "fr"}, "voice.language:"),
    ({"southern": "yes"}, "voice.southern:"),
    ({"number_reading": "roman"}, "voice.number_reading:"),
    ({"letters": ["A"]}, "voice.letters:"),
    ({"letters": {"AB": "a bê"}}, "voice.letters.AB:"),
    ({"letters": {"A": ""}}, "voice.letters.A:"),
    ({"templates": "x"}, "voice.templates:"),
    ({"templates": {"fr": {}}}, "voice.templates.fr:"),
    ({"templates": {"vi": "x"}}, "voice.templates.vi:"),
    ({"templates": {"vi": {"hello": "{number}"}}}, "voice.templates.vi.hello:"),
    ({"templates": {"vi": {"call": "Mời công dân đến quầy"}}}, "voice.templates.vi.call:"),
    ({"templates": {"vi": {"call": "Mời {number} {quay}"}}}, "voice.templates.vi.call:"),
    ({"templates": {"en": {"recall": "Number {number"}}}, "voice.templates.en.recall:"),
    ({"templates": {"en": {"call": ""}}}, "voice.templates.en.call:"),
    ({"clip_set": "../etc"}, "voice.clip_set:"),
    ({"clip_set": ""}, "voice.clip_set:"),
    ({"volume": 3}, "voice.volume:"),
    ({"words": "phúc khảo"}, "voice.words:"),
    ({"max_lag_s": 2}, "voice.max_lag_s:"),
    ({"max_lag_s": "30"}, "voice.max_lag_s:"),
    ({"repeat": "yes"}, "voice.repeat:"),
    ({"templates": {"vi": {"short": "Quầy {counter}"}}}, "voice.templates.vi.short:"),
])
def test_validation_errors_name_the_key(raw, key):
    with pytest.raises(ValueError) as err:
        validate_voice_config(raw)
    assert str(err.value).startswith(key), str(err.value)


def test_mode_error_lists_choices():
    with pytest.raises(ValueError, match=r"^voice\.mode: must be one of auto, clips, speech, chime"):
        validate_voice_config({"mode": "tts"})


# --------------------------------------------------------------------------- phrases

CALL_1023 = ["mowif_soos", "mootj", "nghinf", "khoong", "trawm", "hai", "muwowi", "ba", "ddeens",
             "quaayf", "soos", "nawm"]


def test_vietnamese_call_in_three_lengths():
    a = announcement("1023", "Quầy 5", False, {})
    assert a == {"text": "Mời số một nghìn không trăm hai mươi ba đến quầy số năm",
                 "lang": "vi-VN", "clips": CALL_1023,
                 "short": {"text": "một nghìn không trăm hai mươi ba, quầy năm",
                           "clips": CALL_1023[1:8] + ["quaayf", "nawm"]},
                 "quick": {"text": "một không hai ba, quầy năm",
                           "clips": ["mootj", "khoong", "hai", "ba", "quaayf", "nawm"]}}
    assert announcement("1023", "Quầy số 5", False, {})["clips"] == CALL_1023


def test_vietnamese_recall_is_said_as_a_recall():
    a = announcement("105", "Quầy 5", True, {})
    assert a["text"] == "Nhắc lại, mời số một trăm linh năm đến quầy số năm"
    assert a["clips"] == ["nhawcs_laij_mowif_soos", "mootj", "trawm", "linh", "nawm", "ddeens",
                          "quaayf", "soos", "nawm"]
    assert a["short"]["text"] == "Nhắc lại một trăm linh năm, quầy năm"
    assert a["quick"]["clips"] == ["nhawcs_laij", "mootj", "khoong", "nawm", "quaayf", "nawm"]



def test_a_config_is_prepared_once_not_validated_per_call(monkeypatch):
    """Each call's phrases come from a Voice made once per config (it was validated twice per call)."""
    voice._prepared.cache_clear()
    checked = []
    real = voice.validate_voice_config
    monkeypatch.setattr(voice, "validate_voice_config", lambda raw: checked.append(raw) or real(raw))
    cfg = {"southern": True}
    first = announcement("A001", "Quầy 3", False, cfg, 3)
    made = len(checked)
    assert all(announcement("A001", "Quầy 3", False, cfg, 3) == first for _ in range(5))
    assert len(checked) == made

def test_southern():
    a = announcement("1005", "Quầy 15", False, {"southern": True})
    assert a["text"].endswith("một ngàn không trăm lẻ năm đến quầy số mười lăm")
    assert a["clips"][1:] == ["mootj", "nganf", "khoong", "trawm", "ler", "nawm", "ddeens",
                              "quaayf", "soos", "muwowif", "lawm"]


@pytest.mark.parametrize("counter, spoken", [
    ("Quầy 5", "quầy số năm"), ("Quầy số 5", "quầy số năm"), ("quầy  số 05", "quầy số năm"),
    ("Quầy 12", "quầy số mười hai"), ("Quầy 21", "quầy số hai mươi mốt"), ("Quầy 14", "quầy số mười bốn"),
    ("Bàn 3B", "bàn số ba bê"), ("Quầy B", "quầy bê"), ("Quầy số 5 - Hộ tịch", "quầy số năm hộ tịch"),
    ("Quầy Hộ tịch 2", "quầy hộ tịch hai"), ("", ""),
])
def test_counter_names(counter, spoken):
    a = announcement("1", counter, False, {})
    assert a["text"] == f"Mời số một đến {spoken}".strip()
    assert a["clips"] is not None


def test_letter_prefix_and_digits_mode():
    a = announcement("A012", "Quầy 1", False, {})
    assert "số a mười hai đến" in a["text"]
    assert a["clips"][1:4] == ["a", "muwowif", "hai"]
    a = announcement("C0105", "Quầy 1", False, {"number_reading": "digits"})
    assert "số xê không một không năm đến" in a["text"]
    assert a["clips"][1:6] == ["xee", "khoong", "mootj", "khoong", "nawm"]
    a = announcement("L7", "Quầy 1", False, {})
    assert a["clips"][1:3] == ["e_lowf", "bayr"]


def test_custom_letters_get_clip_names():
    cfg = {"letters": {"A": "ưu tiên"}}
    a = announcement("A7", "Quầy 2", False, cfg)
    assert "số ưu tiên bảy" in a["text"]
    assert "uwu_tieen" in a["clips"] and "uwu_tieen" in clip_names(cfg)


def test_english():
    a = announcement("A012", "Quầy số 5", False, {"language": "en"})
    assert {k: a[k] for k in ("text", "lang", "clips")} == {
        "text": "Ticket number A twelve, please go to counter number five",
        "lang": "en-US",
        "clips": ["en-ticket_number", "en-a", "en-twelve", "en-please_go_to",
                  "en-counter", "en-number", "en-five"]}
    assert a["short"]["text"] == "A twelve, counter number five"
    assert a["quick"]["clips"] == ["en-a", "en-zero", "en-one", "en-two", "en-counter", "en-number", "en-five"]
    a = announcement("1023", "Desk 3", True, {"language": "en"})
    assert a["text"] == ("Once again, ticket number one thousand twenty three, "
                         "please go to desk three")
    a = announcement("0105", "Quầy 21", False, {"language": "en", "number_reading": "digits"})
    assert a["text"] == "Ticket number zero one zero five, please go to counter twenty one"


def test_field_words_in_counter_names_have_clips():
    a = announcement("105", "Quầy Hộ tịch", False, {}, counter_id=4)
    assert a["text"].endswith("đến quầy hộ tịch")
    assert a["clips"][-3:] == ["ddeens", "quaayf", "hooj", "tichj"][-3:]


def test_a_name_without_clips_is_read_as_the_counters_number():
    a = announcement("105", "Quầy Anh Tuấn", False, {}, counter_id=9)
    assert a["text"].endswith("đến quầy anh tuấn")          # the browser voice can say the name
    assert a["clips"][-4:] == ["ddeens", "quaayf", "soos", "chins"]
    assert a["short"]["clips"][-2:] == ["quaayf", "chins"]
    assert announcement("105", "Quầy Anh Tuấn", False, {})["clips"] is None   # id unknown: speech
    assert voice.uncovered_names(["Quầy 3", "Quầy Anh Tuấn", "Quầy Hộ tịch"], {}) == {
        "Quầy Anh Tuấn": ["anh", "tuấn"]}
    assert voice.uncovered_names(["Quầy Anh Tuấn"], {"words": ["anh tuấn"]}) == {}


@pytest.mark.parametrize("mode", ["speech", "chime"])
def test_speech_and_chime_modes_send_no_clips(mode):
    a = announcement("105", "Quầy 5", False, {"mode": mode})
    assert a["clips"] is None and a["short"]["clips"] is None and a["quick"]["clips"] is None
    assert a["text"] and a["short"]["text"]


def test_custom_template():
    cfg = {"templates": {"vi": {"call": "Số {number}, mời đến {counter}."}}}
    a = announcement("7", "Quầy 2", False, cfg)
    assert a["text"] == "Số bảy, mời đến quầy số hai."
    assert a["clips"] == ["soos", "bayr", "mowif_ddeens", "quaayf", "soos", "hai"]
    assert "mowif_ddeens" in clip_names(cfg)


def test_template_without_counter():
    cfg = {"templates": {"vi": {"call": "Mời số {number}"}}}
    assert announcement("7", "Quầy 2", False, cfg)["text"] == "Mời số bảy"


def test_bad_ticket_number_raises():
    with pytest.raises(ValueError):
        announcement("A@1", "Quầy 1", False, {})


def test_every_number_has_clips():
    rng = random.Random(7)
    for cfg in SHIPPED_CONFIGS:
        for n in [rng.randrange(10 ** rng.randint(1, 12)) for _ in range(300)]:
            a = announcement(str(n), "Quầy số 12", rng.random() < 0.5, cfg)
            assert a["clips"] is not None, (cfg, n)


# --------------------------------------------------------------------------- clip names

@pytest.mark.parametrize("text, name", [
    ("một", "mootj"), ("mốt", "moots"), ("mười", "muwowif"), ("mươi", "muwowi"),
    ("quầy", "quaayf"), ("đến", "ddeens"), ("nghìn", "nghinf"), ("ngàn", "nganf"),
    ("lẻ", "ler"), ("tỷ", "tyr"), ("triệu", "trieeuj"), ("lăm", "lawm"), ("tư", "tuw"),
    ("e lờ", "e_lowf"), ("Hoà", "hoaf"), ("hòa", "hoaf"),
    (unicodedata.normalize("NFD", "Quầy"), "quaayf"), ("  ,  ", ""),
])
def test_clip_name(text, name):
    assert clip_name(text) == name


def test_clip_names_are_ascii_and_distinct():
    for cfg in SHIPPED_CONFIGS:
        texts = voice.clip_texts(cfg)
        assert len(set(texts.values())) == len(texts)
        assert all(re.fullmatch(r"[a-z0-9_-]+", n) for n in texts), texts
    vi = voice.clip_texts({}) | voice.clip_texts({"southern": True})
    words = set(vi.values())
    assert len({clip_name(w) for w in words}) == len(words)


def test_clip_names_cover_vocabulary():
    north, south = clip_names({}), clip_names({"southern": True})
    assert {"nghinf", "linh"} <= north and not {"nganf", "ler"} & north
    assert {"nganf", "ler"} <= south and not {"nghinf", "linh"} & south
    assert {"quaayf", "soos", "banf", "bee", "xee", "ddee", CALL_1023[0]} <= north
    assert all(n.startswith("en-") for n in clip_names({"language": "en"}))


# --------------------------------------------------------------------------- shipped clip set

@pytest.mark.parametrize("cfg", SHIPPED_CONFIGS)
def test_shipped_set_is_complete(cfg):
    assert missing_clips(SHIPPED, cfg) == set()
    assert resolve_mode(cfg, SHIPPED) == "clips"
    assert resolve_mode(cfg) == "clips"  # the configured clip_set folder is the shipped one


def test_shipped_manifest_and_files():
    manifest = json.loads((SHIPPED / "manifest.json").read_text("utf-8"))
    assert set(manifest["clips"]) == set(manifest["text"]) == set(manifest["brisk"])
    needed = set().union(*(clip_names(c) for c in SHIPPED_CONFIGS))
    assert needed <= set(manifest["clips"])
    assert {"hooj", "tichj", "chuwngs", "thuwcj", "trar", "keets", "quar"} <= needed  # field names
    total = 0
    for file in list(manifest["clips"].values()) + list(manifest["brisk"].values()):
        path = SHIPPED / file
        assert path.read_bytes()[:4] == b"OggS", file
        total += path.stat().st_size
    assert all(manifest["brisk"][n] == f"brisk/{n}.ogg" for n in manifest["clips"])
    chime = VOICE_DIR / "chime.ogg"
    assert chime.read_bytes()[:4] == b"OggS"
    assert total + chime.stat().st_size < 2_500_000  # both speeds: small enough for any display to cache


def test_announcer_sample_matches_python():
    js = (ROOT / "display" / "static" / "announcer.js").read_text("utf-8")
    test_fn = js[js.index("test: function"):]
    clips = re.findall(r'"([a-z0-9_-]+)"', test_fn[test_fn.index("clips:"):test_fn.index("]")])
    text = re.search(r'text: "([^"]+)"', test_fn).group(1)
    expected = announcement("1023", "Quầy số 5", False, {})
    assert clips == expected["clips"] and text == expected["text"]


def test_missing_clips_and_resolve_mode(tmp_path):
    assert missing_clips(tmp_path, {}) == clip_names({})
    assert resolve_mode({}, tmp_path) == "speech"
    assert resolve_mode({"mode": "chime"}, tmp_path) == "chime"
    assert resolve_mode({"mode": "clips"}, tmp_path) == "clips"
