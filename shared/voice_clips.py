"""Building the clip set offline: espeak-ng says every word a call can need, sox packs it
as Ogg; `motcua voice build` runs this once per config, never the server."""
from __future__ import annotations

import array
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Mapping
from pathlib import Path

from .config import validate_voice_config
from .voice import VOICE_DIR, clip_texts

ESPEAK_VOICE = {"vi": "vi", "en": "en-us"}

ESPEAK_MISSING = (
    "espeak-ng is not installed. On Debian/Ubuntu: sudo apt-get install espeak-ng "
    "(add sox for small Ogg files: sudo apt-get install espeak-ng sox libsox-fmt-all). "
    "On Windows: run the espeak-ng installer from the espeak-ng GitHub releases page "
    "(espeak-ng.msi; espeak-ng-X64.msi for release 1.51) and make sure espeak-ng.exe "
    "is on PATH or in C:\\Program Files\\eSpeak NG."
)


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


def _update_manifest(out_dir: Path, written: dict[str, dict[str, Path]], texts: dict[str, str]) -> Path:
    """Merge into an existing manifest so several configs (vi, Southern, en) share a folder."""
    path = out_dir / "manifest.json"
    try:
        old = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        old = {}
    manifest = {}
    for kind in SPEEDS:
        files = {n: f for n, f in old.get(kind, {}).items() if (out_dir / f).is_file()}
        files.update({n: p.relative_to(out_dir).as_posix() for n, p in written[kind].items()})
        manifest[kind] = dict(sorted(files.items()))
    text = {n: t for n, t in old.get("text", {}).items() if n in manifest["clips"]}
    text.update({n: texts[n] for n in written["clips"]})
    manifest["text"] = dict(sorted(text.items()))
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return path


#: Manifest section -> (espeak-ng words per minute, sub-folder). ``brisk`` is the same clip
#: spoken faster, for the short forms read while calls queue up (optional in a clip set).
SPEEDS = {"clips": (140, ""), "brisk": (175, "brisk")}


def build_clips(out_dir: str | os.PathLike, cfg: Mapping) -> list[Path]:
    """Synthesise every clip of :func:`clip_names` with espeak-ng into ``out_dir``.

    One file per clip name, trimmed of silence and normalised; Ogg Vorbis 16 kHz mono
    when sox with Vorbis support is installed, else WAV at espeak-ng's rate; and the same
    clip spoken faster in ``brisk/``. Also writes or merges ``manifest.json``
    (``clips`` and ``brisk``: name -> file, ``text``: name -> spoken text) so a
    human-recorded set can replace it file for file. Returns the normal clips' paths.
    Raises ``RuntimeError`` naming what to install when espeak-ng is missing.
    """
    cfg = validate_voice_config(cfg)
    espeak, sox = _find_espeak(), _sox_with_vorbis()
    out_dir = Path(out_dir)
    texts = clip_texts(cfg)
    written: dict[str, dict[str, Path]] = {kind: {} for kind in SPEEDS}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for kind, (speed, sub) in SPEEDS.items():
            folder = out_dir / sub
            folder.mkdir(parents=True, exist_ok=True)
            for name, text in sorted(texts.items()):
                (tmp / "in.txt").write_text(text, "utf-8")
                raw_wav, clean_wav = tmp / "raw.wav", tmp / "clean.wav"
                done = subprocess.run([espeak, "-v", ESPEAK_VOICE[cfg.language], "-s", str(speed),
                                       "-b", "1", "-f", str(tmp / "in.txt"), "-w", str(raw_wav)],
                                      capture_output=True, text=True, timeout=60)
                if done.returncode:
                    raise RuntimeError(f"espeak-ng failed on {text!r}: {done.stderr.strip()}")
                rate, samples = _read_wav(raw_wav)
                _write_wav(clean_wav, rate, _trim(rate, samples))
                for stale in folder.glob(f"{name}.*"):
                    stale.unlink()
                written[kind][name] = _encode(clean_wav, folder / name, sox)
    _update_manifest(out_dir, written, texts)
    return [written["clips"][n] for n in sorted(written["clips"])]


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
