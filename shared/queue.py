"""The queue domain: issuing numbers, calling, finishing, transferring; no Flask here.

Every function takes a sqlite-utils Database and the moment `at` (an aware
datetime in the center's time zone) so tests control the clock and the day.
Each change runs in one BEGIN IMMEDIATE transaction that also writes the
audit event, so what is announced has always been stored first and the day
can be replayed from the `audit` table.
"""
import json
import math
import secrets
from datetime import datetime, timedelta

from .audit import day_of, log_event, stamp
from .db import immediate
from .errors import Conflict, NotFound, QueueError, RatingHold, TooFast

STRICT = "strict"


def is_id(value) -> bool:
    """An id as JSON carries it: an int, never a bool (JSON `true` is not ticket 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def as_ticket_id(value) -> int:
    """A ticket id from outside (a request, the command line), checked here once for every
    function that takes one (calling a ticket, rating it)."""
    if not is_id(value):
        raise QueueError("ticket phải là mã số vé.", "invalid_ticket")
    return value


TICKET_SELECT = """
    SELECT t.*, s.name AS service_name, c.name AS counter_name,
           EXISTS (SELECT 1 FROM bookings b WHERE b.ticket_id = t.id) AS booked
    FROM tickets t JOIN services s ON s.code = t.service
    LEFT JOIN counters c ON c.id = t.counter_id
"""


def ticket_from_row(row) -> dict:
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
    done = db.execute("SELECT count(*) FROM audit WHERE kind = 'reprinted' AND ticket_id = ?", (ticket_id,)).fetchone()[0]
    if done >= most:
        raise Conflict("Số này đã được in lại. Xin hỏi cán bộ hướng dẫn.", "reprint_limit")
    with immediate(db):
        log_event(db, at, "reprinted", ticket_id)
    return dict(get_ticket(db, ticket_id), token=row["token"])  # the slip's QR code, for the kiosk that had it


def get_ticket(db, ticket_id: int) -> dict:
    """A ticket by id, with how many are ahead of it while it waits."""
    row = db.execute(TICKET_SELECT + " WHERE t.id = ?", (ticket_id,)).fetchone()
    if row is None:
        raise NotFound("Không tìm thấy số thứ tự này.", "ticket_not_found")
    ticket = ticket_from_row(row)
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
        log_event(db, at, "day_closed", tickets=stale)
    for (code,) in db.execute(
        """SELECT s.code FROM services s WHERE s.open = 0 AND (
               SELECT e.kind FROM audit e WHERE e.service = s.code
                 AND e.kind IN ('service_closed', 'service_opened') ORDER BY e.id DESC LIMIT 1
           ) = 'service_closed' AND (
               SELECT max(e.at) FROM audit e WHERE e.service = s.code AND e.kind = 'service_closed'
           ) < ?""", (day,)).fetchall():
        db.execute("UPDATE services SET open = 1 WHERE code = ?", (code,))
        log_event(db, at, "service_opened", service=code, reason="new day")


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
    log_event(db, at, "issued", ticket_id, service=service, number=number, priority=bool(priority))
    return ticket_id, token


def counter_row(db, counter_id: int):
    row = db.execute("SELECT * FROM counters WHERE id = ?", (counter_id,)).fetchone()
    if row is None:
        raise NotFound("Không tìm thấy quầy này.", "counter_not_found")
    return row


def current_ticket_id(db, counter_id: int) -> int | None:
    row = db.execute(
        "SELECT id FROM tickets WHERE counter_id = ? AND status = 'called'", (counter_id,)
    ).fetchone()
    return row[0] if row else None


def _serving_counter(db, counter_id: int) -> None:
    """A counter that may call: it exists, is open and is not paused."""
    counter = counter_row(db, counter_id)
    if not counter["open"]:
        raise Conflict("Quầy đang đóng.", "counter_closed")
    if counter["paused"]:
        raise Conflict("Quầy đang tạm dừng.", "counter_paused")


def _end_current(db, counter_id: int, status: str, at: datetime, actor) -> None:
    """The counter's citizen (if any) leaves it as done or no-show."""
    current = current_ticket_id(db, counter_id)
    if current is not None:
        db.execute(
            "UPDATE tickets SET status = ?, finished_at = ? WHERE id = ?", (status, stamp(at), current)
        )
        log_event(db, at, "finished" if status == "done" else status, current, counter_id, actor=actor)


def _priority_turn(db, counter_id: int, day: str, policy) -> bool:
    """Whether this call should prefer a priority ticket.

    strict: always. interleave with priority_every = N: when both kinds wait,
    a counter calls a priority ticket unless one of its last N - 1 calls
    today was one, so the counter settles into one priority every N calls.
    """
    if policy.priority_policy == STRICT:
        return True
    last = db.execute(
        "SELECT priority FROM tickets WHERE counter_id = ? AND day = ? AND called_at IS NOT NULL"
        " ORDER BY called_at DESC, id DESC LIMIT ?",
        (counter_id, day, policy.priority_every - 1),
    ).fetchall()
    return not any(row[0] for row in last)


def _mark_called(db, ticket_id: int, counter_id: int, at: datetime, kind: str, actor) -> None:
    db.execute(
        "UPDATE tickets SET status = 'called', counter_id = ?, called_at = ?, finished_at = NULL"
        " WHERE id = ?",
        (counter_id, stamp(at), ticket_id),
    )
    log_event(db, at, kind, ticket_id, counter_id, actor=actor)


# A ticket the kiosk warned "có thể không kịp trong hôm nay" when it was issued, and no counter
# has called yet (one transferred to another field after closing is mid-service: it is served).
WARNED = ("(EXISTS (SELECT 1 FROM promises p WHERE p.ticket_id = tickets.id AND p.source = 'kiosk' AND p.late = 1)"
          " AND NOT EXISTS (SELECT 1 FROM audit a WHERE a.ticket_id = tickets.id AND a.kind = 'called'))")


def call_next(db, counter_id: int, at: datetime, policy, after="any", actor=None, hold=None, closing=None):
    """Finish the counter's current citizen and call the next one of its fields
    (`policy`: the config's queue section, shared.config.Queue).

    From `closing` (the end of the counters' day, shared.hours.closing) on, only numbers the
    kiosk did not warn are called: the center serves every number it promised for today,
    past closing if need be, and a warned citizen is called after closing only by hand
    (call_ticket). So the warning is a decision the counters keep, not a guess.

    Returns (ticket or None, moved): moved says whether the counter changed.
    `after` makes the call idempotent
    for a double click: it is the ticket id (or None) the officer saw as
    current; if the counter has moved on since, nothing new is called and the
    counter's current ticket is returned with moved=False.
    `hold(db)`, asked once the current citizen is finished (ratings.holding), says whether
    the call must wait for that citizen's rating: then RatingHold is raised, the finish kept.
    """
    held = None
    with immediate(db):
        _close_previous_days(db, at)
        _serving_counter(db, counter_id)
        current = current_ticket_id(db, counter_id)
        if after != "any" and after != current:
            return (get_ticket(db, current) if current else None), False
        _end_current(db, counter_id, "done", at, actor)
        held = hold(db) if hold is not None else None
        if held is None:
            row = _next_waiting(db, counter_id, at, policy, closing)
            if row is None:
                return None, current is not None
            _mark_called(db, row[0], counter_id, at, "called", actor)
    if held is not None:
        raise RatingHold(held["hold_in"], held["ticket"], finished=current is not None)
    return get_ticket(db, row[0]), True


def _next_waiting(db, counter_id: int, at: datetime, policy, closing: datetime | None):
    """The next ticket of the counter's fields, priority taking its turn by `policy`; from
    `closing` on, only tickets the kiosk did not warn."""
    day = day_of(at)
    prefer = int(_priority_turn(db, counter_id, day, policy))
    promised = f" AND NOT {WARNED}" if closing is not None and at >= closing else ""
    for priority in (prefer, 1 - prefer):
        row = db.execute(
            f"""SELECT id, number FROM tickets
               WHERE status = 'waiting' AND day = ? AND priority = ?
                 AND service IN (SELECT service FROM counter_services WHERE counter_id = ?){promised}
               ORDER BY arrived_at, id LIMIT 1""",
            (day, priority, counter_id),
        ).fetchone()
        if row is not None:
            return row
    return None


def next_number(db, counter_id: int, at: datetime, policy, closing=None) -> dict:
    """What "Gọi tiếp" would call now at this counter, shown to its officer beforehand:
    {"number" (None: nobody), "warned", "warned_next"}: after `closing`, how many citizens
    the kiosk warned still wait in its fields, and the first of them ({"id", "number"}),
    whom only a call by number reaches (an officer who stays for them); else 0 and None."""
    counter_row(db, counter_id)
    row = _next_waiting(db, counter_id, at, policy, closing)
    out = {"number": row["number"] if row else None, "warned": 0, "warned_next": None}
    if closing is not None and at >= closing:
        warned = db.execute(
            f"""SELECT id, number FROM tickets WHERE status = 'waiting' AND day = ? AND {WARNED}
                AND service IN (SELECT service FROM counter_services WHERE counter_id = ?)
                ORDER BY priority DESC, arrived_at, id""", (day_of(at), counter_id)).fetchall()
        out["warned"] = len(warned)
        out["warned_next"] = {"id": warned[0]["id"], "number": warned[0]["number"]} if warned else None
    return out


def _require_free(db, counter_id: int) -> None:
    """A call by hand never ends the citizen at the desk: the officer says how that one left
    (Xong or Vắng mặt) first, so no service time is made up and nobody is finished unseen."""
    current = current_ticket_id(db, counter_id)
    if current is not None:
        number = db.execute("SELECT number FROM tickets WHERE id = ?", (current,)).fetchone()[0]
        raise Conflict(f"Quầy đang phục vụ số {number}: bấm Xong hoặc Vắng mặt cho số này trước.", "counter_busy")


def _callable(db, ticket_id: int, at: datetime, statuses) -> None:
    row = db.execute("SELECT status, day FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
    if row is None:
        raise NotFound("Không tìm thấy số thứ tự này.", "ticket_not_found")
    if row["day"] != day_of(at) or row["status"] not in statuses:
        raise Conflict("Số thứ tự này không còn chờ gọi.", "ticket_not_callable")


def call_ticket(db, counter_id: int, ticket_id: int, at: datetime, actor=None) -> dict:
    """Call one ticket by id at a free desk: a no-show who came back, or a citizen picked by hand."""
    ticket_id = as_ticket_id(ticket_id)
    with immediate(db):
        _serving_counter(db, counter_id)
        _require_free(db, counter_id)
        _callable(db, ticket_id, at, ("waiting", "no_show"))
        _mark_called(db, ticket_id, counter_id, at, "called", actor)
    return get_ticket(db, ticket_id)


def undo_transfer(db, counter_id: int, ticket_id: int, at: datetime, actor=None) -> dict:
    """Take back this counter's transfer: the ticket returns to the field it came from and is
    called back to this desk (only while it still waits, untouched, in the new field)."""
    ticket_id = as_ticket_id(ticket_id)
    with immediate(db):
        _serving_counter(db, counter_id)
        _require_free(db, counter_id)
        _callable(db, ticket_id, at, ("waiting",))
        last = db.execute("SELECT kind, counter_id, service, data FROM audit WHERE ticket_id = ?"
                          " ORDER BY id DESC LIMIT 1", (ticket_id,)).fetchone()
        if last is None or last["kind"] != "transferred" or last["counter_id"] != counter_id:
            raise Conflict("Số này không vừa được chuyển từ quầy này.", "transfer_not_undoable")
        back = json.loads(last["data"])["from_service"]
        db.execute("UPDATE tickets SET service = ? WHERE id = ?", (back, ticket_id))
        log_event(db, at, "transfer_undone", ticket_id, counter_id, back, actor=actor, to_service=last["service"])
        _mark_called(db, ticket_id, counter_id, at, "called", actor)
    return get_ticket(db, ticket_id)


def _require_current(db, counter_id: int) -> int:
    current = current_ticket_id(db, counter_id)
    if current is None:
        raise Conflict("Quầy chưa gọi số nào.", "no_current_ticket")
    return current


def recall(db, counter_id: int, at: datetime, actor=None) -> dict:
    """Announce the counter's current number again."""
    with immediate(db):
        _serving_counter(db, counter_id)
        current = _require_current(db, counter_id)
        db.execute("UPDATE tickets SET recalls = recalls + 1 WHERE id = ?", (current,))
        log_event(db, at, "recalled", current, counter_id, actor=actor)
    return get_ticket(db, current)


def finish(db, counter_id: int, at: datetime, actor=None) -> dict:
    """The citizen has been served."""
    return _close_current(db, counter_id, "done", at, actor)


def no_show(db, counter_id: int, at: datetime, actor=None) -> dict:
    """The citizen did not come; the ticket can still be called back today."""
    return _close_current(db, counter_id, "no_show", at, actor)


def _close_current(db, counter_id, status, at, actor) -> dict:
    with immediate(db):
        counter_row(db, counter_id)
        current = _require_current(db, counter_id)
        _end_current(db, counter_id, status, at, actor)
    return get_ticket(db, current)


def transfer(db, counter_id: int, service: str, at: datetime, actor=None) -> dict:
    """Send the current citizen to another field's queue.

    The number and the original arrival time are kept, so the citizen does
    not go to the back of the new queue.
    """
    with immediate(db):
        counter_row(db, counter_id)
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
        log_event(db, at, "transferred", current, counter_id, service, actor=actor, from_service=from_service)
    return get_ticket(db, current)


def set_paused(db, counter_id: int, paused: bool, at: datetime, actor=None) -> None:
    """Pause a counter (the officer steps away) or resume it; its citizen stays current."""
    with immediate(db):
        counter = counter_row(db, counter_id)
        if not counter["open"]:
            raise Conflict("Quầy đang đóng.", "counter_closed")
        if bool(counter["paused"]) != paused:
            db.execute("UPDATE counters SET paused = ? WHERE id = ?", (int(paused), counter_id))
            log_event(db, at, "paused" if paused else "resumed", counter_id=counter_id, actor=actor)


