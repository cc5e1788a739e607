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


def test_the_database_its_journal_and_its_copies_are_private_and_old_upgrade_copies_go(tmp_path):
    """Issue 24, low 11: the database, its WAL and backups were created 0644 (readable by
    every account on the PC) and copies taken before upgrades were never deleted."""
    import os
    import stat
    from datetime import datetime, timedelta

    from shared.db import backup, connect, drop_old_upgrade_backups

    path = tmp_path / "motcua.db"
    path.touch(mode=0o644)  # as an older release left it
    os.chmod(path, 0o644)
    db = connect(str(path))
    db.execute("CREATE TABLE t (x)")
    db.execute("INSERT INTO t VALUES (1)")
    for name in (path, tmp_path / "motcua.db-wal"):
        assert stat.S_IMODE(os.stat(name).st_mode) == 0o600, name
    copy = backup(db, tmp_path / "backups" / "motcua-Mon.db")
    assert stat.S_IMODE(os.stat(copy).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(copy.parent).st_mode) == 0o700
    db.conn.close()
    fresh = tmp_path / "new" / "motcua.db"
    connect(str(fresh)).conn.close()
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o600
    old, recent = tmp_path / "motcua.db.before-upgrade-20260101-080000", tmp_path / "motcua.db.before-upgrade-20261201-080000"
    for name, age in ((old, 40), (recent, 5)):
        name.write_bytes(b"x")
        moment = (datetime.now() - timedelta(days=age)).timestamp()
        os.utime(name, (moment, moment))
    assert drop_old_upgrade_backups(str(path), 30, datetime.now()) == [old]
    assert recent.exists() and not old.exists()
