"""The hall announcement: ``voice:`` config, phrase building and the audio clip set.

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
folder. Pure Python (no Flask); building clips needs espeak-ng, and sox for Ogg output.
"""
from __future__ import annotations

import array
import functools
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
import wave
from pathlib import Path

from .vietnamese import (DEFAULT_LETTERS, DIGITS, NUMBER_WORDS, letter_name, number_to_words,
                         split_ticket_number)

MODES = ("auto", "clips", "speech", "chime")
LANGUAGES = ("vi", "en")
NUMBER_READINGS = ("whole", "digits")
SPEECH_LANG = {"vi": "vi-VN", "en": "en-US"}
ESPEAK_VOICE = {"vi": "vi", "en": "en-us"}

DEFAULT_TEMPLATES = {
    "vi": {
        "call": "Mời công dân có số thứ tự {number} đến {counter}",
        "recall": "Xin nhắc lại, mời công dân có số thứ tự {number} đến {counter}",
    },
    "en": {
        "call": "Ticket number {number}, please go to {counter}",
        "recall": "Once again, ticket number {number}, please go to {counter}",
    },
}

#: Words supervisors commonly type in counter names; they get clips. In English the
#: Vietnamese word is translated so "Quầy 5" is read "counter five".
COUNTER_WORDS = {"vi": ("quầy", "số", "bàn"), "en": ("counter", "number", "desk")}
_EN_COUNTER_WORDS = {"quầy": "counter", "số": "number", "bàn": "desk"}

_EN_SMALL = ("zero one two three four five six seven eight nine ten eleven twelve thirteen "
             "fourteen fifteen sixteen seventeen eighteen nineteen").split()
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"))
EN_NUMBER_WORDS = frozenset(_EN_SMALL + list(_EN_TENS[2:]) + ["hundred", "thousand", "million",
                                                               "billion"])

_KEYS = ("mode", "language", "southern", "number_reading", "letters", "templates", "clip_set", "clip_dir")
_PLACEHOLDER = re.compile(r"(\{[^{}]*\})")

#: Folder holding the chime and one sub-folder per clip set.
VOICE_DIR = Path(__file__).resolve().parent.parent / "display" / "static" / "voice"

ESPEAK_MISSING = (
    "espeak-ng is not installed. On Debian/Ubuntu: sudo apt-get install espeak-ng "
    "(add sox for small Ogg files: sudo apt-get install espeak-ng sox libsox-fmt-all). "
    "On Windows: run the espeak-ng installer from the espeak-ng GitHub releases page "
    "(espeak-ng.msi; espeak-ng-X64.msi for release 1.51) and make sure espeak-ng.exe "
    "is on PATH or in C:\\Program Files\\eSpeak NG."
)


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
    - ``templates`` (default: the built-in phrases): per language (``vi``, ``en``) a
      ``call`` and a ``recall`` phrase with ``{number}`` (required) and ``{counter}``.
      Only the keys given are replaced.
    - ``clip_set`` (default ``default``): folder under ``display/static/voice/`` holding
      the clips and their ``manifest.json``.
    - ``clip_dir`` (default empty: the shipped clips): a folder outside the installed
      package that ``motcua voice build`` writes clip sets to and the display plays from.
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
            if kind not in ("call", "recall"):
                raise ValueError(f"voice.templates.{lang}.{kind}: unknown key (known: call, recall)")
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


def counter_words(name: str, cfg: dict) -> list[str]:
    """Spoken units for a counter name typed by a supervisor (``cfg`` validated).

    Words are kept (lowercased), digit runs become number words ("Quầy 5" -> quầy,
    năm), a lone letter is read by its name ("Quầy B" -> quầy, bê); punctuation is
    dropped. In English the common Vietnamese counter words are translated.
    """
    out: list[str] = []
    for token in re.findall(r"[0-9]+|[^\W\d_]+", unicodedata.normalize("NFC", str(name))):
        if token.isdigit():
            out += _number_words(token, cfg, whole=True)
        elif len(token) == 1:
            out.append(_letter(token.upper(), cfg))
        else:
            word = token.lower()
            out.append(_EN_COUNTER_WORDS.get(word, word) if cfg["language"] == "en" else word)
    return out


def _fragment_text(literal: str) -> str:
    """Template text between placeholders, as spoken: no edge punctuation or spaces."""
    return literal.strip(" \t,.;:!?-")


def _clip_texts(cfg: dict) -> dict[str, str]:
    """Clip name -> text to synthesise, for every clip a phrase can need under ``cfg``."""
    cfg = validate_voice_config(cfg)
    lang = cfg["language"]
    if lang == "en":
        texts = list(EN_NUMBER_WORDS)
        texts += [_letter(chr(c), cfg) for c in range(ord("A"), ord("Z") + 1)]
    else:
        drop = {"nghìn", "linh"} if cfg["southern"] else {"ngàn", "lẻ"}
        texts = sorted(NUMBER_WORDS - drop)
        texts += [letter_name(k, cfg["letters"]) for k in DEFAULT_LETTERS]
    texts += list(cfg["letters"].values()) + list(COUNTER_WORDS[lang])
    for template in cfg["templates"][lang].values():
        texts += [_fragment_text(p) for p in _PLACEHOLDER.split(template) if not p.startswith("{")]
    return {clip_name(t, lang): t for t in texts if clip_name(t, lang)}


def clip_names(cfg: dict) -> set[str]:
    """Every clip any announcement can need with this config: number words for the whole
    range (0 .. 10**12-1, in the configured dialect), letter names, counter words and the
    fixed fragments of the ``call`` and ``recall`` templates."""
    return set(_cached_clip_names(json.dumps(validate_voice_config(cfg), sort_keys=True)))


@functools.lru_cache(maxsize=8)
def _cached_clip_names(cfg_json: str) -> frozenset[str]:
    """Built once per config: every call announcement checks its clips against it."""
    return frozenset(_clip_texts(json.loads(cfg_json)))


def announcement(number: str, counter_name: str, recall: bool, cfg: dict) -> dict:
    """What the displays must say for one call.

    Returns ``{"text", "lang", "clips"}``: ``text`` is the full phrase for Web Speech,
    ``lang`` its BCP-47 tag, ``clips`` the clip names to play in order. ``clips`` is
    ``None`` when the mode is ``speech`` or ``chime``, or when any spoken unit has no
    clip in :func:`clip_names` (typically a counter named with free words such as
    "Quầy Hộ tịch"); the display then falls back to speech, then to the chime.
    ``cfg`` may be raw or validated.
    """
    cfg = validate_voice_config(cfg)
    lang = cfg["language"]
    template = cfg["templates"][lang]["recall" if recall else "call"]
    spoken = {"number": ticket_words(number, cfg), "counter": counter_words(counter_name, cfg)}
    text, clips = [], []
    for part in _PLACEHOLDER.split(template):
        if part.startswith("{"):
            words = spoken[part[1:-1]]
            text.append(" ".join(words))
            clips += [clip_name(w, lang) for w in words]
        else:
            text.append(part)
            if clip_name(_fragment_text(part), lang):
                clips.append(clip_name(_fragment_text(part), lang))
    phrase = re.sub(r"\s+([,.;:!?])", r"\1", " ".join("".join(text).split()))
    if cfg["mode"] in ("speech", "chime") or not set(clips) <= clip_names(cfg):
        clips = None
    return {"text": phrase, "lang": SPEECH_LANG[lang], "clips": clips}


# --------------------------------------------------------------------------- clip set on disk

def clip_set_dir(cfg: dict) -> Path:
    """Folder of the configured clip set: in voice.clip_dir when set, else the shipped one."""
    cfg = validate_voice_config(cfg)
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
    cfg = validate_voice_config(cfg)
    if cfg["mode"] != "auto":
        return cfg["mode"]
    return "speech" if missing_clips(clip_dir or clip_set_dir(cfg), cfg) else "clips"


# --------------------------------------------------------------------------- building

def _find_espeak() -> str:
    found = shutil.which("espeak-ng")
    if found:
        return found
    for root in (os.environ.get("ProgramFiles"), os.environ.get("ProgramFiles(x86)")):
        candidate = Path(root or "") / "eSpeak NG" / "espeak-ng.exe"
        if root and candidate.is_file():
            return str(candidate)
    raise RuntimeError(ESPEAK_MISSING)


def _sox_with_vorbis() -> str | None:
    """sox path when it can write Ogg Vorbis (Debian needs libsox-fmt-ogg for that)."""
    sox = shutil.which("sox")
    if not sox:
        return None
    try:
        formats = subprocess.run([sox, "-h"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    line = next((ln for ln in formats.splitlines() if ln.startswith("AUDIO FILE FORMATS")), "")
    return sox if " vorbis" in line else None


def _read_wav(path: Path) -> tuple[int, array.array]:
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2 or wav.getnchannels() != 1:
            raise RuntimeError(f"{path}: expected 16-bit mono audio from espeak-ng")
        samples = array.array("h", wav.readframes(wav.getnframes()))
        rate = wav.getframerate()
    if sys.byteorder == "big":
        samples.byteswap()
    return rate, samples


def _write_wav(path: Path, rate: int, samples: array.array) -> None:
    data = array.array("h", samples)
    if sys.byteorder == "big":
        data.byteswap()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(data.tobytes())


def _trim(rate: int, samples: array.array) -> array.array:
    """Cut leading/trailing silence (below -34 dB of the peak), keep a short margin, fade
    the edges against clicks and peak-normalise to about -3 dBFS so words join evenly."""
    peak = max((abs(s) for s in samples), default=0)
    if peak == 0:
        return array.array("h")
    loud = [i for i, s in enumerate(samples) if abs(s) > peak * 0.02]
    start = max(0, loud[0] - int(0.01 * rate))
    end = min(len(samples), loud[-1] + int(0.03 * rate))
    gain, fade = 23000 / peak, max(1, int(0.005 * rate))
    out = array.array("h", [0] * (end - start))
    for i in range(end - start):
        edge = min(1.0, (i + 1) / fade, (end - start - i) / fade)
        out[i] = max(-32767, min(32767, int(samples[start + i] * gain * edge)))
    return out


def _encode(wav_path: Path, out_stem: Path, sox: str | None) -> Path:
    """Ogg Vorbis, 16 kHz mono through sox when possible; else keep the WAV as it is."""
    if sox:
        target = out_stem.with_suffix(".ogg")
        subprocess.run([sox, "-q", str(wav_path), "-C", "0", str(target), "rate", "16k"],
                       check=True, capture_output=True, timeout=60)
    else:
        target = out_stem.with_suffix(".wav")
        shutil.copyfile(wav_path, target)
    return target


def _update_manifest(out_dir: Path, written: dict[str, Path], texts: dict[str, str]) -> Path:
    """Merge into an existing manifest so several configs (vi, Southern, en) share a folder."""
    path = out_dir / "manifest.json"
    try:
        old = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        old = {}
    clips = {n: f for n, f in old.get("clips", {}).items() if (out_dir / f).is_file()}
    text = {n: t for n, t in old.get("text", {}).items() if n in clips}
    clips.update({n: p.name for n, p in written.items()})
    text.update({n: texts[n] for n in written})
    manifest = {"clips": dict(sorted(clips.items())), "text": dict(sorted(text.items()))}
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return path


def build_clips(out_dir: str | os.PathLike, cfg: dict) -> list[Path]:
    """Synthesise every clip of :func:`clip_names` with espeak-ng into ``out_dir``.

    One file per clip name, trimmed of silence and normalised; Ogg Vorbis 16 kHz mono
    when sox with Vorbis support is installed, else WAV at espeak-ng's rate. Also writes
    or merges ``manifest.json`` (``clips``: name -> file, ``text``: name -> spoken text)
    so a human-recorded set can replace it file for file. Returns the clip paths.
    Raises ``RuntimeError`` naming what to install when espeak-ng is missing.
    """
    cfg = validate_voice_config(cfg)
    espeak, sox = _find_espeak(), _sox_with_vorbis()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    texts = _clip_texts(cfg)
    written: dict[str, Path] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, text in sorted(texts.items()):
            (tmp / "in.txt").write_text(text, "utf-8")
            raw_wav, clean_wav = tmp / "raw.wav", tmp / "clean.wav"
            done = subprocess.run([espeak, "-v", ESPEAK_VOICE[cfg["language"]], "-s", "140",
                                   "-b", "1", "-f", str(tmp / "in.txt"), "-w", str(raw_wav)],
                                  capture_output=True, text=True, timeout=60)
            if done.returncode:
                raise RuntimeError(f"espeak-ng failed on {text!r}: {done.stderr.strip()}")
            rate, samples = _read_wav(raw_wav)
            _write_wav(clean_wav, rate, _trim(rate, samples))
            for stale in out_dir.glob(f"{name}.*"):
                stale.unlink()
            written[name] = _encode(clean_wav, out_dir / name, sox)
    _update_manifest(out_dir, written, texts)
    return [written[n] for n in sorted(written)]


def _bell(freq: float, t: float) -> float:
    """A soft bell partial mix at time ``t`` seconds: quick attack, exponential decay."""
    if t < 0:
        return 0.0
    partials = ((1.0, 1.0), (2.0, 0.3), (3.0, 0.1))
    return (sum(a * math.sin(2 * math.pi * freq * k * t) for k, a in partials)
            * math.exp(-t / 0.3) * min(1.0, t / 0.004))


def build_chime(out_dir: str | os.PathLike = VOICE_DIR) -> Path:
    """Write the two-note "ding-dong" that precedes every announcement, synthesised here
    (no recording to license); ``chime.ogg`` via sox when available, else ``chime.wav``."""
    rate, seconds, out_dir = 16000, 1.6, Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tone = [_bell(784.0, i / rate) + _bell(659.3, i / rate - 0.45) for i in range(int(seconds * rate))]
    tail = int(0.15 * rate)  # fade the last of the decay to silence: no click at the end
    tone = [v * min(1.0, (len(tone) - i) / tail) for i, v in enumerate(tone)]
    peak = max(abs(v) for v in tone)
    samples = array.array("h", (int(v / peak * 20000) for v in tone))
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "chime.wav"
        _write_wav(wav, rate, samples)
        return _encode(wav, out_dir / "chime", _sox_with_vorbis())
