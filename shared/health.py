"""What /healthz reports: a check a monitor or an IT officer can run at any time.

Plain functions over the database path, so that the check uses a connection of
its own (not the pool's) with a short wait: a database held by a stuck writer
answers "not writable" within a second instead of hanging the probe.
"""
import sqlite3
from importlib.metadata import PackageNotFoundError, version as package_version

from .db import connect, pending_migrations

WAIT_S = 1


def version() -> str:
    try:
        return package_version("motcua")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def check_database(path: str) -> dict:
    """Reachable (a read works), writable (a write is accepted, then rolled back),
    and which migrations are still pending."""
    report = {"reachable": False, "writable": False, "pending_migrations": [], "error": None}
    try:
        db = connect(path, busy_timeout_s=WAIT_S)
    except sqlite3.Error as exc:
        report["error"] = str(exc)
        return report
    try:
        report["pending_migrations"] = pending_migrations(db)
        report["reachable"] = True
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES ('healthz', '')")
        report["writable"] = True
    except sqlite3.Error as exc:
        report["error"] = str(exc)
    finally:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        db.conn.close()
    return report
