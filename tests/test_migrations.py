"""Upgrades keep the data: a database made by release 0.1 (tests/fixtures/release_0_1.sql,
the schema of commit b254a6e with a small day in it) is migrated by today's code."""
import sqlite3
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from shared import auth, queue
from shared.db import SCHEMA, connect, init_database, pending_migrations
from shared.migrations import STEPS

from conftest import TZ, Server

FIXTURE = Path(__file__).parent / "fixtures" / "release_0_1.sql"
KEPT = ("tickets", "counters", "counter_services", "sequences", "tokens", "ratings", "events")
RENAMED = {"events": "audit"}  # old table -> its name today
AT = datetime(2026, 11, 30, 8, 0, tzinfo=TZ)


def rows(db, table) -> list[dict]:
    return [dict(row) for row in db.execute(f"SELECT * FROM {table} ORDER BY rowid")]


def shape(db) -> dict:
    """Tables with their columns, indexes and foreign keys, as SQLite describes them."""
    tables = {}
    for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"):
        columns = [tuple(row)[1:] for row in db.execute(f"PRAGMA table_info({name})")]
        indexes = {(row["name"], row["unique"], tuple(c["name"] for c in db.execute(f"PRAGMA index_info({row['name']})")))
                   for row in db.execute(f"PRAGMA index_list({name})") if row["origin"] == "c"}
        foreign = {tuple(row)[2:5] for row in db.execute(f"PRAGMA foreign_key_list({name})")}
        tables[name] = (columns, indexes, foreign)
    return tables


@pytest.fixture
def old_path(tmp_path, config):
    path = Path(config["database"]["path"])
    with sqlite3.connect(path) as old:
        old.executescript(FIXTURE.read_text(encoding="utf-8"))
    old.close()
    return path


def test_a_release_0_1_database_keeps_every_row(old_path, config):
    with sqlite3.connect(old_path) as old:
        old.row_factory = sqlite3.Row
        before = {table: rows(old, table) for table in KEPT}
    old.close()
    db = connect(str(old_path))
    assert init_database(db, config) == ["0001_devices_and_sessions", "0002_cookie_key_out_of_database",
                                         "0003_printer_agents", "0004_english_field_names",
                                         "0005_rating_tablets",
                                         "0006_online_booking", "0007_audit_table", "0008_booking_requests",
                                         "0009_printer_agent_devices", "0010_promised_waits",
                                         "0011_field_short_names", "0012_hall_health", "0013_audit_by_ticket"]
    for table in KEPT:
        after = rows(db, RENAMED.get(table, table))
        assert [{k: row[k] for k in old_row} for row, old_row in zip(after, before[table])] == before[table]
        assert len(after) == len(before[table]) > 0
    new = [row for table in ("tickets", "tokens") for row in rows(db, table)]
    assert {row.get("device_id") for row in new} == {None} and {row.get("revoked_at") for row in new} == {None}
    assert db.execute("SELECT value FROM settings WHERE key = 'notice'").fetchone()[0] == "Trung tâm nghỉ chiều thứ Bảy."
    assert db.execute("SELECT count(*) FROM settings WHERE key = 'secret_key'").fetchone()[0] == 0
    assert pending_migrations(db) == []


def test_the_migrated_database_has_the_shape_of_a_new_one(old_path, config, tmp_path):
    migrated = connect(str(old_path))
    init_database(migrated, config)
    fresh = connect(str(tmp_path / "fresh.db"))
    init_database(fresh, replace(config, database=replace(config.database, path=str(tmp_path / "fresh.db"))))
    assert shape(migrated) == shape(fresh)
    assert {"sessions", "devices", "bookings", "outbox", "_sqlite_migrations"} <= set(shape(fresh))


def test_old_tokens_tickets_and_new_tables_work_after_the_upgrade(old_path, config):
    db = connect(str(old_path))
    init_database(db, config)
    lan = auth.identify(db, "lan-officer-token-0001")
    assert lan == {"id": 1, "role": "officer", "name": "Nguyễn Thị Lan"}
    session = auth.open_session(db, lan["id"], AT)
    assert auth.session_holder(db, session, AT)["name"] == "Nguyễn Thị Lan"
    assert auth.revoke_token(db, 1, AT) and auth.identify(db, "lan-officer-token-0001") is None
    assert auth.session_holder(db, session, AT) is None
    kiosk, _secret = auth.enrol_device(db, auth.invite_device(db, "kiosk", "Sảnh", None, AT), AT)
    ticket = queue.issue_ticket(db, "HT", False, AT, device_id=kiosk["id"])
    assert db.execute("SELECT device_id FROM tickets WHERE id = ?", (ticket["id"],)).fetchone()[0] == kiosk["id"]
    assert queue.ticket_by_token(db, "tok-Chung-thuc-2001")["number"] == "2001"


def test_a_backup_is_taken_before_migrating_and_only_then(old_path, config):
    db = connect(str(old_path))
    init_database(db, config)
    backups = list(old_path.parent.glob("motcua.db.before-upgrade-*"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as copy:
        assert copy.execute("SELECT count(*) FROM tickets").fetchone()[0] == 5
        assert copy.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sessions'").fetchone()[0] == 0
    copy.close()
    assert init_database(db, config) == []
    assert len(list(old_path.parent.glob("motcua.db.before-upgrade-*"))) == 1


def test_a_new_database_starts_current_without_a_backup(config, tmp_path):
    db = connect(config["database"]["path"])
    assert init_database(db, config) == []
    assert pending_migrations(db) == []
    assert [m.name for m in STEPS.applied(db)] == [m.name for m in STEPS.pending(connect(":memory:"))]
    assert list(tmp_path.glob("*.before-upgrade-*")) == []


def test_init_says_which_migrations_it_applied(tmp_path):
    server = Server(tmp_path, "threading")
    with sqlite3.connect(tmp_path / "motcua.db") as old:
        old.executescript(FIXTURE.read_text(encoding="utf-8"))
    old.close()
    first = server.cli("init")
    assert "0001_devices_and_sessions, 0002_cookie_key_out_of_database" in first and "Database ready" in first
    assert "Database upgraded" not in server.cli("init")


def test_a_development_build_database_without_migration_records_upgrades_too(config):
    """Builds between 0.1 and migrations made today's tables with CREATE IF NOT EXISTS and
    recorded nothing: every step must accept what they already made."""
    with sqlite3.connect(config["database"]["path"]) as made:
        made.executescript(SCHEMA.read_text(encoding="utf-8"))
    made.close()
    db = connect(config["database"]["path"])
    assert init_database(db, config) == [step.name for step in STEPS.pending(connect(":memory:"))]
    assert pending_migrations(db) == []
