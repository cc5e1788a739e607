"""The queue domain: issuing numbers, calling, finishing, transferring; no Flask here.

Every function takes a sqlite-utils Database and the moment `at` (an aware
datetime in the center's time zone) so tests control the clock and the day.
Each change runs in one BEGIN IMMEDIATE transaction that also writes the
audit event, so what is announced has always been stored first and the day
can be replayed from the `events` table.
"""
import json
import math
import secrets
from datetime import datetime, timedelta

from . import presence
from .db import immediate

STRICT = "strict"


class QueueError(Exception):
    """A request the queue refuses; `code` is stable English, `message` is for people."""

    code = "invalid"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotFound(QueueError):
    code = "not_found"


class Conflict(QueueError):
    """The request is well formed but the queue's current state forbids it."""

    code = "conflict"


class TooFast(QueueError):
    """One kiosk issued its minute's worth of tickets; `retry_after` says when the next may go."""

    code = "too_many_tickets"

    def __init__(self, retry_after: int):
        super().__init__(f"Máy lấy số đang cấp quá nhanh. Vui lòng chờ {retry_after} giây rồi chạm lại.")
        self.retry_after = retry_after


def stamp(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds")


def day_of(at: datetime) -> str:
    return at.strftime("%Y-%m-%d")


def log_event(db, at: datetime, kind: str, **data) -> None:
    """Record something that happened outside the queue itself (e.g. a printer fault)."""
    _event(db, at, kind, **data)


def _event(db, at, kind, ticket=None, counter_id=None, service=None, actor=None, **data):
    db.execute(
        "INSERT INTO events (at, kind, ticket_id, counter_id, service, actor, data)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (stamp(at), kind, ticket, counter_id, service, actor,
         json.dumps(data, ensure_ascii=False) if data else None),
    )


TICKET_SELECT = """
    SELECT t.*, s.name AS service_name, c.name AS counter_name,
           EXISTS (SELECT 1 FROM bookings b WHERE b.ticket_id = t.id) AS booked
    FROM tickets t JOIN services s ON s.code = t.service
    LEFT JOIN counters c ON c.id = t.counter_id
"""


def _ticket(row) -> dict:
    return {
        "id": row["id"],
        "number": row["number"],
        "service": row["service"],
        "service_name": row["service_name"],
        "status": row["status"],
        "priority": bool(row["priority"]),
        "booked": bool(row["booked"]),
        "issued_at": row["issued_at"],
        "called_at": row["called_at"],
        "finished_at": row["finished_at"],
        "counter": {"id": row["counter_id"], "name": row["counter_name"]}
        if row["counter_id"] is not None and row["status"] in ("called", "no_show") else None,
        "recalls": row["recalls"],
    }


def reprint(db, ticket_id: int, device_id: int, at: datetime, window_s: int, most: int) -> dict:
    """Allow one more paper copy of a ticket ("In lại") and log it: only to the kiosk that
    issued it, within `window_s` seconds of issue and at most `most` times, so a kiosk
    cannot become a way to print anyone's number, or a pile of paper."""
    row = db.execute("SELECT device_id, issued_at, token FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    if row is None or row["device_id"] != device_id:
        raise NotFound("Không tìm thấy số thứ tự này.", "ticket_not_found")
    if (at - datetime.fromisoformat(row["issued_at"])).total_seconds() > window_s:
        raise Conflict("Số này đã lấy quá lâu để in lại. Xin hỏi cán bộ hướng dẫn.", "reprint_expired")
    done = db.execute("SELECT count(*) FROM events WHERE kind = 'reprinted' AND ticket_id = ?", (ticket_id,)).fetchone()[0]
    if done >= most:
        raise Conflict("Số này đã được in lại. Xin hỏi cán bộ hướng dẫn.", "reprint_limit")
    with immediate(db):
        _event(db, at, "reprinted", ticket_id)
    return dict(get_ticket(db, ticket_id), token=row["token"])  # the slip's QR code, for the kiosk that had it


def get_ticket(db, ticket_id: int) -> dict:
    """A ticket by id, with how many are ahead of it while it waits."""
    row = db.execute(TICKET_SELECT + " WHERE t.id = ?", (ticket_id,)).fetchone()
    if row is None:
        raise NotFound("Không tìm thấy số thứ tự này.", "ticket_not_found")
    ticket = _ticket(row)
    ticket["ahead"] = _ahead(db, row)
    return ticket


def ticket_by_token(db, token: str) -> dict:
    row = db.execute("SELECT id FROM tickets WHERE token = ?", (token,)).fetchone()
    if row is None:
        raise NotFound("Không tìm thấy số thứ tự này.", "ticket_not_found")
    return get_ticket(db, row["id"])


def _ahead(db, row) -> int:
    """Waiting tickets of the same field that come before this one in queue order.

    Priority tickets count as ahead of a normal one (exact under the strict
    policy, an upper bound under interleave).
    """
    if row["status"] != "waiting":
        return 0
    return db.execute(
        """SELECT count(*) FROM tickets WHERE status = 'waiting' AND day = :day AND service = :service
           AND (priority > :p OR (priority = :p AND (arrived_at < :a OR (arrived_at = :a AND id < :id))))""",
        {"day": row["day"], "service": row["service"], "p": row["priority"],
         "a": row["arrived_at"], "id": row["id"]},
    ).fetchone()[0]


def _close_previous_days(db, at: datetime) -> None:
    """Numbers restart every day: yesterday's leftovers leave today's queues, and a
    field a supervisor closed "for the day" on an earlier day opens again."""
    day = day_of(at)
    stale = db.execute(
        "SELECT count(*) FROM tickets WHERE status IN ('waiting', 'called') AND day < ?", (day,)
    ).fetchone()[0]
    if stale:
        db.execute(
            "UPDATE tickets SET status = CASE status WHEN 'called' THEN 'done' ELSE 'cancelled' END,"
            " finished_at = ? WHERE status IN ('waiting', 'called') AND day < ?",
            (stamp(at), day),
        )
        _event(db, at, "day_closed", tickets=stale)
    for (code,) in db.execute(
        """SELECT s.code FROM services s WHERE s.open = 0 AND (
               SELECT e.kind FROM events e WHERE e.service = s.code
                 AND e.kind IN ('service_closed', 'service_opened') ORDER BY e.id DESC LIMIT 1
           ) = 'service_closed' AND (
               SELECT max(e.at) FROM events e WHERE e.service = s.code AND e.kind = 'service_closed'
           ) < ?""", (day,)).fetchall():
        db.execute("UPDATE services SET open = 1 WHERE code = ?", (code,))
        _event(db, at, "service_opened", service=code, reason="new day")


def start_day(db, at: datetime) -> None:
    """Run the day change now (at start-up and at midnight) rather than at the day's first ticket."""
    with immediate(db):
        _close_previous_days(db, at)


def _check_pace(db, device_id: int, per_minute: int, at: datetime) -> None:
    """At most `per_minute` tickets from one kiosk in any minute, counted in the
    database (so every server process agrees and nothing grows in memory)."""
    window_start = at - timedelta(minutes=1)
    rows = db.execute(
        "SELECT issued_at FROM tickets WHERE device_id = ? AND issued_at > ? ORDER BY issued_at DESC LIMIT ?",
        (device_id, stamp(window_start), per_minute),
    ).fetchall()
    if len(rows) >= per_minute:
        oldest = datetime.fromisoformat(rows[-1][0])
        raise TooFast(max(1, math.ceil((oldest - window_start).total_seconds())))


def issue_ticket(db, service: str, priority: bool, at: datetime,
                 device_id: int | None = None, per_minute: int = 0) -> dict:
    """Give a citizen the next number of a field: never duplicated, never skipped.

    `device_id` is the enrolled kiosk asking; with `per_minute` it may issue at
    most that many tickets in any minute (a stuck touch screen, a misused kiosk)."""
    with immediate(db):
        ticket_id, token = allocate_ticket(db, service, priority, at, device_id, per_minute)
    ticket = get_ticket(db, ticket_id)
    ticket["token"] = token
    return ticket


def allocate_ticket(db, service: str, priority: bool, at: datetime, device_id: int | None = None,
                    per_minute: int = 0, arrived_at: datetime | None = None) -> tuple[int, str]:
    """Issue a number inside the caller's write transaction: (ticket id, phone token).

    `arrived_at` is the ticket's place in the queue (a booking checks in with its
    slot's start), by default the moment it is issued."""
    token = secrets.token_urlsafe(12)
    if device_id is not None and per_minute:
        _check_pace(db, device_id, per_minute, at)
    _close_previous_days(db, at)
    field = db.execute("SELECT * FROM services WHERE code = ?", (service,)).fetchone()
    if field is None:
        raise QueueError("Lĩnh vực không tồn tại.", "unknown_service")
    if not field["open"]:
        raise Conflict("Lĩnh vực này đang tạm ngừng nhận hồ sơ.", "service_closed")
    day = day_of(at)
    seq = db.execute(
        """INSERT INTO sequences (day, service, last) VALUES (:day, :service, 1)
           ON CONFLICT (day, service) DO UPDATE SET last = last + 1
           WHERE :cap IS NULL OR last < :cap
           RETURNING last""",
        {"day": day, "service": service, "cap": field["daily_cap"]},
    ).fetchone()
    if seq is None:
        raise Conflict("Lĩnh vực này đã hết số trong ngày hôm nay.", "daily_cap_reached")
    number = field["prefix"] + str(field["start"] + seq[0] - 1).zfill(field["digits"])
    ticket_id = db.execute(
        """INSERT INTO tickets (day, service, issued_service, seq, number, priority,
                                issued_at, arrived_at, token, device_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (day, service, service, seq[0], number, int(bool(priority)), stamp(at), stamp(arrived_at or at),
         token, device_id),
    ).lastrowid
    _event(db, at, "issued", ticket_id, service=service, number=number, priority=bool(priority))
    return ticket_id, token


def _counter(db, counter_id: int):
    row = db.execute("SELECT * FROM counters WHERE id = ?", (counter_id,)).fetchone()
    if row is None:
        raise NotFound("Không tìm thấy quầy này.", "counter_not_found")
    return row


def _current_id(db, counter_id: int) -> int | None:
    row = db.execute(
        "SELECT id FROM tickets WHERE counter_id = ? AND status = 'called'", (counter_id,)
    ).fetchone()
    return row[0] if row else None


def _serving_counter(db, counter_id: int) -> None:
    """A counter that may call: it exists, is open and is not paused."""
    counter = _counter(db, counter_id)
    if not counter["open"]:
        raise Conflict("Quầy đang đóng.", "counter_closed")
    if counter["paused"]:
        raise Conflict("Quầy đang tạm dừng.", "counter_paused")


def _end_current(db, counter_id: int, status: str, at: datetime, actor) -> None:
    """The counter's citizen (if any) leaves it as done or no-show."""
    current = _current_id(db, counter_id)
    if current is not None:
        db.execute(
            "UPDATE tickets SET status = ?, finished_at = ? WHERE id = ?", (status, stamp(at), current)
        )
        _event(db, at, "finished" if status == "done" else status, current, counter_id, actor=actor)


def _priority_turn(db, counter_id: int, day: str, policy: dict) -> bool:
    """Whether this call should prefer a priority ticket.

    strict: always. interleave with priority_every = N: when both kinds wait,
    a counter calls a priority ticket unless one of its last N - 1 calls
    today was one, so the counter settles into one priority every N calls.
    """
    if policy["priority_policy"] == STRICT:
        return True
    last = db.execute(
        "SELECT priority FROM tickets WHERE counter_id = ? AND day = ? AND called_at IS NOT NULL"
        " ORDER BY called_at DESC, id DESC LIMIT ?",
        (counter_id, day, policy["priority_every"] - 1),
    ).fetchall()
    return not any(row[0] for row in last)


def _mark_called(db, ticket_id: int, counter_id: int, at: datetime, kind: str, actor) -> None:
    db.execute(
        "UPDATE tickets SET status = 'called', counter_id = ?, called_at = ?, finished_at = NULL"
        " WHERE id = ?",
        (counter_id, stamp(at), ticket_id),
    )
    _event(db, at, kind, ticket_id, counter_id, actor=actor)


def call_next(db, counter_id: int, at: datetime, policy: dict, after="any", actor=None):
    """Finish the counter's current citizen and call the next one of its fields.

    Returns (ticket or None, moved): moved says whether the counter changed.
    `after` makes the call idempotent
    for a double click: it is the ticket id (or None) the officer saw as
    current; if the counter has moved on since, nothing new is called and the
    counter's current ticket is returned with moved=False.
    """
    with immediate(db):
        _close_previous_days(db, at)
        _serving_counter(db, counter_id)
        current = _current_id(db, counter_id)
        if after != "any" and after != current:
            return (get_ticket(db, current) if current else None), False
        _end_current(db, counter_id, "done", at, actor)
        day = day_of(at)
        prefer = int(_priority_turn(db, counter_id, day, policy))
        for priority in (prefer, 1 - prefer):
            row = db.execute(
                """SELECT id FROM tickets
                   WHERE status = 'waiting' AND day = ? AND priority = ?
                     AND service IN (SELECT service FROM counter_services WHERE counter_id = ?)
                   ORDER BY arrived_at, id LIMIT 1""",
                (day, priority, counter_id),
            ).fetchone()
            if row is not None:
                break
        if row is None:
            return None, current is not None
        _mark_called(db, row[0], counter_id, at, "called", actor)
    return get_ticket(db, row[0]), True


def call_ticket(db, counter_id: int, ticket_id: int, at: datetime, actor=None) -> dict:
    """Call one ticket by id: a no-show who came back, or a citizen picked by hand."""
    with immediate(db):
        _serving_counter(db, counter_id)
        row = db.execute("SELECT status, day FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if row is None:
            raise NotFound("Không tìm thấy số thứ tự này.", "ticket_not_found")
        if row["day"] != day_of(at) or row["status"] not in ("waiting", "no_show"):
            raise Conflict("Số thứ tự này không còn chờ gọi.", "ticket_not_callable")
        _end_current(db, counter_id, "done", at, actor)
        _mark_called(db, ticket_id, counter_id, at, "called", actor)
    return get_ticket(db, ticket_id)


def _require_current(db, counter_id: int) -> int:
    current = _current_id(db, counter_id)
    if current is None:
        raise Conflict("Quầy chưa gọi số nào.", "no_current_ticket")
    return current


def recall(db, counter_id: int, at: datetime, actor=None) -> dict:
    """Announce the counter's current number again."""
    with immediate(db):
        _serving_counter(db, counter_id)
        current = _require_current(db, counter_id)
        db.execute("UPDATE tickets SET recalls = recalls + 1 WHERE id = ?", (current,))
        _event(db, at, "recalled", current, counter_id, actor=actor)
    return get_ticket(db, current)


def finish(db, counter_id: int, at: datetime, actor=None) -> dict:
    """The citizen has been served."""
    return _close_current(db, counter_id, "done", at, actor)


def no_show(db, counter_id: int, at: datetime, actor=None) -> dict:
    """The citizen did not come; the ticket can still be called back today."""
    return _close_current(db, counter_id, "no_show", at, actor)


def _close_current(db, counter_id, status, at, actor) -> dict:
    with immediate(db):
        _counter(db, counter_id)
        current = _require_current(db, counter_id)
        _end_current(db, counter_id, status, at, actor)
    return get_ticket(db, current)


def transfer(db, counter_id: int, service: str, at: datetime, actor=None) -> dict:
    """Send the current citizen to another field's queue.

    The number and the original arrival time are kept, so the citizen does
    not go to the back of the new queue.
    """
    with immediate(db):
        _counter(db, counter_id)
        current = _require_current(db, counter_id)
        field = db.execute("SELECT code FROM services WHERE code = ?", (service,)).fetchone()
        if field is None:
            raise QueueError("Lĩnh vực không tồn tại.", "unknown_service")
        from_service = db.execute("SELECT service FROM tickets WHERE id = ?", (current,)).fetchone()[0]
        db.execute(
            "UPDATE tickets SET status = 'waiting', service = ?, counter_id = NULL,"
            " called_at = NULL WHERE id = ?",
            (service, current),
        )
        _event(db, at, "transferred", current, counter_id, service, actor=actor, from_service=from_service)
    return get_ticket(db, current)


def set_paused(db, counter_id: int, paused: bool, at: datetime, actor=None) -> None:
    """Pause a counter (the officer steps away) or resume it; its citizen stays current."""
    with immediate(db):
        counter = _counter(db, counter_id)
        if not counter["open"]:
            raise Conflict("Quầy đang đóng.", "counter_closed")
        if bool(counter["paused"]) != paused:
            db.execute("UPDATE counters SET paused = ? WHERE id = ?", (int(paused), counter_id))
            _event(db, at, "paused" if paused else "resumed", counter_id=counter_id, actor=actor)


def _check_services(db, services) -> list[str]:
    if not isinstance(services, list) or not all(isinstance(s, str) for s in services):
        raise QueueError("Danh sách lĩnh vực không hợp lệ.", "invalid_services")
    known = {row[0] for row in db.execute("SELECT code FROM services")}
    unknown = [s for s in services if s not in known]
    if unknown:
        raise QueueError(f"Lĩnh vực không tồn tại: {unknown[0]}.", "unknown_service")
    return list(dict.fromkeys(services))


def _set_counter_services(db, counter_id: int, services: list[str]) -> None:
    db.execute("DELETE FROM counter_services WHERE counter_id = ?", (counter_id,))
    db.conn.executemany(
        "INSERT INTO counter_services (counter_id, service, position) VALUES (?, ?, ?)",
        [(counter_id, code, i) for i, code in enumerate(services)],
    )


def _check_name(name) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > 40:
        raise QueueError("Tên quầy phải có từ 1 đến 40 ký tự.", "invalid_name")
    return " ".join(name.split())


def _check_name_free(db, name: str, counter_id: int | None = None) -> None:
    """Two counters with one name would be two identical tiles on the hall's TV; names are
    compared as people read them (case and spacing ignored)."""
    for row in db.execute("SELECT id, name FROM counters WHERE id IS NOT ?", (counter_id,)):
        if " ".join(row["name"].split()).casefold() == name.casefold():
            raise Conflict(f"Đã có quầy tên \"{row['name']}\": chọn tên khác.", "counter_name_taken")


def _check_some_services(db, services) -> list[str]:
    """A counter serving no field is an empty tile on the TV and calls nobody."""
    services = _check_services(db, services)
    if not services:
        raise QueueError("Chọn ít nhất một lĩnh vực cho quầy (muốn ngừng quầy thì bấm Đóng quầy).",
                         "no_services")
    return services


def add_counter(db, name, services, at: datetime, actor=None) -> int:
    """Open a new counter at once (a peak day: 7 -> 14 counters)."""
    name = _check_name(name)
    with immediate(db):
        services = _check_some_services(db, services)
        _check_name_free(db, name)
        position = db.execute("SELECT coalesce(max(position), -1) + 1 FROM counters").fetchone()[0]
        counter_id = db.execute(
            "INSERT INTO counters (name, open, position) VALUES (?, 1, ?)", (name, position)
        ).lastrowid
        _set_counter_services(db, counter_id, services)
        _event(db, at, "counter_added", counter_id=counter_id, actor=actor, name=name, services=services)
    return counter_id


def update_counter(db, counter_id: int, changes: dict, at: datetime, actor=None) -> None:
    """Open or close a counter, rename it, or change the fields it serves, live.

    Closing a counter that is serving someone puts that citizen back at the
    head of their field's queue (original arrival time kept): nobody is lost.
    """
    unknown = set(changes) - {"open", "services", "name"}
    if unknown or not changes:
        raise QueueError("Chỉ có thể đổi open, services, name.", "invalid_change")
    if "open" in changes and not isinstance(changes["open"], bool):
        raise QueueError("Giá trị open phải là true hoặc false.", "invalid_change")
    name = _check_name(changes["name"]) if "name" in changes else None
    with immediate(db):
        counter = _counter(db, counter_id)
        if name is not None:
            _check_name_free(db, name, counter_id)
        if "services" in changes:
            services = _check_some_services(db, changes["services"])
            _set_counter_services(db, counter_id, services)
            _event(db, at, "counter_services", counter_id=counter_id, actor=actor, services=services)
        if name is not None and name != counter["name"]:
            db.execute("UPDATE counters SET name = ? WHERE id = ?", (name, counter_id))
            _event(db, at, "counter_renamed", counter_id=counter_id, actor=actor, name=name)
        if "open" in changes and changes["open"] != bool(counter["open"]):
            if not changes["open"]:
                current = _current_id(db, counter_id)
                if current is not None:
                    db.execute(
                        "UPDATE tickets SET status = 'waiting', counter_id = NULL, called_at = NULL"
                        " WHERE id = ?", (current,),
                    )
                    _event(db, at, "requeued", current, counter_id, actor=actor)
            db.execute(
                "UPDATE counters SET open = ?, paused = 0 WHERE id = ?", (int(changes["open"]), counter_id)
            )
            _event(db, at, "counter_opened" if changes["open"] else "counter_closed",
                   counter_id=counter_id, actor=actor)


def _short(row) -> dict:
    """The part of a called ticket a screen draws; `state` goes to every display
    after every change, so it carries this instead of the whole ticket."""
    return {"id": row["id"], "number": row["number"], "service": row["service"],
            "priority": bool(row["priority"]), "booked": bool(row["booked"]), "called_at": row["called_at"]}


def counters(db, day: str | None = None) -> list[dict]:
    """Every counter with its fields and current ticket (short form), in floor order.

    With `day`, a ticket still at a counter from an earlier day (the server ran
    through midnight; the first action of the day closes it) is not shown as current.
    """
    services = {}
    for row in db.execute("SELECT counter_id, service FROM counter_services ORDER BY counter_id, position"):
        services.setdefault(row[0], []).append(row[1])
    current = {
        row["counter_id"]: _short(row)
        for row in db.execute(
            "SELECT t.*, EXISTS (SELECT 1 FROM bookings b WHERE b.ticket_id = t.id) AS booked"
            " FROM tickets t WHERE t.status = 'called' AND t.day >= ?", (day or "",))
    }
    return [
        {
            "id": row["id"],
            "name": row["name"],
            "open": bool(row["open"]),
            "paused": bool(row["paused"]),
            "services": services.get(row["id"], []),
            "current": current.get(row["id"]),
        }
        for row in db.execute("SELECT * FROM counters ORDER BY position, id")
    ]


def counter(db, counter_id: int) -> dict:
    _counter(db, counter_id)
    return next(c for c in counters(db) if c["id"] == counter_id)


def services(db, at: datetime) -> list[dict]:
    """Fields in kiosk order with today's waiting count."""
    waiting = dict(db.execute(
        "SELECT service, count(*) FROM tickets WHERE status = 'waiting' AND day = ? GROUP BY service",
        (day_of(at),),
    ).fetchall())
    return [
        {"code": row["code"], "name": row["name"], "name_en": row["name_en"], "open": bool(row["open"]),
         "waiting": waiting.get(row["code"], 0)}
        for row in db.execute("SELECT * FROM services ORDER BY position, code")
    ]


def recent_calls(db, at: datetime, limit: int) -> list[dict]:
    """Today's latest calls, newest first, for the hall's history column."""
    rows = db.execute(
        """SELECT e.at, e.kind, e.counter_id, t.number, t.service
           FROM events e JOIN tickets t ON t.id = e.ticket_id
           WHERE e.kind IN ('called', 'recalled') AND e.at >= ?
           ORDER BY e.id DESC LIMIT ?""",
        (day_of(at), limit),
    ).fetchall()
    return [
        {"number": r["number"], "service": r["service"], "counter": r["counter_id"],
         "at": r["at"], "recall": r["kind"] == "recalled"}
        for r in rows
    ]


CATCH_UP = 20  # calls a display that was away gets back at most


def calls_since(db, since: str, at: datetime) -> list[dict]:
    """Today's calls and recalls after `since`, oldest first (the latest CATCH_UP), each as
    the `called` event carried it: {"ticket": {"id", "number", "service", "priority",
    "called_at", "recalls"}, "counter": {"id", "name"}, "recall", "at"}."""
    rows = db.execute(
        """SELECT * FROM (SELECT e.id, e.at, e.kind, e.counter_id, c.name AS counter_name, t.id AS ticket_id,
                  t.number, t.service, t.priority,
                  (SELECT count(*) FROM events r WHERE r.ticket_id = e.ticket_id AND r.kind = 'recalled'
                   AND r.id <= e.id) AS recalls
           FROM events e JOIN tickets t ON t.id = e.ticket_id JOIN counters c ON c.id = e.counter_id
           WHERE e.kind IN ('called', 'recalled') AND e.at > ? AND e.at >= ?
           ORDER BY e.id DESC LIMIT ?) ORDER BY id""", (since, day_of(at), CATCH_UP)).fetchall()
    return [{"ticket": {"id": r["ticket_id"], "number": r["number"], "service": r["service"],
                        "priority": bool(r["priority"]), "called_at": r["at"], "recalls": r["recalls"]},
             "counter": {"id": r["counter_id"], "name": r["counter_name"]}, "recall": r["kind"] == "recalled",
             "at": r["at"]}
            for r in rows]


def state(db, at: datetime, recent: int) -> dict:
    """Everything a display needs to draw the hall, in one small document. `staffed`:
    an officer is present at the counter (an open counter without one is not served)."""
    here = presence.present(db, at)
    return {
        "counters": [dict(c, staffed=c["id"] in here) for c in counters(db, day_of(at))],
        "services": services(db, at),
        "recent": recent_calls(db, at, recent),
    }


def tickets_today(db, at: datetime, status: str) -> list[dict]:
    """Today's tickets in one status, oldest first (e.g. no-shows to call back)."""
    if status not in ("waiting", "called", "done", "no_show", "cancelled"):
        raise QueueError("Trạng thái không hợp lệ.", "invalid_status")
    rows = db.execute(TICKET_SELECT + " WHERE t.day = ? AND t.status = ? ORDER BY t.arrived_at, t.id",
                      (day_of(at), status))
    return [_ticket(row) for row in rows]


def wait_estimate(db, service: str, ahead: int, at: datetime, min_samples: int = 3) -> dict:
    """How long a citizen with `ahead` people before them may wait, from today's service times.

    Uses the mean service time (called to finished) of today's finished tickets of the
    field, shared among the open, unpaused counters that serve it with an officer present
    (shared/presence.py). Returns {"minutes": int or None, "samples": n, "counters": k,
    "reason": None or text code}: minutes is None ("not_enough_data", "no_counter", or
    "no_officer" when such counters are open but nobody is at them) when an honest guess
    is impossible.
    """
    rows = db.execute(
        "SELECT called_at, finished_at FROM tickets WHERE day = ? AND service = ? AND status = 'done'"
        " AND called_at IS NOT NULL AND finished_at IS NOT NULL",
        (day_of(at), service),
    ).fetchall()
    durations = []
    for row in rows:
        seconds = (datetime.fromisoformat(row["finished_at"]) - datetime.fromisoformat(row["called_at"])).total_seconds()
        if 0 < seconds < 4 * 3600:
            durations.append(seconds)
    serving = sum(1 for c in presence.serving_counters(db, at).values()
                  if not c["paused"] and service in c["services"])
    result = {"minutes": None, "samples": len(durations), "counters": serving, "reason": None}
    if serving == 0:
        result["reason"] = "no_officer" if db.execute(
            "SELECT 1 FROM counters c JOIN counter_services s ON s.counter_id = c.id"
            " WHERE s.service = ? AND c.open = 1 AND c.paused = 0", (service,)).fetchone() else "no_counter"
    elif ahead == 0:
        result["minutes"] = 0
    elif len(durations) < min_samples:
        result["reason"] = "not_enough_data"
    else:
        mean = sum(durations) / len(durations)
        result["minutes"] = max(1, round(ahead * mean / serving / 60))
    return result


def service_caps(db, at: datetime) -> dict:
    """For each field with a daily cap: {"cap", "issued", "full"} today (kiosks show full fields)."""
    issued = dict(db.execute("SELECT service, last FROM sequences WHERE day = ?", (day_of(at),)).fetchall())
    return {
        row["code"]: {"cap": row["daily_cap"], "issued": issued.get(row["code"], 0),
                      "full": issued.get(row["code"], 0) >= row["daily_cap"]}
        for row in db.execute("SELECT code, daily_cap FROM services WHERE daily_cap IS NOT NULL")
    }


NOTICE_MAX = 300


def notice(db) -> str:
    """The notice line the hall displays scroll (empty: none)."""
    row = db.execute("SELECT value FROM settings WHERE key = 'notice'").fetchone()
    return row[0] if row else ""


def set_notice(db, text, at: datetime, actor=None) -> str:
    """Set the hall's notice line (a supervisor's text, at most NOTICE_MAX characters)."""
    if not isinstance(text, str) or len(text.strip()) > NOTICE_MAX:
        raise QueueError(f"Thông báo phải là chữ, tối đa {NOTICE_MAX} ký tự.", "bad_request")
    text = " ".join(text.split())
    with immediate(db):
        db.execute("INSERT INTO settings (key, value) VALUES ('notice', ?)"
                   " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (text,))
        _event(db, at, "notice_set", actor=actor, text=text)
    return text
