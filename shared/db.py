"""The one place that opens SQLite connections (and pools them), makes or upgrades
the database (schema.sql, shared/migrations.py) and copies it (backups).

Every connection is opened here with the same pragmas: WAL so displays read
while a kiosk writes, a busy timeout so writers queue instead of failing, and
foreign keys on. Writes go through `immediate()`, which takes the write lock
up front (BEGIN IMMEDIATE): a deferred transaction that reads and then writes
can fail or race when two kiosks press at once.

A write that cannot get the lock within BUSY_TIMEOUT_S fails with "database is
locked", which the app answers with 503 `busy` ("thử lại"), never a 500.

Under eventlet a blocking SQLite call would freeze every screen, so the server
entry point sets `blocking.run` to eventlet's thread pool: each statement that
may wait (for the write lock, for the disk) then runs on a real OS thread (see
OffloadedConnection). Long computations over many rows (reports) run there whole.
"""
import logging
import os
import secrets
import sqlite3
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import sqlite_utils

from . import blocking
from .migrations import STEPS

SCHEMA = Path(__file__).resolve().parent / "schema.sql"
BUSY_TIMEOUT_S = 5
log = logging.getLogger("motcua.db")


class _Rows:
    """A statement's whole result, read on the worker thread: what an offloaded
    `execute` returns in place of a cursor (the cursor API that sqlite-utils and
    the domain use)."""

    def __init__(self, cursor: sqlite3.Cursor):
        self.description = cursor.description
        self.lastrowid = cursor.lastrowid
        self._rows = cursor.fetchall()
        self.rowcount = cursor.rowcount
        self._next = 0

    def fetchone(self):
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self):
        rows, self._next = self._rows[self._next:], len(self._rows)
        return rows

    def fetchmany(self, size=1):
        rows = self._rows[self._next:self._next + size]
        self._next += len(rows)
        return rows

    def __iter__(self):
        while (row := self.fetchone()) is not None:
            yield row

    def close(self):
        self._rows = []


class OffloadedConnection(sqlite3.Connection):
    """A connection whose statements that may wait run through `blocking.run` (a
    no-op call outside eventlet), so a lock wait or a slow fsync never stalls the
    event loop.

    What may wait: taking the write lock (BEGIN), making it durable (COMMIT, an
    fsync), and a write outside a transaction (it takes the lock itself). Reads
    never wait for a writer in WAL mode, and statements inside a transaction
    already hold the lock, so they run inline: a thread hand-off per statement
    doubled the cost of a call (bench note in docs/performance.md). BEGIN is
    first tried inline without waiting, since within one process `immediate()`
    queues writers and the lock is nearly always free; only when another process
    holds it does the wait go to a worker thread.

    `write_lock` (this process's queue of writers to the file) and
    `busy_timeout_s` are set by `connect`."""

    write_lock: threading.Lock
    busy_timeout_s: float

    def _may_wait(self, head: str) -> bool:
        """`head`: the statement's first six characters, upper-cased."""
        return head.startswith(("BEGIN", "COMMIT")) or not (self.in_transaction or head.startswith("SELECT"))

    def execute(self, sql, parameters=()):
        head = sql.lstrip()[:6].upper()
        if not self._may_wait(head):
            return super().execute(sql, parameters)
        if head.startswith("BEGIN") and (cursor := self._begin_at_once(sql)) is not None:
            return cursor
        return blocking.run(lambda: _Rows(super(OffloadedConnection, self).execute(sql, parameters)))

    def _begin_at_once(self, sql: str) -> sqlite3.Cursor | None:
        """BEGIN inline with no busy wait; None when another connection holds the lock."""
        super().execute("PRAGMA busy_timeout = 0")
        try:
            return super().execute(sql)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                raise
            return None
        finally:
            super().execute(f"PRAGMA busy_timeout = {round(self.busy_timeout_s * 1000)}")

    def executemany(self, sql, seq_of_parameters):
        return blocking.run(lambda: _Rows(super(OffloadedConnection, self).executemany(sql, seq_of_parameters)))

    def executescript(self, script):
        return blocking.run(lambda: _Rows(super(OffloadedConnection, self).executescript(script)))


_write_locks: dict[str, threading.Lock] = {}
_write_locks_guard = threading.Lock()


def _write_lock(path: str) -> threading.Lock:
    """One lock per database file in this process (each in-memory database is its own)."""
    if path == ":memory:":
        return threading.Lock()
    with _write_locks_guard:
        return _write_locks.setdefault(os.path.realpath(path), threading.Lock())


def connect(path: str, busy_timeout_s: float = BUSY_TIMEOUT_S) -> sqlite_utils.Database:
    """Open a connection; it is used by one thread (or request) at a time."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_s, check_same_thread=False,
                           factory=OffloadedConnection)
    if path != ":memory:":
        keep_private(path)
    conn.row_factory = sqlite3.Row
    conn.write_lock = _write_lock(path)
    conn.busy_timeout_s = busy_timeout_s
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
    """A short write transaction holding the write lock from its first statement.

    Writers of this process queue on the connection's `write_lock` first: they are
    woken the moment the one before them commits, where SQLite's busy handler
    would poll with sleeps of up to 100 ms. Other processes still meet at
    SQLite's lock. Either wait ends after the busy timeout ("database is locked")."""
    lock = db.conn.write_lock
    if not lock.acquire(timeout=db.conn.busy_timeout_s):
        raise sqlite3.OperationalError("database is locked")
    try:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:  # SQLite itself rolls back on some errors (a full disk)
                db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")
    finally:
        lock.release()


def init_database(db: sqlite_utils.Database, config) -> list[str]:
    """Make or upgrade the schema, bring fields in line with config, seed counters once.

    Returns the names of the migrations applied (empty when there were none).
    Field names and numbering follow config.yaml at every start; whether a
    field or counter is open is live state the supervisor owns, so a restart
    never undoes what was changed during the day.
    """
    applied = upgrade(db, config.database.path)
    with immediate(db):
        for position, service in enumerate(config.services):
            db.execute(
                """INSERT INTO services (code, name, name_en, short_name, prefix, start, digits, daily_cap, open,
                                        position)
                   VALUES (:code, :name, :name_en, :short_name, :prefix, :start, :digits, :daily_cap, :open,
                           :position)
                   ON CONFLICT (code) DO UPDATE SET name = excluded.name, name_en = excluded.name_en,
                     short_name = excluded.short_name,
                     prefix = excluded.prefix,
                     start = excluded.start, digits = excluded.digits,
                     daily_cap = excluded.daily_cap, position = excluded.position""",
                {**service, "position": position},
            )
        if not db.execute("SELECT 1 FROM counters LIMIT 1").fetchone():
            for position, counter in enumerate(config.counters):
                counter_id = db.execute(
                    "INSERT INTO counters (name, open, position) VALUES (?, ?, ?)",
                    (counter.name, counter.open, position),
                ).lastrowid
                db.conn.executemany(
                    "INSERT INTO counter_services (counter_id, service, position) VALUES (?, ?, ?)",
                    [(counter_id, code, i) for i, code in enumerate(counter.services)],
                )
    return applied


def upgrade(db: sqlite_utils.Database, path: str) -> list[str]:
    """A new database gets schema.sql with every migration marked applied; an older
    one gets the migrations it lacks, after a backup beside it (`before_upgrade`).
    Each under the write lock, so two processes starting at once upgrade once.
    Returns the names this call applied."""
    if _create(db) or not pending_migrations(db):
        return []
    if path != ":memory:":
        copy = backup(db, before_upgrade(path))  # outside the lock: SQLite's backup waits for it
        log.info("backup before upgrading: %s", copy)
    with immediate(db):
        names = pending_migrations(db)
        STEPS.apply(db)
    return names


def _create(db: sqlite_utils.Database) -> bool:
    """Make a new database from schema.sql; False when it already has one."""
    with immediate(db):
        if "tickets" in db.table_names():
            return False
        for statement in _statements(SCHEMA.read_text(encoding="utf-8")):
            db.execute(statement)
        STEPS.ensure_migrations_table(db)
        stamp = str(datetime.now().astimezone())
        db[STEPS.migrations_table].insert_all(
            {"migration_set": STEPS.name, "name": step.name, "applied_at": stamp} for step in STEPS.pending(db))
    return True


def _statements(script: str) -> list[str]:
    """schema.sql split into statements, so that it runs in one transaction
    (executescript would commit on its own)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current)
            current = ""
    return statements


def pending_migrations(db: sqlite_utils.Database) -> list[str]:
    """What `upgrade` would still apply (for /healthz)."""
    return [step.name for step in STEPS.pending(db)]


PRIVATE = 0o600  # the database, its WAL and every copy hold citizens' personal data


def keep_private(path: str | os.PathLike) -> None:
    """Only motcua's own user may read the database and its journal files: they hold
    phone and CCCD numbers. SQLite gives a new WAL the database file's mode, so a
    database made or found readable by others is made private (files an older release
    made 0644 included)."""
    for name in (str(path), f"{path}-wal", f"{path}-shm"):
        try:
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, PRIVATE)
        except FileNotFoundError:
            if name == str(path):  # SQLite creates it next: create it private first
                os.close(os.open(name, os.O_WRONLY | os.O_CREAT, PRIVATE))


def drop_old_upgrade_backups(path: str, keep_days: int, at: datetime) -> list[Path]:
    """The copies taken before upgrades hold personal data too: deleted once older than
    booking.keep_days, like the data itself. Returns what was deleted."""
    database = Path(path)
    gone = []
    for copy in database.parent.glob(database.name + ".before-upgrade-*"):
        if at.timestamp() - copy.stat().st_mtime > keep_days * 86400:
            copy.unlink(missing_ok=True)
            gone.append(copy)
    return gone


def before_upgrade(path: str) -> Path:
    """Where the copy taken before migrating goes: beside the database, dated."""
    return Path(f"{path}.before-upgrade-{datetime.now():%Y%m%d-%H%M%S}")


def backup(db: sqlite_utils.Database, target: str | os.PathLike) -> Path:
    """A consistent copy of the live database through SQLite's online backup API:
    writers keep going, and the copy is one point in time. Written to a temporary
    name and renamed, so a half-written file never looks like a backup."""
    target = Path(target)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))  # private before a byte is in it
    copy = sqlite3.connect(partial)
    try:
        blocking.run(lambda: db.conn.backup(copy))
    finally:
        copy.close()
    os.replace(partial, target)
    return target


def secret_key(database_path: str) -> str:
    """The key that signs cookies: a 0600 file beside the database, made once.

    Kept out of the database so that a copied backup cannot forge a cookie; an
    in-memory database gets a key for this process only."""
    if database_path == ":memory:":
        return secrets.token_hex(32)
    path = Path(database_path + ".secret")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()


def process_alive(pid: int) -> bool:
    """Whether a process of this machine is still running: rows a server process keeps
    for its live connections (printer agents, screens) die with it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
