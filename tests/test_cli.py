"""The motcua command: init, token create, config errors."""
import subprocess
import sys

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
    assert {p.name for p in created} <= {"motcua.db", "motcua.db-wal", "motcua.db-shm"}
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
