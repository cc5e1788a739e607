"""The motcua command: init, token create, config errors."""
import shutil
import subprocess
import sys

import requests

from shared.auth import identify
from shared.cli import main
from shared.db import connect
from conftest import ROOT, Server


def test_init_is_idempotent_and_writes_only_the_configured_database(tmp_path):
    server = Server(tmp_path, "threading")
    before = set(tmp_path.iterdir())
    for _ in range(2):
        assert "Database ready" in server.cli("init")
    created = set(tmp_path.iterdir()) - before
    assert {p.name for p in created} <= {"motcua.db", "motcua.db-wal", "motcua.db-shm", "motcua.db.secret"}
    assert "motcua.db.secret" in {p.name for p in created}  # the cookie key, beside the database
    db = connect(str(tmp_path / "motcua.db"))
    assert db.execute("SELECT count(*) FROM counters").fetchone()[0] == 7


def test_token_is_alone_on_the_last_line_and_stored_hashed(tmp_path):
    server = Server(tmp_path, "threading")
    token = server.cli("token", "create", "--role", "supervisor", "--name", "Chị Hoa").splitlines()[-1]
    db = connect(str(tmp_path / "motcua.db"))
    assert identify(db, token)["role"] == "supervisor"
    assert db.execute("SELECT count(*) FROM tokens WHERE hash = ?", (token,)).fetchone()[0] == 0


def test_config_from_environment(tmp_path, monkeypatch):
    server = Server(tmp_path, "threading")
    monkeypatch.setenv("MOTCUA_CONFIG", str(server.config_path))
    assert main(["init"]) == 0
    assert (tmp_path / "motcua.db").exists()


def test_config_errors_are_reported_with_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("center: {name: X}\nservices: [{code: HT, name: Hộ tịch, digits: 12}]\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "shared.cli", "--config", str(bad), "init"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "services[0].digits:" in result.stderr
    assert not (tmp_path / "motcua.db").exists()


def test_print_test_writes_a_png(tmp_path):
    server = Server(tmp_path, "threading")
    out = tmp_path / "ticket.png"
    assert "wrote" in server.cli("print-test", "--to-png", str(out))
    assert out.read_bytes().startswith(b"\x89PNG")


def test_print_test_without_a_printer_says_so(tmp_path):
    server = Server(tmp_path, "threading")
    result = subprocess.run([sys.executable, "-m", "shared.cli", "--config", str(server.config_path), "print-test"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "printer.kind" in result.stderr


def test_voice_build_writes_into_clip_dir_and_names_uncovered_counters(tmp_path, monkeypatch, capsys):
    """The CLI builds into voice.clip_dir (never into the installed package; unset, it
    refuses) and says which counter names, in the config or added since in the
    database, its clips cannot say."""
    import sqlite3

    from shared import voice

    shipped = {p: p.stat().st_mtime_ns for p in voice.VOICE_DIR.rglob("*")}
    monkeypatch.setattr(voice, "NAME_WORDS", frozenset({"hộ", "tịch"}))  # fewer clips: a faster test
    voice._prepared.cache_clear()
    assert main(["--config", str(Server(tmp_path, "threading").config_path), "voice", "build"]) == 2
    server = Server(tmp_path, "threading", {"voice": {"clip_dir": "built-voice"}})
    assert main(["--config", str(server.config_path), "init"]) == 0
    with sqlite3.connect(tmp_path / "motcua.db") as db:
        db.execute("INSERT INTO counters (name, position) VALUES ('Quầy Anh Tuấn', 8), ('Quầy Hộ tịch', 9)")
    capsys.readouterr()
    assert main(["--config", str(server.config_path), "voice", "build"]) == 0
    voice._prepared.cache_clear()
    manifest = (tmp_path / "built-voice" / "default" / "manifest.json").read_text(encoding="utf-8")
    assert "mowif_soos" in manifest and "hooj" in manifest
    out = capsys.readouterr().out
    assert "Not covered: 'Quầy Anh Tuấn' (no clip for anh, tuấn)" in out
    assert "Hộ tịch" not in out and "'Quầy 1'" not in out
    assert {p: p.stat().st_mtime_ns for p in voice.VOICE_DIR.rglob("*")} == shipped


def test_printer_agent_needs_a_local_printer_and_a_token(tmp_path, monkeypatch):
    monkeypatch.delenv("MOTCUA_TOKEN", raising=False)
    server = Server(tmp_path, "threading")
    args = ["--config", str(server.config_path), "printer-agent", "--server", "http://127.0.0.1:9", "--kiosk", "A"]
    assert main(args) == 2  # printer.kind is none in the demo config


def test_tokens_can_be_listed_and_revoked(tmp_path, capsys):
    server = Server(tmp_path, "threading")
    token = server.cli("token", "create", "--role", "officer", "--name", "Anh Minh").splitlines()[-1]
    listing = server.cli("token", "list")
    assert "officer" in listing and "Anh Minh" in listing and token not in listing
    token_id = listing.split()[0]
    assert "revoked" in server.cli("token", "revoke", token_id)
    db = connect(str(tmp_path / "motcua.db"))
    assert identify(db, token) is None
    assert main(["--config", str(server.config_path), "token", "revoke", token_id]) == 1


def test_devices_can_be_invited_listed_and_revoked(tmp_path):
    server = Server(tmp_path, "threading")
    link = server.cli("device", "invite", "--kind", "kiosk", "--name", "Sảnh").strip()
    assert link.startswith("http://127.0.0.1:5000/enroll/")
    tablet = server.cli("device", "invite", "--kind", "rating", "--counter", "2").strip()
    listing = server.cli("device", "list")
    assert "kiosk" in listing and "Sảnh" in listing and "Quầy 2" in listing and "counter 2" in listing
    assert link.rsplit("/", 1)[1] not in listing and tablet.rsplit("/", 1)[1] not in listing
    assert "revoked" in server.cli("device", "revoke", listing.split()[0])
    assert "Sảnh" not in server.cli("device", "list")
    assert main(["--config", str(server.config_path), "device", "invite", "--kind", "rating"]) == 1


def test_an_unusable_database_is_named_without_a_traceback(tmp_path):
    """A read-only or broken database file stops the command with a message naming it."""
    server = Server(tmp_path, "eventlet")
    (tmp_path / "motcua.db").write_bytes(b"this is not a database" * 100)
    for command in (["init"], ["serve", "--port", "1"]):
        out = subprocess.run([sys.executable, "-m", "shared.cli", "--config", str(server.config_path), *command],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert out.returncode == 1
        assert str(tmp_path / "motcua.db") in out.stderr and "Traceback" not in out.stderr


def test_a_backup_taken_while_serving_restores_and_serves(make_server, tmp_path):
    live = make_server("threading").start()
    numbers = [requests.post(live.url + "/api/tickets", json={"service": "HT"}, headers=live.kiosk,
                             timeout=10).json()["number"] for _ in range(3)]
    copy = tmp_path / "backups" / "motcua-today.db"
    assert f"Backup written: {copy}" in live.cli("backup", str(copy))
    live.kill()
    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    shutil.copy(copy, restored_dir / "motcua.db")  # restoring is copying the file back
    restored = Server(restored_dir, "threading").start()
    try:
        waiting = requests.get(restored.url + "/api/tickets?status=waiting", headers=restored.token("officer"),
                               timeout=10).json()
        assert [t["number"] for t in waiting] == numbers
    finally:
        restored.kill()


def test_backup_of_a_missing_database_says_so(tmp_path):
    server = Server(tmp_path, "threading")
    assert main(["--config", str(server.config_path), "backup", str(tmp_path / "copy.db")]) == 1
    assert not (tmp_path / "copy.db").exists()
