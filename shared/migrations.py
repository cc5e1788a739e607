"""Schema changes since the first release, as sqlite-utils migrations.

A new database is made from schema.sql (the current schema, with its comments)
and every step below is recorded as already applied. A database made by an
earlier release runs the steps it lacks, in order, each in one transaction
with its record in `_sqlite_migrations`. So a change to a table means: edit
schema.sql, and add a step here that brings an old database to the same place
(tests/test_migrations.py compares the two).

Steps are history: once released, a step is never edited, only followed by
another. The first ones tolerate the development builds between releases,
which already had some of their columns.
"""
from sqlite_utils.migrations import Migrations

STEPS = Migrations("motcua")


@STEPS(name="0001_devices_and_sessions")
def devices_and_sessions(db):
    """Device credentials and server-side sessions (the release after 0.1)."""
    for table, column, kind in (("tickets", "device_id", int), ("tokens", "revoked_at", str)):
        if column not in db[table].columns_dict:
            db[table].add_column(column, kind)
    db.execute("""CREATE TABLE IF NOT EXISTS sessions (
        hash       TEXT PRIMARY KEY,
        token_id   INTEGER NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        seen_at    TEXT NOT NULL)""")
    db.execute("CREATE INDEX IF NOT EXISTS sessions_token ON sessions (token_id)")
    db.execute("""CREATE TABLE IF NOT EXISTS devices (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        kind          TEXT NOT NULL CHECK (kind IN ('kiosk', 'rating')),
        name          TEXT NOT NULL,
        counter_id    INTEGER REFERENCES counters(id),
        hash          TEXT UNIQUE,
        invite_hash   TEXT UNIQUE,
        invite_until  TEXT,
        created_at    TEXT NOT NULL,
        enrolled_at   TEXT,
        revoked_at    TEXT)""")
    db.execute("CREATE INDEX IF NOT EXISTS tickets_device ON tickets (device_id, issued_at)")


@STEPS(name="0002_cookie_key_out_of_database")
def cookie_key_out_of_database(db):
    """Release 0.1 kept the cookie-signing key in `settings`, where a copied backup
    could forge a supervisor's cookie; it now lives in a file beside the database."""
    db.execute("DELETE FROM settings WHERE key = 'secret_key'")


@STEPS(name="0003_printer_agents")
def printer_agents(db):
    """Printer agents seen from every server process (server.message_queue)."""
    db.execute("""CREATE TABLE IF NOT EXISTS printer_agents (
        sid          TEXT PRIMARY KEY,
        kiosk        TEXT NOT NULL,
        pid          INTEGER NOT NULL,
        connected_at TEXT NOT NULL)""")


@STEPS(name="0004_english_field_names")
def english_field_names(db):
    """services.name_en: the kiosk's English mode shows fields in English."""
    if "name_en" not in db["services"].columns_dict:
        db["services"].add_column("name_en", str, not_null_default="")


@STEPS(name="0005_rating_tablets")
def rating_tablets(db):
    """When each counter's rating tablet last asked: its counter holds the next call for a rating."""
    db.execute("""CREATE TABLE IF NOT EXISTS rating_tablets (
        counter_id INTEGER PRIMARY KEY REFERENCES counters(id),
        seen_at    TEXT NOT NULL)""")


@STEPS(name="0006_online_booking")
def online_booking(db):
    """Online booking (bookings, booking_closures) and the outbox of notices to citizens."""
    db.execute("""CREATE TABLE IF NOT EXISTS bookings (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    token         TEXT NOT NULL UNIQUE,
    service       TEXT NOT NULL REFERENCES services(code),
    day           TEXT NOT NULL,
    slot          TEXT NOT NULL,
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL,
    id_number     TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'booked'
                  CHECK (status IN ('booked', 'checked_in', 'cancelled')),
    created_at    TEXT NOT NULL,
    client        TEXT NOT NULL DEFAULT '',
    checked_in_at TEXT,
    ticket_id     INTEGER REFERENCES tickets(id),
    cancelled_at  TEXT,
    cancel_reason TEXT,
    reminded      INTEGER NOT NULL DEFAULT 0,
    near_turn     INTEGER NOT NULL DEFAULT 0,
    erased_at     TEXT
)""")
    db.execute("""CREATE UNIQUE INDEX IF NOT EXISTS bookings_one_per_phone
    ON bookings (phone, service, day) WHERE status IN ('booked', 'checked_in') AND erased_at IS NULL""")
    db.execute("""CREATE INDEX IF NOT EXISTS bookings_slot ON bookings (day, service, slot, status)""")
    db.execute("""CREATE INDEX IF NOT EXISTS bookings_ticket ON bookings (ticket_id)""")
    db.execute("""CREATE INDEX IF NOT EXISTS bookings_created ON bookings (created_at)""")
    db.execute("""CREATE TABLE IF NOT EXISTS booking_closures (
    day     TEXT NOT NULL,
    service TEXT NOT NULL DEFAULT '',
    slot    TEXT NOT NULL DEFAULT '',
    reason  TEXT NOT NULL DEFAULT '',
    at      TEXT NOT NULL,
    PRIMARY KEY (day, service, slot)
)""")
    db.execute("""CREATE TABLE IF NOT EXISTS outbox (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    booking_id    INTEGER REFERENCES bookings(id),
    phone         TEXT NOT NULL,
    message       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    next_at       TEXT NOT NULL,
    claimed_until TEXT,
    sent_at       TEXT,
    last_error    TEXT
)""")
    db.execute("""CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_at)""")


@STEPS(name="0007_audit_table")
def audit_table(db):
    """The audit log's table is `audit`: `events` is the module that pushes Socket.IO events."""
    if "audit" not in db.table_names():  # a development build may have made it already
        db.execute("ALTER TABLE events RENAME TO audit")
    db.execute("DROP INDEX IF EXISTS events_at")
    db.execute("DROP INDEX IF EXISTS events_counter_kind")
    db.execute("CREATE INDEX IF NOT EXISTS audit_at ON audit (at)")
    db.execute("CREATE INDEX IF NOT EXISTS audit_counter_kind ON audit (counter_id, kind)")


@STEPS(name="0008_booking_requests")
def booking_requests(db):
    """Booking confirmed by a code texted to the phone; limits per network, phone and ID (issue 24)."""
    db.execute("""CREATE TABLE IF NOT EXISTS booking_requests (
    id         INTEGER PRIMARY KEY,
    token      TEXT NOT NULL UNIQUE,
    code_hash  TEXT NOT NULL,
    tries      INTEGER NOT NULL DEFAULT 0,
    service    TEXT NOT NULL,
    day        TEXT NOT NULL,
    slot       TEXT NOT NULL,
    name       TEXT NOT NULL,
    phone      TEXT NOT NULL,
    id_number  TEXT NOT NULL DEFAULT '',
    client     TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    booking_id INTEGER REFERENCES bookings(id)
)""")
    db.execute("CREATE INDEX IF NOT EXISTS booking_requests_client ON booking_requests (client, created_at)")
    db.execute("CREATE INDEX IF NOT EXISTS booking_requests_phone ON booking_requests (phone, created_at)")
    db.execute("CREATE INDEX IF NOT EXISTS booking_requests_id_number ON booking_requests (id_number, created_at)")


@STEPS(name="0009_printer_agent_devices")
def printer_agent_devices(db):
    """A printer agent connects with its kiosk's device credential, not an officer token (issue 24)."""
    if "device_id" not in db["printer_agents"].columns_dict:
        db["printer_agents"].add_column("device_id", int, fk="devices", fk_col="id")


@STEPS(name="0010_promised_waits")
def promised_waits(db):
    """What each citizen was told about the wait, to compare with what happened."""
    db.execute("""CREATE TABLE IF NOT EXISTS promises (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    at        TEXT NOT NULL,
    source    TEXT NOT NULL CHECK (source IN ('kiosk', 'phone')),
    minutes   INTEGER,
    late      INTEGER NOT NULL DEFAULT 0,
    reason    TEXT
)""")
    db.execute("CREATE INDEX IF NOT EXISTS promises_ticket ON promises (ticket_id, id)")


@STEPS(name="0011_field_short_names")
def field_short_names(db):
    """services.short_name: the hall display shows "LĐ-TB&XH", never a cut "Lao động - Thươ…"."""
    if "short_name" not in db["services"].columns_dict:
        db["services"].add_column("short_name", str, not_null_default="")


@STEPS(name="0012_hall_health")
def hall_health(db):
    """Presence and device reports (`screens`); hall displays may be enrolled (devices.kind)."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'devices'").fetchone()[0]
    if "'display'" not in sql:  # SQLite cannot alter a CHECK: the table is rebuilt, rows and ids kept
        # Not by renaming the old table away: SQLite would point printer_agents' REFERENCES
        # (step 0009) at the old name. The new table takes the name instead; the agents'
        # rows are connections of a server that is not running, so none is live.
        db.execute("DELETE FROM printer_agents")
        db.execute("""CREATE TABLE devices_new (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        kind          TEXT NOT NULL CHECK (kind IN ('kiosk', 'rating', 'display')),
        name          TEXT NOT NULL,
        counter_id    INTEGER REFERENCES counters(id),
        hash          TEXT UNIQUE,
        invite_hash   TEXT UNIQUE,
        invite_until  TEXT,
        created_at    TEXT NOT NULL,
        enrolled_at   TEXT,
        revoked_at    TEXT)""")
        db.execute("INSERT INTO devices_new SELECT id, kind, name, counter_id, hash, invite_hash, invite_until,"
                   " created_at, enrolled_at, revoked_at FROM devices")
        db.execute("DROP TABLE devices")
        db.execute("ALTER TABLE devices_new RENAME TO devices")
    db.execute("""CREATE TABLE IF NOT EXISTS screens (
        sid           TEXT PRIMARY KEY,
        pid           INTEGER NOT NULL,
        kind          TEXT NOT NULL,
        device_id     INTEGER REFERENCES devices(id),
        token_id      INTEGER REFERENCES tokens(id),
        session_hash  TEXT,
        counter_id    INTEGER REFERENCES counters(id),
        officer       TEXT,
        since         TEXT,
        connected_at  TEXT NOT NULL,
        gone_at       TEXT,
        present_until TEXT,
        reported_at   TEXT,
        report        TEXT)""")
    db.execute("CREATE INDEX IF NOT EXISTS screens_counter ON screens (counter_id)")
    db.execute("CREATE INDEX IF NOT EXISTS screens_device ON screens (device_id)")


@STEPS(name="0013_audit_by_ticket")
def audit_by_ticket(db):
    """A ticket's history found by index: whether a counter has called it (queue.WARNED, asked
    for every waiting ticket after closing), its transfer and reprints."""
    db.execute("CREATE INDEX IF NOT EXISTS audit_ticket ON audit (ticket_id)")
