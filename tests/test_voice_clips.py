"""Building the clip set with espeak-ng (and sox, when it can write Ogg)."""
import json

import pytest

from shared import voice, voice_clips
from shared.voice import clip_names, missing_clips
from shared.voice_clips import build_clips


def test_build_without_espeak_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(voice_clips.shutil, "which", lambda name: None)
    monkeypatch.delenv("ProgramFiles", raising=False)
    monkeypatch.delenv("ProgramFiles(x86)", raising=False)
    with pytest.raises(RuntimeError) as err:
        build_clips(tmp_path, {})
    assert "sudo apt-get install espeak-ng" in str(err.value)
    assert "espeak-ng.msi" in str(err.value)


def test_build_clips(tmp_path, monkeypatch):
    monkeypatch.setattr(voice, "NAME_WORDS", frozenset({"hộ", "tịch"}))  # fewer words: a faster test
    voice._prepared.cache_clear()
    (tmp_path / "manifest.json").write_text(json.dumps({"clips": {"old": "old.wav"}}))
    (tmp_path / "old.wav").write_bytes(b"RIFF")
    cfg = {"templates": {"vi": {"call": "Số {number} mời đến {counter}"}}}
    paths = build_clips(tmp_path, cfg)
    assert sorted(p.stem for p in paths) == sorted(clip_names(cfg))
    manifest = json.loads((tmp_path / "manifest.json").read_text("utf-8"))
    voice._prepared.cache_clear()
    assert manifest["clips"]["old"] == "old.wav"  # merged, not overwritten
    assert set(manifest["brisk"]) == set(clip_names(cfg)) and manifest["brisk"]["hooj"].startswith("brisk/")
    brisk, normal = (tmp_path / manifest["brisk"]["mootj"]), (tmp_path / manifest["clips"]["mootj"])
    assert 0 < brisk.stat().st_size < normal.stat().st_size   # the same word, said faster
    assert manifest["text"]["mowif_ddeens"] == "mời đến"
    assert missing_clips(tmp_path, cfg) == set()
    for path in paths:
        assert path.stat().st_size > 200
        assert path.suffix in (".ogg", ".wav")
