"""The one place that opens SQLite connections (and pools them) and applies schema.sql.

Every connection is opened here with the same pragmas: WAL so displays read
while a kiosk writes, a busy timeout so writers queue instead of failing, and
foreign keys on. Writes go through `immediate()`, which takes the write lock
up front (BEGIN IMMEDIATE): a deferred transaction that reads and then writes
can fail or race when two kiosks press at once.
"""
import secrets
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

SCHEMA = Path(__file__).resolve().parent.parent / "schema.sql"


def connect(path: str) -> sqlite_utils.Database:
    """Open a connection; it is used by one thread (or request) at a time."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return sqlite_utils.Database(conn)


class Pool:
    """Idle connections kept open between requests.

    A fresh connection per request starts with a cold page cache and, being
    the last one to close, checkpoints the WAL on close: measured at about
    2 ms of a 3.5 ms call-next. Each request takes a connection of its own
    and gives it back, so a connection never serves two requests at once.
    """

    def __init__(self, path: str, keep: int = 8):
        self.path = path
        self.keep = keep
        self._idle: list[sqlite_utils.Database] = []
        self._lock = threading.Lock()

    def acquire(self) -> sqlite_utils.Database:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return connect(self.path)

    def release(self, db: sqlite_utils.Database) -> None:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(db)
                return
        db.conn.close()


@contextmanager
def immediate(db: sqlite_utils.Database):
    """A short write transaction holding the write lock from its first statement."""
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def init_database(db: sqlite_utils.Database, config: dict) -> None:
    """Apply the schema, bring fields in line with config, seed counters once.

    Field names and numbering follow config.yaml at every start; whether a
    field or counter is open is live state the supervisor owns, so a restart
    never undoes what was changed during the day.
    """
    db.conn.executescript(SCHEMA.read_text(encoding="utf-8"))
    if "name_en" not in db["services"].columns_dict:  # databases made before fields had English names
        db.execute("ALTER TABLE services ADD COLUMN name_en TEXT NOT NULL DEFAULT ''")
    with immediate(db):
        for position, service in enumerate(config["services"]):
            db.execute(
                """INSERT INTO services (code, name, name_en, prefix, start, digits, daily_cap, open, position)
                   VALUES (:code, :name, :name_en, :prefix, :start, :digits, :daily_cap, :open, :position)
                   ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en,
                     prefix = excluded.prefix,
                     start = excluded.start, digits = excluded.digits,
                     daily_cap = excluded.daily_cap, position = excluded.position""",
                {**service, "position": position},
            )
        if not db.execute("SELECT 1 FROM counters LIMIT 1").fetchone():
            for position, counter in enumerate(config["counters"]):
                counter_id = db.execute(
                    "INSERT INTO counters (name, open, position) VALUES (?, ?, ?)",
                    (counter["name"], counter["open"], position),
                ).lastrowid
                db.conn.executemany(
                    "INSERT INTO counter_services (counter_id, service, position) VALUES (?, ?, ?)",
                    [(counter_id, code, i) for i, code in enumerate(counter["services"])],
                )
        db.execute(
            "INSERT OR IGNORE INTO settings (key, value) VALUES ('secret_key', ?)",
            (secrets.token_hex(32),),
        )


def setting(db: sqlite_utils.Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None
