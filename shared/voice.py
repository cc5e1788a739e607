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

import functools
import json
import os
import re
import unicodedata
from pathlib import Path

from .vietnamese import (DEFAULT_LETTERS, DIGITS, NUMBER_WORDS, letter_name, number_to_words,
                         split_ticket_number)

MODES = ("auto", "clips", "speech", "chime")
LANGUAGES = ("vi", "en")
NUMBER_READINGS = ("whole", "digits")
SPEECH_LANG = {"vi": "vi-VN", "en": "en-US"}

#: The phrases as halls say them. ``call``/``recall`` are read when the announcer has time;
#: ``short``/``short_recall`` when calls queue up (see docs/voice.md, "Pacing").
DEFAULT_TEMPLATES = {
    "vi": {
        "call": "Mời số {number} đến {counter}",
        "recall": "Nhắc lại, mời số {number} đến {counter}",
        "short": "{number}, {counter}",
        "short_recall": "Nhắc lại {number}, {counter}",
    },
    "en": {
        "call": "Ticket number {number}, please go to {counter}",
        "recall": "Once again, ticket number {number}, please go to {counter}",
        "short": "{number}, {counter}",
        "short_recall": "Again {number}, {counter}",
    },
}
TEMPLATE_KINDS = tuple(DEFAULT_TEMPLATES["vi"])

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

_KEYS = ("mode", "language", "southern", "number_reading", "letters", "templates", "clip_set", "clip_dir",
         "words", "max_lag_s", "repeat")
_PLACEHOLDER = re.compile(r"(\{[^{}]*\})")

#: Folder holding the chime and one sub-folder per clip set.
VOICE_DIR = Path(__file__).resolve().parent.parent / "display" / "static" / "voice"


# --------------------------------------------------------------------------- config

def _one_of(key: str, value, allowed) -> str:
    if value not in allowed:
        raise ValueError(f"voice.{key}: must be one of {', '.join(allowed)} (got {value!r})")
    return value


def _template(key: str, value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"voice.{key}: must be a non-empty string")
    names = []
    for part in _PLACEHOLDER.split(value):
        if part.startswith("{") and part.endswith("}"):
            names.append(part[1:-1])
        elif "{" in part or "}" in part:
            raise ValueError(f"voice.{key}: unbalanced brace in {value!r}")
    bad = [n for n in names if n not in ("number", "counter")]
    if bad:
        raise ValueError(f"voice.{key}: unknown placeholder {{{bad[0]}}} "
                         "(only {number} and {counter} are allowed)")
    if "number" not in names:
        raise ValueError(f"voice.{key}: must contain {{number}}")
    return " ".join(value.split())


def validate_voice_config(raw: dict | None) -> dict:
    """Check a ``voice:`` config section and return it complete with defaults.

    Errors are ``ValueError`` whose message starts with the dotted key, so the
    supervisor sees exactly which line of the config to fix. Idempotent: a validated
    config validates to itself. Keys:

    - ``mode`` (default ``auto``): ``auto`` | ``clips`` | ``speech`` | ``chime``.
      ``auto`` plays clips when the clip set is complete, else the browser's voice,
      else the chime alone; ``clips`` always tries clips (falling back per call);
      ``speech`` never uses clips; ``chime`` plays only the chime.
    - ``language`` (default ``vi``): ``vi`` | ``en``; language of the phrase and the voice.
    - ``southern`` (default ``false``): Southern number words, "ngàn" and "lẻ" instead
      of "nghìn" and "linh".
    - ``number_reading`` (default ``whole``): ``whole`` reads "1023" as one number
      (leading zeros dropped), ``digits`` reads it digit by digit.
    - ``letters`` (default ``{}``): letter -> spoken name for ticket prefixes, overriding
      the built-in table (``shared.vietnamese.DEFAULT_LETTERS``; in English the letter
      itself), e.g. ``{"A": "a", "C": "xê"}``.
    - ``templates`` (default: the built-in phrases): per language (``vi``, ``en``) the
      ``call``, ``recall``, ``short`` and ``short_recall`` phrases with ``{number}``
      (required) and ``{counter}``. Only the keys given are replaced.
    - ``clip_set`` (default ``default``): folder under ``display/static/voice/`` holding
      the clips and their ``manifest.json``.
    - ``clip_dir`` (default empty: the shipped clips): a folder outside the installed
      package that ``motcua voice build`` writes clip sets to and the display plays from.
    - ``words`` (default ``[]``): more words to give clips (counter names such as
      "Quầy Phúc khảo"), on top of :data:`NAME_WORDS`.
    - ``max_lag_s`` (default 30): the longest a call may wait before it starts being
      read; the announcer shortens what it plays to keep within it.
    - ``repeat`` (default ``false``): read each call twice when no other call waits.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValueError("voice: must be a mapping")
    unknown = sorted(str(k) for k in raw if k not in _KEYS)
    if unknown:
        raise ValueError(f"voice.{unknown[0]}: unknown key (known: {', '.join(_KEYS)})")
    cfg = {
        "mode": _one_of("mode", raw.get("mode", "auto"), MODES),
        "language": _one_of("language", raw.get("language", "vi"), LANGUAGES),
        "number_reading": _one_of("number_reading", raw.get("number_reading", "whole"),
                                  NUMBER_READINGS),
    }
    southern = raw.get("southern", False)
    if not isinstance(southern, bool):
        raise ValueError(f"voice.southern: must be true or false (got {southern!r})")
    cfg["southern"] = southern

    letters = raw.get("letters") or {}
    if not isinstance(letters, dict):
        raise ValueError("voice.letters: must be a mapping of letter -> spoken name")
    cfg["letters"] = {}
    for letter, spoken in letters.items():
        key = unicodedata.normalize("NFC", str(letter)).upper()
        if len(key) != 1 or not key.isalpha():
            raise ValueError(f"voice.letters.{letter}: key must be a single letter")
        if not isinstance(spoken, str) or not spoken.strip():
            raise ValueError(f"voice.letters.{letter}: spoken name must be a non-empty string")
        cfg["letters"][key] = " ".join(unicodedata.normalize("NFC", spoken).split())

    templates = raw.get("templates") or {}
    if not isinstance(templates, dict):
        raise ValueError("voice.templates: must be a mapping of language -> {call, recall}")
    cfg["templates"] = {}
    for lang in templates:
        if lang not in LANGUAGES:
            raise ValueError(f"voice.templates.{lang}: unknown language "
                             f"(known: {', '.join(LANGUAGES)})")
    for lang in LANGUAGES:
        given = templates.get(lang) or {}
        if not isinstance(given, dict):
            raise ValueError(f"voice.templates.{lang}: must be a mapping with call and recall")
        for kind in given:
            if kind not in TEMPLATE_KINDS:
                raise ValueError(f"voice.templates.{lang}.{kind}: unknown key "
                                 f"(known: {', '.join(TEMPLATE_KINDS)})")
        cfg["templates"][lang] = {
            kind: _template(f"templates.{lang}.{kind}", given.get(kind, default))
            for kind, default in DEFAULT_TEMPLATES[lang].items()
        }

    clip_dir = raw.get("clip_dir", "")
    if not isinstance(clip_dir, str):
        raise ValueError(f"voice.clip_dir: must be a folder path (got {clip_dir!r})")
    cfg["clip_dir"] = clip_dir.strip()

    clip_set = raw.get("clip_set", "default")
    if not isinstance(clip_set, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", clip_set):
        raise ValueError("voice.clip_set: must be a folder name of letters, digits, '-' or '_' "
                         f"(got {clip_set!r})")
    cfg["clip_set"] = clip_set

    words = raw.get("words") or []
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ValueError("voice.words: must be a list of words, e.g. [phúc, khảo]")
    cfg["words"] = sorted({w for text in words for w in _words(text)})

    max_lag = raw.get("max_lag_s", 30)
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, float)) or not 5 <= max_lag <= 600:
        raise ValueError(f"voice.max_lag_s: must be a number of seconds from 5 to 600 (got {max_lag!r})")
    cfg["max_lag_s"] = max_lag
    repeat = raw.get("repeat", False)
    if not isinstance(repeat, bool):
        raise ValueError(f"voice.repeat: must be true or false (got {repeat!r})")
    cfg["repeat"] = repeat
    return cfg


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


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text).lower())


@functools.lru_cache(maxsize=4096)
def clip_name(text: str, language: str = "vi") -> str:
    """ASCII clip name for a spoken unit or phrase fragment ("" when it has no words).

    Cached: every call announcement names the same few hundred words again."""
    name = "_".join(w for w in (_telex(w) for w in _words(text)) if w)
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


def _number_words(digits: str, cfg: dict, whole: bool) -> list[str]:
    """Whole-number reading when asked and in range, else digit by digit."""
    english = cfg["language"] == "en"
    if whole and int(digits) < 10**12:
        if english:
            return _english_number(int(digits))
        return number_to_words(int(digits), cfg["southern"]).split()
    return [(_EN_SMALL if english else DIGITS)[int(d)] for d in digits]


def _letter(letter: str, cfg: dict) -> str:
    if cfg["language"] == "vi" or letter in cfg["letters"]:
        return letter_name(letter, cfg["letters"])
    return letter.upper() if "A" <= letter.upper() <= "Z" else letter.lower()


def ticket_words(number: str, cfg: dict) -> list[str]:
    """Spoken units for a printed ticket number under a validated config (either language)."""
    words: list[str] = []
    for kind, value in split_ticket_number(str(number)):
        if kind == "letter":
            words.append(_letter(value, cfg))
        elif cfg["number_reading"] == "digits":
            words += _number_words(value, cfg, whole=False)
        else:
            if int(value) >= 10**12:
                raise ValueError(f"ticket number {number!r}: too many digits to read as a number")
            words += _number_words(value, cfg, whole=True)
    return words


def counter_words(name: str, cfg: dict, number_word: bool = False) -> list[str]:
    """Spoken units for a counter name typed by a supervisor (``cfg`` validated).

    Words are kept (lowercased), digit runs become number words ("Quầy 5" -> quầy,
    năm), a lone letter is read by its name ("Quầy B" -> quầy, bê); punctuation is
    dropped. With ``number_word`` a number right after *quầy* or *bàn* gets *số* before
    it, as halls say it ("Quầy 5" -> quầy số năm). In English the common Vietnamese
    counter words are translated.
    """
    out: list[str] = []
    english = cfg["language"] == "en"
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


def counter_number_words(counter_id: int, cfg: dict, number_word: bool = False) -> list[str]:
    """What is said for a counter whose name has words without clips: "quầy (số) N"."""
    noun = ["counter"] if cfg["language"] == "en" else ["quầy"] + (["số"] if number_word else [])
    return noun + _number_words(str(counter_id), cfg, whole=True)


def _fragment_text(literal: str) -> str:
    """Template text between placeholders, as spoken: no edge punctuation or spaces."""
    return literal.strip(" \t,.;:!?-")


def clip_texts(cfg: dict) -> dict[str, str]:
    """Clip name -> text to synthesise, for every clip a phrase can need under ``cfg``."""
    cfg = validate_voice_config(cfg)
    lang = cfg["language"]
    if lang == "en":
        texts = list(EN_NUMBER_WORDS)
        texts += [_letter(chr(c), cfg) for c in range(ord("A"), ord("Z") + 1)]
    else:
        drop = {"nghìn", "linh"} if cfg["southern"] else {"ngàn", "lẻ"}
        texts = sorted(NUMBER_WORDS - drop) + sorted(NAME_WORDS)
        texts += [letter_name(k, cfg["letters"]) for k in DEFAULT_LETTERS]
    texts += list(cfg["letters"].values()) + list(COUNTER_WORDS[lang]) + cfg["words"]
    for template in cfg["templates"][lang].values():
        texts += [_fragment_text(p) for p in _PLACEHOLDER.split(template) if not p.startswith("{")]
    return {clip_name(t, lang): t for t in texts if clip_name(t, lang)}


def clip_names(cfg: dict) -> set[str]:
    """Every clip any announcement can need with this config: number words for the whole
    range (0 .. 10**12-1, in the configured dialect), letter names, counter words and the
    fixed fragments of the ``call`` and ``recall`` templates."""
    return set(prepared(cfg).clips)


def _parts(template: str, lang: str) -> tuple[tuple[str | None, str, str], ...]:
    """A template split once: (placeholder or None, fixed text, the fixed text's clip name)."""
    return tuple((part[1:-1], "", "") if part.startswith("{") else (None, part, clip_name(_fragment_text(part), lang))
                 for part in _PLACEHOLDER.split(template))


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


class Voice:
    """A ``voice:`` config validated once, with what every call's phrases need made ahead:
    the clip names it has and each template split into fixed text and placeholders.
    :func:`prepared` gives the one for a config; the server runs :meth:`announcement` per call."""

    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.lang = cfg["language"]
        self.clips = frozenset(clip_texts(cfg))
        self.use_clips = cfg["mode"] not in ("speech", "chime")
        self.digits = dict(cfg, number_reading="digits")
        self.templates = {kind: _parts(template, self.lang) for kind, template in cfg["templates"][self.lang].items()}

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


def prepared(cfg: dict) -> Voice:
    """The :class:`Voice` of a raw or validated ``voice:`` config, made once per distinct config."""
    return _prepared(json.dumps(cfg, sort_keys=True))


@functools.lru_cache(maxsize=8)
def _prepared(cfg_json: str) -> Voice:
    return Voice(validate_voice_config(json.loads(cfg_json)))


def announcement(number: str, counter_name: str, recall: bool, cfg: dict,
                 counter_id: int | None = None) -> dict:
    """:meth:`Voice.announcement` for ``cfg`` (raw or validated)."""
    return prepared(cfg).announcement(number, counter_name, recall, counter_id)


def uncovered_names(names, cfg: dict) -> dict[str, list[str]]:
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

def clip_set_dir(cfg: dict) -> Path:
    """Folder of the configured clip set: in voice.clip_dir when set, else the shipped one."""
    cfg = prepared(cfg).cfg
    return (Path(cfg["clip_dir"]) if cfg["clip_dir"] else VOICE_DIR) / cfg["clip_set"]


def missing_clips(clip_dir: str | os.PathLike, cfg: dict) -> set[str]:
    """Clip names the config needs that ``clip_dir``'s manifest lacks or whose file is gone."""
    clip_dir = Path(clip_dir)
    try:
        listed = json.loads((clip_dir / "manifest.json").read_text("utf-8")).get("clips", {})
    except (OSError, ValueError):
        listed = {}
    return {n for n in clip_names(cfg) if n not in listed or not (clip_dir / listed[n]).is_file()}


def resolve_mode(cfg: dict, clip_dir: str | os.PathLike | None = None) -> str:
    """The mode to give ``Announcer.configure``: ``auto`` becomes ``clips`` when the clip
    set is complete, else ``speech`` (the browser falls back to the chime by itself when it
    has no voice for the language). Explicit modes are returned unchanged."""
    cfg = prepared(cfg).cfg
    if cfg["mode"] != "auto":
        return cfg["mode"]
    return "speech" if missing_clips(clip_dir or clip_set_dir(cfg), cfg) else "clips"
