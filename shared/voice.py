"""The hall announcement: ``voice:`` config, phrase building and the clip set it plays.

The server builds one :func:`announcement` per call and sends it to the waiting-hall
displays, whose ``announcer.js`` plays it. Three ways to make it heard, best first:

* **clips**: short recorded words joined together (works offline, no browser voice needed);
* **speech**: the browser's own Web Speech voice reading ``text`` (needs a vi-VN voice);
* **chime**: only the chime; the screen still shows the number.

Clip names are ASCII file stems made from the spoken text with Telex, the typing scheme
every Vietnamese typist knows: vowel marks become doubled or added letters
(â->aa, ă->aw, ê->ee, ô->oo, ơ->ow, ư->uw, đ->dd) and the tone goes last as one letter
(sắc s, huyền f, hỏi r, ngã x, nặng j); words are joined by ``_``. So "một" is ``mootj``,
"mốt" ``moots``, "mười" ``muwowif``, "mươi" ``muwowi``, "quầy" ``quaayf``: distinct words
never share a file, and old/new tone placement (hoà/hòa) gives the same name. English
clips carry an ``en-`` prefix ("counter" -> ``en-counter``) so both languages can share a
folder. Pure Python (no Flask); building the clips (shared/voice_clips.py) needs espeak-ng, and sox
for Ogg output.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from .config import DEFAULT_TEMPLATES, PLACEHOLDER, Voice, spoken_words, validate_voice_config
from .vietnamese import (DEFAULT_LETTERS, DIGITS, NUMBER_WORDS, letter_name, number_to_words,
                         split_ticket_number)

SPEECH_LANG = {"vi": "vi-VN", "en": "en-US"}

#: Words supervisors commonly type in counter names; they get clips. In English the
#: Vietnamese word is translated so "Quầy 5" is read "counter five".
COUNTER_WORDS = {"vi": ("quầy", "số", "bàn"), "en": ("counter", "number", "desk")}
_EN_COUNTER_WORDS = {"quầy": "counter", "số": "number", "bàn": "desk"}
_COUNTER_NOUNS = {"quầy", "bàn"}

#: Words of the names halls give counters after their fields ("Quầy Hộ tịch", "Bàn Trả kết
#: quả", "Quầy Đất đai - Xây dựng"): the shipped Vietnamese clip set says each of them.
#: More words: the ``voice.words`` setting, then ``motcua voice build``.
NAME_WORDS = frozenset("""
hộ tịch chứng thực đất đai địa chính xây dựng đăng ký kinh doanh lao động thương binh và xã hội
chính sách bảo hiểm y tế thuế tư pháp cư trú trả kết quả tiếp nhận hồ sơ ưu tiên một cửa hướng
dẫn tổng hợp văn hóa giáo dục nội vụ tài chính kế hoạch đầu tư nguyên môi trường nông nghiệp công
thương giao thông vận tải an thông tin hỗ trợ dịch vụ doanh nghiệp người cao tuổi khuyết tật
""".split())

_EN_SMALL = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
             "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"))
EN_NUMBER_WORDS = frozenset(_EN_SMALL + list(_EN_TENS[2:]) + ["hundred", "thousand", "million",
                                                               "billion"])

#: Folder holding the chime and one sub-folder per clip set.
VOICE_DIR = Path(__file__).resolve().parent.parent / "display" / "static" / "voice"


# --------------------------------------------------------------------------- clip names

_TONES = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_MARKS = {"\u0302": None, "\u0306": "w", "\u031b": "w"}  # circumflex doubles the vowel


def _telex(word: str) -> str:
    """One lowercase word in Telex with the tone letter last (see the module docstring)."""
    out, tone = [], ""
    for ch in unicodedata.normalize("NFD", word.replace("đ", "dd").replace("Đ", "dd").lower()):
        if ch in _TONES:
            tone = _TONES[ch]
        elif ch in _MARKS:
            if out:
                out.append(_MARKS[ch] or out[-1])
        elif ch.isascii() and ch.isalnum():
            out.append(ch)
    return "".join(out) + tone


@functools.lru_cache(maxsize=4096)
def clip_name(text: str, language: str = "vi") -> str:
    """ASCII clip name for a spoken unit or phrase fragment ("" when it has no words).

    Cached: every call announcement names the same few hundred words again."""
    name = "_".join(w for w in (_telex(w) for w in spoken_words(text)) if w)
    return f"en-{name}" if name and language == "en" else name


# --------------------------------------------------------------------------- reading

def _english_number(n: int) -> list[str]:
    if n < 20:
        return [_EN_SMALL[n]]
    if n < 100:
        return [_EN_TENS[n // 10]] + ([_EN_SMALL[n % 10]] if n % 10 else [])
    if n < 1000:
        return [_EN_SMALL[n // 100], "hundred"] + (_english_number(n % 100) if n % 100 else [])
    for scale, word in _EN_SCALES:
        if n >= scale:
            return (_english_number(n // scale) + [word]
                    + (_english_number(n % scale) if n % scale else []))
    raise AssertionError(n)


def _number_words(digits: str, cfg: Voice, whole: bool) -> list[str]:
    """Whole-number reading when asked and in range, else digit by digit."""
    english = cfg.language == "en"
    if whole and int(digits) < 10**12:
        if english:
            return _english_number(int(digits))
        return number_to_words(int(digits), cfg.southern).split()
    return [(_EN_SMALL if english else DIGITS)[int(d)] for d in digits]


def _letter(letter: str, cfg: Voice) -> str:
    if cfg.language == "vi" or letter in cfg.letters:
        return letter_name(letter, cfg.letters)
    return letter.upper() if "A" <= letter.upper() <= "Z" else letter.lower()


def ticket_words(number: str, cfg: Voice) -> list[str]:
    """Spoken units for a printed ticket number under a validated config (either language)."""
    words: list[str] = []
    for kind, value in split_ticket_number(str(number)):
        if kind == "letter":
            words.append(_letter(value, cfg))
        elif cfg.number_reading == "digits":
            words += _number_words(value, cfg, whole=False)
        else:
            if int(value) >= 10**12:
                raise ValueError(f"ticket number {number!r}: too many digits to read as a number")
            words += _number_words(value, cfg, whole=True)
    return words


def counter_words(name: str, cfg: Voice, number_word: bool = False) -> list[str]:
    """Spoken units for a counter name typed by a supervisor (``cfg`` validated).

    Words are kept (lowercased), digit runs become number words ("Quầy 5" -> quầy,
    năm), a lone letter is read by its name ("Quầy B" -> quầy, bê); punctuation is
    dropped. With ``number_word`` a number right after *quầy* or *bàn* gets *số* before
    it, as halls say it ("Quầy 5" -> quầy số năm). In English the common Vietnamese
    counter words are translated.
    """
    out: list[str] = []
    english = cfg.language == "en"
    for token in re.findall(r"[0-9]+|[^\W\d_]+", unicodedata.normalize("NFC", str(name))):
        if token.isdigit():
            if number_word and not english and out and out[-1] in _COUNTER_NOUNS:
                out.append("số")
            out += _number_words(token, cfg, whole=True)
        elif len(token) == 1:
            out.append(_letter(token.upper(), cfg))
        else:
            word = token.lower()
            out.append(_EN_COUNTER_WORDS.get(word, word) if english else word)
    return out


def counter_number_words(counter_id: int, cfg: Voice, number_word: bool = False) -> list[str]:
    """What is said for a counter whose name has words without clips: "quầy (số) N"."""
    noun = ["counter"] if cfg.language == "en" else ["quầy"] + (["số"] if number_word else [])
    return noun + _number_words(str(counter_id), cfg, whole=True)


def _fragment_text(literal: str) -> str:
    """Template text between placeholders, as spoken: no edge punctuation or spaces."""
    return literal.strip(" \t,.;:!?-")


def clip_texts(cfg: Mapping) -> dict[str, str]:
    """Clip name -> text to synthesise, for every clip a phrase can need under ``cfg``."""
    cfg = validate_voice_config(cfg)
    lang = cfg.language
    if lang == "en":
        texts = list(EN_NUMBER_WORDS)
        texts += [_letter(chr(c), cfg) for c in range(ord("A"), ord("Z") + 1)]
    else:
        drop = {"nghìn", "linh"} if cfg.southern else {"ngàn", "lẻ"}
        texts = sorted(NUMBER_WORDS - drop) + sorted(NAME_WORDS)
        texts += [letter_name(k, cfg.letters) for k in DEFAULT_LETTERS]
    texts += list(cfg.letters.values()) + list(COUNTER_WORDS[lang]) + cfg.words
    for template in cfg.templates[lang].values():
        texts += [_fragment_text(p) for p in PLACEHOLDER.split(template) if not p.startswith("{")]
    return {clip_name(t, lang): t for t in texts if clip_name(t, lang)}


def clip_names(cfg: Mapping) -> set[str]:
    """Every clip any announcement can need with this config: number words for the whole
    range (0 .. 10**12-1, in the configured dialect), letter names, counter words and the
    fixed fragments of the ``call`` and ``recall`` templates."""
    return set(prepared(cfg).clips)


def _parts(template: str, lang: str) -> tuple[tuple[str | None, str, str], ...]:
    """A template split once: (placeholder or None, fixed text, the fixed text's clip name)."""
    return tuple((part[1:-1], "", "") if part.startswith("{") else (None, part, clip_name(_fragment_text(part), lang))
                 for part in PLACEHOLDER.split(template))


def _phrase(parts, spoken: dict, clip_words: dict, lang: str) -> tuple[str, list[str]]:
    """A template filled in: the text to read aloud and the clip names to play."""
    text, clips = [], []
    for key, fixed, clip in parts:
        if key is not None:
            text.append(" ".join(spoken[key]))
            clips += [clip_name(w, lang) for w in clip_words[key]]
        else:
            text.append(fixed)
            if clip:
                clips.append(clip)
    return re.sub(r"\s+([,.;:!?])", r"\1", " ".join("".join(text).split())), clips


class PreparedVoice:
    """A ``voice:`` config validated once, with what every call's phrases need made ahead:
    the clip names it has and each template split into fixed text and placeholders.
    :func:`prepared` gives the one for a config; the server runs :meth:`announcement` per call."""

    def __init__(self, cfg: Voice):
        self.cfg = cfg
        self.lang = cfg.language
        self.clips = frozenset(clip_texts(cfg))
        self.use_clips = cfg.mode not in ("speech", "chime")
        self.digits = dataclasses.replace(cfg, number_reading="digits")
        self.templates = {kind: _parts(template, self.lang) for kind, template in cfg.templates[self.lang].items()}

    def announcement(self, number: str, counter_name: str, recall: bool, counter_id: int | None = None) -> dict:
        """What the displays must say for one call, in three lengths.

        Returns ``{"text", "lang", "clips", "short", "quick"}``: ``text`` is the full phrase
        for Web Speech, ``lang`` its BCP-47 tag, ``clips`` the clip names to play in order;
        ``short`` (``{"text", "clips"}``) is the short template, read when calls queue up, and
        ``quick`` the short template with the number read digit by digit, for a burst that
        would otherwise keep a call waiting longer than ``max_lag_s``. A recall uses the recall
        phrases in all three. A counter name with words that have no clip (and a known
        ``counter_id``) is played as "quầy số N"; ``text`` keeps the name for the browser
        voice. ``clips`` is ``None`` when the mode is ``speech`` or ``chime``, or when a word
        still has no clip in :func:`clip_names`.
        """
        cfg, lang, names = self.cfg, self.lang, self.clips
        forms = {}
        for form, template, number_word in (("full", "recall" if recall else "call", True),
                                            ("short", "short_recall" if recall else "short", False),
                                            ("quick", "short_recall" if recall else "short", False)):
            reading = self.digits if form == "quick" else cfg
            said = {"number": ticket_words(number, reading), "counter": counter_words(counter_name, cfg, number_word)}
            played = dict(said)
            if counter_id is not None and not {clip_name(w, lang) for w in said["counter"]} <= names:
                played["counter"] = counter_number_words(counter_id, cfg, number_word)
            text, clips = _phrase(self.templates[template], said, played, lang)
            forms[form] = {"text": text, "clips": clips if self.use_clips and set(clips) <= names else None}
        return {"text": forms["full"]["text"], "lang": SPEECH_LANG[lang], "clips": forms["full"]["clips"],
                "short": forms["short"], "quick": forms["quick"]}


def prepared(cfg: Mapping) -> PreparedVoice:
    """The :class:`PreparedVoice` of a raw or validated ``voice:`` config, made once per distinct config."""
    return _prepared(json.dumps(dict(cfg), sort_keys=True))  # a validated section reads as a mapping too


@functools.lru_cache(maxsize=8)
def _prepared(cfg_json: str) -> PreparedVoice:
    return PreparedVoice(validate_voice_config(json.loads(cfg_json)))


def announcement(number: str, counter_name: str, recall: bool, cfg: Mapping,
                 counter_id: int | None = None) -> dict:
    """:meth:`PreparedVoice.announcement` for ``cfg`` (raw or validated)."""
    return prepared(cfg).announcement(number, counter_name, recall, counter_id)


def uncovered_names(names, cfg: Mapping) -> dict[str, list[str]]:
    """Counter name -> its words without a clip, for names not fully speakable (read as
    "quầy số N" instead); what ``motcua voice build`` reports."""
    voice = prepared(cfg)
    cfg, lang, known = voice.cfg, voice.lang, voice.clips
    out = {}
    for name in names:
        missing = [w for w in counter_words(name, cfg, True) if clip_name(w, lang) not in known]
        if missing:
            out[name] = sorted(set(missing))
    return out


# --------------------------------------------------------------------------- clip set on disk

def clip_set_dir(cfg: Mapping) -> Path:
    """Folder of the configured clip set: in voice.clip_dir when set, else the shipped one."""
    cfg = prepared(cfg).cfg
    return (Path(cfg.clip_dir) if cfg.clip_dir else VOICE_DIR) / cfg.clip_set


def missing_clips(clip_dir: str | os.PathLike, cfg: Mapping) -> set[str]:
    """Clip names the config needs that ``clip_dir``'s manifest lacks or whose file is gone."""
    clip_dir = Path(clip_dir)
    try:
        listed = json.loads((clip_dir / "manifest.json").read_text("utf-8")).get("clips", {})
    except (OSError, ValueError):
        listed = {}
    return {n for n in clip_names(cfg) if n not in listed or not (clip_dir / listed[n]).is_file()}


def resolve_mode(cfg: Mapping, clip_dir: str | os.PathLike | None = None) -> str:
    """The mode to give ``Announcer.configure``: ``auto`` becomes ``clips`` when the clip
    set is complete, else ``speech`` (the browser falls back to the chime by itself when it
    has no voice for the language). Explicit modes are returned unchanged."""
    cfg = prepared(cfg).cfg
    if cfg.mode != "auto":
        return cfg.mode
    return "speech" if missing_clips(clip_dir or clip_set_dir(cfg), cfg) else "clips"
