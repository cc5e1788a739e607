"""Schema and start-up sync: config owns names and numbering, the supervisor owns live state."""
import sqlite3
import threading

import pytest

from shared import blocking, counters, hall, queue
from shared.config import validate
from shared.db import connect, immediate, init_database


def test_restart_keeps_live_state_but_follows_config_names(db, raw_config, clock):
    counters.update_counter(db, 2, {"open": False}, clock())
    db.execute("UPDATE services SET open = 0 WHERE code = 'DD'")
    raw_config["services"][0]["name"] = "Hộ tịch - Chứng thực"
    init_database(db, validate(raw_config))
    assert hall.counter(db, 2)["open"] is False
    names = {s["code"]: s for s in hall.services(db, clock())}
    assert names["HT"]["name"] == "Hộ tịch - Chứng thực" and names["DD"]["open"] is False
    assert len(hall.counters(db)) == 7  # counters are seeded only once


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


@pytest.fixture
def offloaded(monkeypatch):
    """Count the statements sent to a worker thread (blocking.run, as under eventlet)."""
    jobs = []

    def run(job):
        jobs.append(job)
        return job()

    monkeypatch.setattr(blocking, "run", run)
    return jobs


def test_a_free_write_lock_is_taken_without_a_worker_thread(config, db, offloaded):
    with immediate(db):
        db.execute("UPDATE counters SET name = name")
    assert len(offloaded) == 1  # the COMMIT (an fsync) only

    other_process = sqlite3.connect(config["database"]["path"], isolation_level=None, check_same_thread=False)
    other_process.execute("BEGIN IMMEDIATE")
    threading.Timer(0.2, other_process.execute, ("COMMIT",)).start()
    offloaded.clear()
    with immediate(db):
        db.execute("UPDATE counters SET name = name")
    assert len(offloaded) == 2  # BEGIN waited for the other process on a worker, then the COMMIT
    other_process.close()


def test_writers_of_one_process_queue_for_each_other_not_for_sqlite(config, db, offloaded):
    """The second writer waits on the process's lock and is woken by the first one's
    commit, so its BEGIN finds SQLite's lock free (never SQLite's polling busy wait)."""
    inside, release = threading.Event(), threading.Event()

    def first_writer():
        with immediate(db):
            inside.set()
            release.wait(5)

    first = threading.Thread(target=first_writer)
    first.start()
    assert inside.wait(5)
    second = connect(config["database"]["path"])
    offloaded.clear()  # its pragmas
    done = threading.Event()

    def second_writer():
        with immediate(second):
            second.execute("UPDATE counters SET name = 'after' WHERE id = 1")
        done.set()

    threading.Thread(target=second_writer).start()
    assert not done.wait(0.2)
    release.set()
    first.join(5)
    assert done.wait(5)
    assert len(offloaded) == 2  # two COMMITs; neither BEGIN needed a worker
    assert hall.counter(db, 1)["name"] == "after"


def test_a_writer_held_up_past_the_busy_timeout_gets_database_is_locked(config, db):
    impatient = connect(config["database"]["path"], busy_timeout_s=0.2)
    with immediate(db):
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            with immediate(impatient):
                pass
    with immediate(impatient):  # and the lock is free again afterwards
        impatient.execute("UPDATE counters SET name = name")
