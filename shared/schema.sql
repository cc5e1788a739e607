-- motcua database schema: what a new database is made from. A database made by an
-- earlier release is brought to the same place by shared/migrations.py, so any change
-- here needs a migration step there too (tests/test_migrations.py compares them).
-- Times are ISO 8601 strings in the center's time zone; `day` is the center's
-- local date (YYYY-MM-DD), which is what makes numbers restart every day.

PRAGMA foreign_keys = ON;

CREATE TABLE IF NOT EXISTS settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Procedure fields (lĩnh vực). Names and numbering come from config.yaml at
-- every start; `open` is live state that a supervisor changes.
CREATE TABLE IF NOT EXISTS services (
    code      TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    prefix    TEXT NOT NULL DEFAULT '',
    start     INTEGER NOT NULL DEFAULT 1,
    digits    INTEGER NOT NULL DEFAULT 1,
    daily_cap INTEGER,
    open      INTEGER NOT NULL DEFAULT 1,
    position  INTEGER NOT NULL DEFAULT 0,
    name_en   TEXT NOT NULL DEFAULT '',    -- English name for the kiosk's English mode
    short_name TEXT NOT NULL DEFAULT ''    -- the hall display's name when the full one is too long
);

CREATE TABLE IF NOT EXISTS counters (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL,
    open     INTEGER NOT NULL DEFAULT 1,
    paused   INTEGER NOT NULL DEFAULT 0,
    position INTEGER NOT NULL DEFAULT 0
);

-- Which fields a counter serves, in the order the officer sees them.
CREATE TABLE IF NOT EXISTS counter_services (
    counter_id INTEGER NOT NULL REFERENCES counters(id) ON DELETE CASCADE,
    service    TEXT NOT NULL REFERENCES services(code),
    position   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (counter_id, service)
);

-- Last number issued per field per day. Allocation is one UPSERT ... RETURNING
-- inside BEGIN IMMEDIATE, so two kiosks can never get the same number.
CREATE TABLE IF NOT EXISTS sequences (
    day     TEXT NOT NULL,
    service TEXT NOT NULL REFERENCES services(code),
    last    INTEGER NOT NULL,
    PRIMARY KEY (day, service)
);

CREATE TABLE IF NOT EXISTS tickets (
    id          INTEGER PRIMARY KEY,
    day         TEXT NOT NULL,
    service     TEXT NOT NULL REFERENCES services(code),
    issued_service TEXT NOT NULL,          -- field the number was issued in
    seq         INTEGER NOT NULL,
    number      TEXT NOT NULL,             -- printed text, e.g. "1023", "A012"
    priority    INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'waiting'
                CHECK (status IN ('waiting', 'called', 'done', 'no_show', 'cancelled')),
    issued_at   TEXT NOT NULL,
    arrived_at  TEXT NOT NULL,             -- queue position; kept across transfers
    called_at   TEXT,
    finished_at TEXT,
    counter_id  INTEGER REFERENCES counters(id),
    recalls     INTEGER NOT NULL DEFAULT 0,
    token       TEXT NOT NULL UNIQUE,      -- unguessable id for the phone status page
    device_id   INTEGER,                   -- the enrolled kiosk that issued it
    UNIQUE (day, issued_service, seq)
);

-- A counter serves at most one citizen at a time: enforced by the database.
CREATE UNIQUE INDEX IF NOT EXISTS one_current_per_counter
    ON tickets (counter_id) WHERE status = 'called';
-- Waiting counts per field.
CREATE INDEX IF NOT EXISTS tickets_queue
    ON tickets (status, service, priority, arrived_at);
-- Call next: today's waiting tickets of one priority class, oldest first.
CREATE INDEX IF NOT EXISTS tickets_next
    ON tickets (status, day, priority, arrived_at, id);
CREATE INDEX IF NOT EXISTS tickets_day ON tickets (day);
-- Per-kiosk limits: one kiosk's tickets of the last minute.
CREATE INDEX IF NOT EXISTS tickets_device ON tickets (device_id, issued_at);

-- Audit log: every state change, written in the same transaction as the change,
-- so a day can be replayed for reports.
CREATE TABLE IF NOT EXISTS audit (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    ticket_id  INTEGER REFERENCES tickets(id),
    counter_id INTEGER REFERENCES counters(id),
    service    TEXT,
    actor      TEXT,
    data       TEXT
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE INDEX IF NOT EXISTS audit_ticket ON audit (ticket_id);

-- API tokens; only a SHA-256 of each token is stored. A revoked token keeps its
-- row (revoked_at set, hash replaced) so that its id is never handed out again.
CREATE TABLE IF NOT EXISTS tokens (
    id         INTEGER PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('officer', 'supervisor')),
    name       TEXT NOT NULL DEFAULT '',
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);

-- Staff login sessions, kept on the server: the cookie holds a random secret of
-- which only a SHA-256 is stored here. Logout and revoking the token delete them.
CREATE TABLE IF NOT EXISTS sessions (
    hash       TEXT PRIMARY KEY,
    token_id   INTEGER NOT NULL REFERENCES tokens(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    seen_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_token ON sessions (token_id);

-- Enrolled devices: the kiosks that may issue tickets and the tablets that may
-- rate. A supervisor invites one (a one-time enrolment code, `invite_hash`); the
-- device that opens the link gets its own secret (`hash`). AUTOINCREMENT: an id
-- is never reused, so nothing that names a revoked device can name a new one.
CREATE TABLE IF NOT EXISTS devices (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL CHECK (kind IN ('kiosk', 'rating', 'display')),
    name          TEXT NOT NULL,
    counter_id    INTEGER REFERENCES counters(id),
    hash          TEXT UNIQUE,
    invite_hash   TEXT UNIQUE,
    invite_until  TEXT,
    created_at    TEXT NOT NULL,
    enrolled_at   TEXT,
    revoked_at    TEXT
);

-- When each counter's rating tablet last asked what to rate: while it is on, the
-- counter page holds its next call for the rating of the citizen just served
-- (docs/reports.md). In the database, not in memory, so that every server process
-- (server.message_queue) sees the same tablets.
CREATE TABLE IF NOT EXISTS rating_tablets (
    counter_id INTEGER PRIMARY KEY REFERENCES counters(id),
    seen_at    TEXT NOT NULL
);

-- Citizen satisfaction: at most one rating per finished ticket (UNIQUE), given
-- at the counter that finished it. `score` is the answer's place in
-- reports.rating_scale (1 = best); `label` and `satisfied` are kept as they were
-- when rated, so a later change of the scale does not rewrite history.
CREATE TABLE IF NOT EXISTS ratings (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL UNIQUE REFERENCES tickets(id),
    counter_id INTEGER NOT NULL REFERENCES counters(id),
    day        TEXT NOT NULL,
    score      INTEGER NOT NULL,
    label      TEXT NOT NULL,
    satisfied  INTEGER NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ratings_day ON ratings (day);
-- A counter's latest finish (what its rating screen may ask about), found
-- without scanning the whole audit log.
CREATE INDEX IF NOT EXISTS audit_counter_kind ON audit (counter_id, kind);

-- Printer agents connected now (printer.kind: agent), whichever server process
-- holds their connection; `pid` lets a process tell a live agent from one left
-- behind by a killed process.
CREATE TABLE IF NOT EXISTS printer_agents (
    sid          TEXT PRIMARY KEY,
    kiosk        TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    connected_at TEXT NOT NULL,
    device_id    INTEGER REFERENCES devices(id)  -- the kiosk credential it connected with
);

-- Online bookings of a time slot (docs/booking.md). `phone`, `id_number` and
-- `name` are the citizen's personal data: erased (set to '') booking.keep_days
-- after the slot, and shown masked to anyone but the citizen. Places are counted
-- inside the BEGIN IMMEDIATE transaction that inserts, so the last place goes once.
CREATE TABLE IF NOT EXISTS bookings (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,       -- short, read aloud and typed at the kiosk
    token         TEXT NOT NULL UNIQUE,       -- unguessable key of the citizen's /b/<token> page
    service       TEXT NOT NULL REFERENCES services(code),
    day           TEXT NOT NULL,
    slot          TEXT NOT NULL,              -- the slot's start, HH:MM
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL,
    id_number     TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'booked'
                  CHECK (status IN ('booked', 'checked_in', 'cancelled')),
    created_at    TEXT NOT NULL,
    client        TEXT NOT NULL DEFAULT '',   -- the address it came from (rate limit); erased too
    checked_in_at TEXT,
    ticket_id     INTEGER REFERENCES tickets(id),
    cancelled_at  TEXT,
    cancel_reason TEXT,
    reminded      INTEGER NOT NULL DEFAULT 0,
    near_turn     INTEGER NOT NULL DEFAULT 0, -- the "sắp đến lượt" notice was queued
    erased_at     TEXT
);
-- One active booking per phone number, field and day.
CREATE UNIQUE INDEX IF NOT EXISTS bookings_one_per_phone
    ON bookings (phone, service, day) WHERE status IN ('booked', 'checked_in') AND erased_at IS NULL;
CREATE INDEX IF NOT EXISTS bookings_slot ON bookings (day, service, slot, status);
CREATE INDEX IF NOT EXISTS bookings_ticket ON bookings (ticket_id);
CREATE INDEX IF NOT EXISTS bookings_created ON bookings (created_at);

-- Every booking request (docs/booking.md), confirmed or not: the place is taken only
-- when the code texted to the phone comes back (`code_hash`, at most 5 `tries`,
-- until `expires_at`). The rows are what the limits per network (`client`: an IPv4
-- address or an IPv6 /64), per phone and per ID number count, cancelled bookings
-- included; deleted two days after they were made.
CREATE TABLE IF NOT EXISTS booking_requests (
    id         INTEGER PRIMARY KEY,
    token      TEXT NOT NULL UNIQUE,   -- the key the confirming page holds
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
);
CREATE INDEX IF NOT EXISTS booking_requests_client ON booking_requests (client, created_at);
CREATE INDEX IF NOT EXISTS booking_requests_phone ON booking_requests (phone, created_at);
CREATE INDEX IF NOT EXISTS booking_requests_id_number ON booking_requests (id_number, created_at);

-- Days, or slots of one field, a supervisor closed to booking (a holiday, a
-- training). service '' closes every field, slot '' the whole day.
CREATE TABLE IF NOT EXISTS booking_closures (
    day     TEXT NOT NULL,
    service TEXT NOT NULL DEFAULT '',
    slot    TEXT NOT NULL DEFAULT '',
    reason  TEXT NOT NULL DEFAULT '',
    at      TEXT NOT NULL,
    PRIMARY KEY (day, service, slot)
);

-- Notices to citizens (SMS or Zalo through the center's gateway), written in the
-- same transaction as what caused them and sent by a background worker. A
-- worker claims a row with one UPDATE ... RETURNING (status 'sending' until
-- `claimed_until`), so with several processes each notice goes out once; a
-- worker killed mid-send leaves a claim that expires and is taken again.
CREATE TABLE IF NOT EXISTS outbox (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,              -- booked, reminder, near_turn, cancelled
    booking_id    INTEGER REFERENCES bookings(id),
    phone         TEXT NOT NULL,              -- '' once sent or erased
    message       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    next_at       TEXT NOT NULL,
    claimed_until TEXT,
    sent_at       TEXT,
    last_error    TEXT
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_at);

-- What each citizen was told about the wait (docs/reports.md, "Accuracy of waits"): the
-- kiosk's promise at issue, then each change of what the phone page showed. `minutes` is
-- the wait shown (NULL: no figure), `late` the warning "có thể không kịp trong hôm nay".
CREATE TABLE IF NOT EXISTS promises (
    id        INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    at        TEXT NOT NULL,
    source    TEXT NOT NULL CHECK (source IN ('kiosk', 'phone')),
    minutes   INTEGER,
    late      INTEGER NOT NULL DEFAULT 0,
    reason    TEXT
);
CREATE INDEX IF NOT EXISTS promises_ticket ON promises (ticket_id, id);
-- Every trusted live page (an officer's counter page, an enrolled hall display,
-- counter-top screen, kiosk or rating tablet) for as long as its Socket.IO
-- connection lasts, and a while after: one row per connection (`sid`), in the
-- database so that every server process (server.message_queue) sees the pages
-- connected to the others; `pid` tells a live connection from one left behind by
-- a killed process. A counter page of a logged-in officer keeps its counter
-- staffed while connected and until `present_until` after it went away (the
-- grace, health.presence_grace_s); `since` is when that officer's presence at
-- the counter began. `report` is the page's latest device report (JSON,
-- shared/devices.py). Phones and unenrolled pages get no row.
CREATE TABLE IF NOT EXISTS screens (
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
    report        TEXT
);
CREATE INDEX IF NOT EXISTS screens_counter ON screens (counter_id);
CREATE INDEX IF NOT EXISTS screens_device ON screens (device_id);
