"""Schema and start-up sync: config owns names and numbering, the supervisor owns live state."""
import sqlite3

import pytest

from shared import queue
from shared.db import connect, immediate, init_database


def test_restart_keeps_live_state_but_follows_config_names(db, config, clock):
    queue.update_counter(db, 2, {"open": False}, clock())
    db.execute("UPDATE services SET open = 0 WHERE code = 'DD'")
    config["services"][0]["name"] = "Hộ tịch - Chứng thực"
    init_database(db, config)
    assert queue.counter(db, 2)["open"] is False
    names = {s["code"]: s for s in queue.services(db, clock())}
    assert names["HT"]["name"] == "Hộ tịch - Chứng thực" and names["DD"]["open"] is False
    assert len(queue.counters(db)) == 7  # counters are seeded only once


def test_a_counter_cannot_hold_two_current_tickets(db, clock):
    for _ in range(2):
        queue.issue_ticket(db, "HT", False, clock.tick())
    db.execute("UPDATE tickets SET status = 'called', counter_id = 1 WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE tickets SET status = 'called', counter_id = 1 WHERE id = 2")


def test_immediate_rolls_back_on_error(db):
    with pytest.raises(RuntimeError):
        with immediate(db):
            db.execute("UPDATE counters SET name = 'x'")
            raise RuntimeError
    assert db.execute("SELECT count(*) FROM counters WHERE name = 'x'").fetchone()[0] == 0


def test_connections_use_wal(config, db):
    other = connect(config["database"]["path"])
    assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert other.execute("PRAGMA foreign_keys").fetchone()[0] == 1
