"""Online booking of a time slot and check-in at the kiosk; no Flask here.

A citizen books a field, a day and a slot from a phone; at the center an
enrolled kiosk checks the booking in and issues a ticket whose place in the
queue (`arrived_at`) is the slot's start, so it goes ahead of walk-ins who
came later. Every change runs in one BEGIN IMMEDIATE transaction that also
writes its messages to the outbox (shared/notify.py), so a message exists
exactly when what caused it was stored.

Places are counted inside that transaction, which holds the write lock from its
first statement: twenty phones booking the last place at once are served one
after another, and only the first finds it free. Phone numbers, ID numbers,
names and client addresses are personal data: masked in every reply, erased
`booking.keep_days` after the slot (`erase_expired`).
"""
import re
import secrets
from datetime import date, datetime, timedelta

from . import notify
from .audit import day_of, log_event, stamp
from .config import Config
from .db import immediate
from .errors import Conflict, NotFound, QueueError, TooFast
from .hours import WEEKDAYS_VI
from .queue import allocate_ticket, get_ticket

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, no 1/I: read aloud, typed on a keypad
CODE_LENGTH = 6
NAME_MAX = 80
REASON_MAX = 200
PHONE = re.compile(r"^0[35789]\d{8}$")  # Vietnamese mobile numbers, 10 digits
ID_NUMBER = re.compile(r"^\d{12}$")     # the chip card's (CCCD) 12-digit number


class BookingsTooFast(TooFast):
    """Too many bookings in the last hour, from one address or from everyone."""

    def __init__(self, code: str, message: str, retry_after: int):
        QueueError.__init__(self, message, code)
        self.retry_after = retry_after


def normalize_phone(raw) -> str:
    """0xxxxxxxxx from what a citizen types (+84, spaces, dots); QueueError if it is not a mobile number."""
    if not isinstance(raw, str) or len(raw) > 20:
        raise QueueError("Số điện thoại không hợp lệ.", "invalid_phone")
    digits = re.sub(r"[\s.\-()]", "", raw)
    digits = re.sub(r"^(\+84|84)(?=\d{9}$)", "0", digits)
    if not PHONE.match(digits):
        raise QueueError("Số điện thoại di động phải có 10 chữ số, ví dụ 0912345678.", "invalid_phone")
    return digits


def mask(value: str) -> str:
    """All but the last three characters hidden: enough for a citizen to recognise their own."""
    return "" if not value else "*" * max(0, len(value) - 3) + value[-3:]


def id_number_from_card(text) -> str | None:
    """The 12-digit ID from a chip card's QR text (fields separated by "|"), else None.

    Only that field is read: nothing else of the card (name, birth date, address)
    is kept or compared."""
    if not isinstance(text, str) or text.count("|") < 5:
        return None
    first = text.split("|", 1)[0].strip()
    return first if ID_NUMBER.match(first) else None


def age_on_card(text: str, on: date) -> int | None:
    """The holder's age on a day, from the card's date of birth (its fourth field, ddmmyyyy)."""
    fields = text.split("|")
    try:
        born = datetime.strptime(fields[3].strip(), "%d%m%Y").date()
    except (IndexError, ValueError):
        return None
    if born > on:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _closed(db, day: str, service: str, slot: str = "") -> str | None:
    """The reason a day, a field's day or a slot is closed to booking, else None."""
    row = db.execute(
        "SELECT reason FROM booking_closures WHERE day = ? AND service IN ('', ?) AND slot IN ('', ?) LIMIT 1",
        (day, service, slot)).fetchone()
    return None if row is None else row[0] or "closed"


def _slot_starts(config: Config, service: str, day: date) -> list[tuple[int, int]]:
    """(start, end) minutes of each slot of a field on a day, cut from the center's hours."""
    length = config.booking.slots_of(service).slot_min
    slots = []
    for start, end in config.center.hours.get(day.weekday(), []):
        moment = start
        while moment + length <= end:
            slots.append((moment, moment + length))
            moment += length
    return slots


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def slot_start(at: datetime, day: str, slot: str) -> datetime:
    """The aware moment a slot starts, in the center's time zone (that of `at`)."""
    hour, minute = map(int, slot.split(":"))
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=at.tzinfo)


def booking_days(db, config: Config, at: datetime) -> list[str]:
    """Today and the next `booking.days_ahead` working days, less the days a supervisor closed."""
    week = config.center.hours
    today = at.date()
    days = [today] if today.weekday() in week else []
    ahead = (today + timedelta(days=offset) for offset in range(1, 7 * config.booking.days_ahead + 8))
    days += [day for day in ahead if day.weekday() in week][:config.booking.days_ahead]
    return [d.isoformat() for d in days if _closed(db, d.isoformat(), "") is None]


def _service(db, service) -> dict:
    row = db.execute("SELECT code, name, open FROM services WHERE code = ?", (service,)).fetchone() \
        if isinstance(service, str) else None
    if row is None:
        raise QueueError("Lĩnh vực không tồn tại.", "unknown_service")
    return dict(row)


def bookable_services(db, config: Config) -> list[dict]:
    """Fields that take bookings (places per slot above 0), in kiosk order."""
    return [{"code": row["code"], "name": row["name"]}
            for row in db.execute("SELECT code, name FROM services ORDER BY position, code")
            if config.booking.slots_of(row["code"]).places > 0]


def _check_day(db, config: Config, day, at: datetime) -> date:
    if not isinstance(day, str) or day not in booking_days(db, config, at):
        raise QueueError("Ngày này không nhận đặt lịch.", "day_not_bookable")
    return date.fromisoformat(day)


def slots(db, config: Config, service, day, at: datetime) -> list[dict]:
    """A field's slots on a day with their free places; a slot already started is not offered."""
    _service(db, service)
    rules = config.booking.slots_of(service)
    if rules.places == 0:
        raise QueueError("Lĩnh vực này không nhận đặt lịch.", "service_not_bookable")
    when = _check_day(db, config, day, at)
    taken = dict(db.execute(
        "SELECT slot, count(*) FROM bookings WHERE day = ? AND service = ? AND status IN ('booked', 'checked_in')"
        " GROUP BY slot", (day, service)).fetchall())
    result = []
    for start, end in _slot_starts(config, service, when):
        slot = _hhmm(start)
        open_ = slot_start(at, day, slot) > at and _closed(db, day, service, slot) is None
        free = max(0, rules.places - taken.get(slot, 0)) if open_ else 0
        result.append({"start": slot, "end": _hhmm(end), "places": rules.places, "free": free, "open": open_})
    return result


def _new_code(db) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if db.execute("SELECT 1 FROM bookings WHERE code = ?", (code,)).fetchone() is None:
            return code


def _check_pace(db, config: Config, client: str, at: datetime) -> None:
    """Bookings in the last hour, from this address and from everyone, counted in the
    database: what a script cannot choose, shared by every server process."""
    rules = config.booking
    since = stamp(at - timedelta(hours=1))
    everyone = db.execute("SELECT count(*) FROM bookings WHERE created_at > ?", (since,)).fetchone()[0]
    if rules.max_per_hour and everyone >= rules.max_per_hour:
        raise BookingsTooFast("too_many_bookings", "Hệ thống đang nhận quá nhiều lượt đặt lịch. Xin thử lại sau ít phút.",
                              300)
    if rules.max_per_address_hour:
        mine = db.execute("SELECT count(*) FROM bookings WHERE created_at > ? AND client = ?",
                          (since, client)).fetchone()[0]
        if mine >= rules.max_per_address_hour:
            raise BookingsTooFast("too_many_bookings", "Thiết bị này đã đặt quá nhiều lịch. Xin thử lại sau.", 3600)


def _when_text(day: str, slot: str) -> str:
    moment = date.fromisoformat(day)
    return f"{slot} {WEEKDAYS_VI[moment.weekday()]} {moment:%d/%m/%Y}"


def book(db, config: Config, at: datetime, body: dict, client: str, base_url: str) -> dict:
    """Book one place: {"service", "day", "slot", "name", "phone", "id_number"?}.

    Returns the booking with its token (the key of its page) and code. `client`
    is the caller's address (for the hourly limit); `base_url` makes the link
    sent in the confirmation message."""
    service = _service(db, body.get("service"))
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX:
        raise QueueError(f"Họ tên phải có, tối đa {NAME_MAX} ký tự.", "invalid_name")
    name = " ".join(name.split())
    phone = normalize_phone(body.get("phone"))
    id_number = body.get("id_number") or ""
    if not isinstance(id_number, str) or (id_number and not ID_NUMBER.match(id_number.strip())):
        raise QueueError("Số CCCD gồm 12 chữ số.", "invalid_id_number")
    id_number = id_number.strip()
    day, slot = body.get("day"), body.get("slot")
    token = secrets.token_urlsafe(18)
    with immediate(db):
        offered = {s["start"]: s for s in slots(db, config, service["code"], day, at)}
        if not isinstance(slot, str) or slot not in offered or not offered[slot]["open"]:
            raise QueueError("Khung giờ này không nhận đặt lịch.", "slot_not_bookable")
        _check_pace(db, config, client, at)
        if offered[slot]["free"] <= 0:
            raise Conflict("Khung giờ này đã hết chỗ. Xin chọn khung giờ khác.", "slot_full")
        if db.execute("SELECT 1 FROM bookings WHERE phone = ? AND service = ? AND day = ? AND erased_at IS NULL"
                      " AND status IN ('booked', 'checked_in')", (phone, service["code"], day)).fetchone():
            raise Conflict("Số điện thoại này đã có lịch hẹn cho lĩnh vực này trong ngày.", "already_booked")
        code = _new_code(db)
        start = slot_start(at, day, slot)
        booking_id = db.execute(
            """INSERT INTO bookings (code, token, service, day, slot, name, phone, id_number, created_at, client,
                                     reminded)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (code, token, service["code"], day, slot, name, phone, id_number, stamp(at), client,
             int(start - at <= timedelta(minutes=config.notify.remind_before_min))),
        ).lastrowid
        log_event(db, at, "booked", service=service["code"], booking=booking_id, day=day, slot=slot)
        notify.enqueue(db, config.notify, at, "booked", booking_id, phone,
                       f"{config.center.name}: đã đặt lịch {service['name']} lúc {_when_text(day, slot)}."
                       f" Mã {code}. Xem hoặc huỷ: {base_url}/b/{token}")
    return booking_by_token(db, config, token, at)


BOOKING_SELECT = "SELECT b.*, s.name AS service_name FROM bookings b JOIN services s ON s.code = b.service"


def _public(row, config: Config, at: datetime) -> dict:
    """A booking as its pages and the API show it: personal data masked."""
    rules = config.booking
    start = slot_start(at, row["day"], row["slot"])
    status = row["status"]
    if status == "booked" and at > start + timedelta(minutes=rules.checkin_after_min):
        status = "no_show"
    return {
        "id": row["id"], "code": row["code"], "service": row["service"], "service_name": row["service_name"],
        "day": row["day"], "slot": row["slot"], "status": status,
        "name": row["name"], "phone": mask(row["phone"]), "id_number": mask(row["id_number"]),
        "checkin_from": stamp(start - timedelta(minutes=rules.checkin_before_min)),
        "checkin_until": stamp(start + timedelta(minutes=rules.checkin_after_min)),
        "cancel_reason": row["cancel_reason"], "ticket_id": row["ticket_id"],
    }


def booking_by_token(db, config: Config, token, at: datetime) -> dict:
    row = db.execute(BOOKING_SELECT + " WHERE b.token = ?", (token,)).fetchone() if isinstance(token, str) else None
    if row is None:
        raise NotFound("Không tìm thấy lịch hẹn này.", "booking_not_found")
    booking = _public(row, config, at)
    booking["token"] = token
    if row["ticket_id"] is not None:
        booking["ticket_token"] = db.execute("SELECT token FROM tickets WHERE id = ?", (row["ticket_id"],)).fetchone()[0]
    return booking


def _cancel(db, config: Config, row, at: datetime, reason: str, actor, message: str | None) -> None:
    db.execute("UPDATE bookings SET status = 'cancelled', cancelled_at = ?, cancel_reason = ? WHERE id = ?",
               (stamp(at), reason, row["id"]))
    log_event(db, at, "booking_cancelled", service=row["service"], actor=actor, booking=row["id"], reason=reason)
    if message:
        notify.enqueue(db, config.notify, at, "cancelled", row["id"], row["phone"], message)


def cancel_by_citizen(db, config: Config, token, at: datetime) -> dict:
    """The citizen cancels from their page: only a booking not yet checked in, before its slot ends."""
    with immediate(db):
        row = db.execute(BOOKING_SELECT + " WHERE b.token = ?", (token,)).fetchone() \
            if isinstance(token, str) else None
        if row is None:
            raise NotFound("Không tìm thấy lịch hẹn này.", "booking_not_found")
        if row["status"] != "booked" or _public(row, config, at)["status"] == "no_show":
            raise Conflict("Lịch hẹn này không còn huỷ được.", "booking_not_cancellable")
        _cancel(db, config, row, at, "citizen", "public", None)
    return booking_by_token(db, config, token, at)


def _reason(reason) -> str:
    if not isinstance(reason, str) or not reason.strip() or len(reason) > REASON_MAX:
        raise QueueError(f"Cần ghi lý do, tối đa {REASON_MAX} ký tự.", "invalid_reason")
    return " ".join(reason.split())


def cancel_by_staff(db, config: Config, booking_id: int, reason, at: datetime, actor=None) -> dict:
    """A supervisor cancels a booking with a reason; the citizen is notified."""
    reason = _reason(reason)
    with immediate(db):
        row = db.execute(BOOKING_SELECT + " WHERE b.id = ?", (booking_id,)).fetchone()
        if row is None:
            raise NotFound("Không tìm thấy lịch hẹn này.", "booking_not_found")
        if row["status"] != "booked":
            raise Conflict("Lịch hẹn này không còn huỷ được.", "booking_not_cancellable")
        _cancel(db, config, row, at, reason, actor, _cancel_message(config, row, reason))
        return _public(db.execute(BOOKING_SELECT + " WHERE b.id = ?", (booking_id,)).fetchone(), config, at)


def _cancel_message(config: Config, row, reason: str) -> str:
    return (f"{config.center.name}: lịch hẹn {row['code']} ({row['service_name']}, "
            f"{_when_text(row['day'], row['slot'])}) đã bị huỷ. Lý do: {reason}")


def close(db, config: Config, day, service, slot, reason, at: datetime, actor=None) -> int:
    """Close a day (service ""), a field's day (slot "") or one slot to booking; the
    bookings it holds are cancelled and their citizens notified. Returns how many."""
    reason = _reason(reason)
    try:
        when = date.fromisoformat(day) if isinstance(day, str) else None
    except ValueError:
        when = None
    if when is None or when < at.date():
        raise QueueError("Ngày phải có dạng YYYY-MM-DD, từ hôm nay trở đi.", "invalid_day")
    service, slot = _closure_key(db, service, slot)
    if slot and (not service or slot not in {_hhmm(s) for s, _ in _slot_starts(config, service, when)}):
        raise QueueError("Khung giờ không có trong lịch của lĩnh vực.", "invalid_slot")
    with immediate(db):
        db.execute("INSERT INTO booking_closures (day, service, slot, reason, at) VALUES (?, ?, ?, ?, ?)"
                   " ON CONFLICT DO UPDATE SET reason = excluded.reason", (day, service, slot, reason, stamp(at)))
        log_event(db, at, "booking_closed", service=service or None, actor=actor, day=day, slot=slot, reason=reason)
        rows = db.execute(BOOKING_SELECT + " WHERE b.day = ? AND b.status = 'booked'"
                          " AND (? = '' OR b.service = ?) AND (? = '' OR b.slot = ?)",
                          (day, service, service, slot, slot)).fetchall()
        for row in rows:
            _cancel(db, config, row, at, reason, actor, _cancel_message(config, row, reason))
    return len(rows)


def _closure_key(db, service, slot) -> tuple[str, str]:
    """A closure's field ("" for all) and slot ("" for the whole day), checked."""
    service = "" if service is None else service
    slot = "" if slot is None else slot
    if service != "":
        _service(db, service)
    if not isinstance(slot, str) or len(slot) > 5:
        raise QueueError("Khung giờ phải có dạng HH:MM.", "invalid_slot")
    return service, slot


def reopen(db, day, service, slot, at: datetime, actor=None) -> bool:
    """Undo a closure (bookings it cancelled stay cancelled)."""
    if not isinstance(day, str):
        raise QueueError("Ngày phải có dạng YYYY-MM-DD.", "invalid_day")
    service, slot = _closure_key(db, service, slot)
    with immediate(db):
        gone = db.execute("DELETE FROM booking_closures WHERE day = ? AND service = ? AND slot = ?",
                          (day, service, slot)).rowcount
        if gone:
            log_event(db, at, "booking_reopened", service=service or None, actor=actor, day=day, slot=slot or "")
    return bool(gone)


def day_listing(db, config: Config, day: str, at: datetime) -> dict:
    """The supervisor's view of a day: per field and slot, booked / checked in / no-show, and each booking masked."""
    rows = db.execute(BOOKING_SELECT + " WHERE b.day = ? ORDER BY s.position, b.slot, b.id", (day,)).fetchall()
    bookings = [_public(row, config, at) for row in rows]
    slots_seen: dict[tuple[str, str], dict] = {}
    for b in bookings:
        entry = slots_seen.setdefault((b["service"], b["slot"]), {
            "service": b["service"], "slot": b["slot"], "booked": 0, "checked_in": 0, "no_show": 0, "cancelled": 0})
        entry["booked" if b["status"] == "booked" else b["status"]] += 1
    closures = [dict(r) for r in db.execute(
        "SELECT day, service, slot, reason FROM booking_closures WHERE day = ? ORDER BY service, slot", (day,))]
    return {"day": day, "slots": list(slots_seen.values()), "bookings": bookings, "closures": closures}


def _find_today(db, at: datetime, code: str | None, id_number: str | None):
    day = day_of(at)
    if code is not None:
        return db.execute(BOOKING_SELECT + " WHERE b.code = ? AND b.day = ? AND b.status IN ('booked', 'checked_in')",
                          (code, day)).fetchone()
    rows = db.execute(BOOKING_SELECT + " WHERE b.id_number = ? AND b.day = ? AND b.status IN ('booked', 'checked_in')"
                      " ORDER BY b.slot", (id_number, day)).fetchall()
    # The booking whose check-in window is open now, else the next one today.
    for row in rows:
        if row["status"] == "booked" and at <= slot_start(at, day, row["slot"]) + timedelta(minutes=30):
            return row
    return rows[0] if rows else None


def check_in(db, config: Config, at: datetime, scanned, device_id: int | None = None, per_minute: int = 0) -> dict:
    """A kiosk checks a booking in from what was typed or scanned: a booking code, or
    a chip card's QR text (today's booking made with that ID number).

    Inside the window (booking.checkin_before_min before the slot to
    checkin_after_min after) it issues a ticket whose place in the queue is the
    slot's start. A booking already checked in gives its ticket again (a second
    scan), too early says when to come, too late says to take an ordinary number.
    With kiosk.priority_age, a card whose holder is that old gives a priority ticket;
    the birth date is read for that and kept nowhere."""
    if not isinstance(scanned, str) or not scanned.strip() or len(scanned) > 500:
        raise QueueError("Cần mã đặt lịch hoặc mã QR trên thẻ CCCD.", "invalid_booking_code")
    id_number = id_number_from_card(scanned)
    code = None if id_number else re.sub(r"[\s\-]", "", scanned).upper()
    rules = config.booking
    with immediate(db):
        row = _find_today(db, at, code, id_number)
        if row is None:
            raise NotFound("Không tìm thấy lịch hẹn hôm nay với mã này.", "booking_not_found")
        if row["status"] == "checked_in":
            ticket_id = row["ticket_id"]
        else:
            start = slot_start(at, row["day"], row["slot"])
            opens = start - timedelta(minutes=rules.checkin_before_min)
            if at < opens:
                raise Conflict(f"Lịch hẹn lúc {row['slot']}. Xin quay lại từ {opens:%H:%M}.", "booking_too_early")
            if at > start + timedelta(minutes=rules.checkin_after_min):
                raise Conflict(f"Đã quá giờ hẹn {row['slot']}. Xin lấy số thứ tự thông thường.", "booking_too_late")
            age = age_on_card(scanned, at.date()) if id_number else None
            elder = bool(config.kiosk.priority_age) and age is not None and age >= config.kiosk.priority_age
            ticket_id, _token = allocate_ticket(db, row["service"], elder, at, device_id, per_minute, arrived_at=start)
            db.execute("UPDATE bookings SET status = 'checked_in', checked_in_at = ?, ticket_id = ? WHERE id = ?",
                       (stamp(at), ticket_id, row["id"]))
            log_event(db, at, "checked_in", service=row["service"], booking=row["id"], ticket=ticket_id)
        token = db.execute("SELECT token FROM tickets WHERE id = ?", (ticket_id,)).fetchone()[0]
    ticket = get_ticket(db, ticket_id)
    ticket["token"] = token
    ticket["booking"] = {"code": row["code"], "slot": row["slot"], "name": row["name"]}
    return ticket


def queue_reminders(db, config: Config, at: datetime) -> int:
    """Queue the reminder of each booking whose slot starts within notify.remind_before_min."""
    soon = at + timedelta(minutes=config.notify.remind_before_min)
    with immediate(db):
        due = [row for row in db.execute(
            BOOKING_SELECT + " WHERE b.status = 'booked' AND b.reminded = 0 AND b.day BETWEEN ? AND ?",
            (day_of(at), day_of(soon))).fetchall() if at <= slot_start(at, row["day"], row["slot"]) <= soon]
        for row in due:
            db.execute("UPDATE bookings SET reminded = 1 WHERE id = ?", (row["id"],))  # inside the lock: once
            notify.enqueue(db, config.notify, at, "reminder", row["id"], row["phone"],
                           f"{config.center.name}: nhắc lịch hẹn {row['service_name']} lúc "
                           f"{_when_text(row['day'], row['slot'])}. Mã {row['code']}.")
    return len(due)


def queue_near_turn(db, config: Config, at: datetime) -> int:
    """Queue "sắp đến lượt" for each checked-in booking whose ticket has notify.near_turn_ahead people or fewer ahead.

    Runs every second: it reads first and takes the write lock only when a message is due."""
    rows = db.execute("SELECT b.id, b.phone, b.ticket_id FROM bookings b JOIN tickets t ON t.id = b.ticket_id"
                      " WHERE b.status = 'checked_in' AND b.near_turn = 0 AND t.status = 'waiting' AND t.day = ?",
                      (day_of(at),)).fetchall()
    due = [(row, ticket) for row in rows
           if (ticket := get_ticket(db, row["ticket_id"]))["ahead"] <= config.notify.near_turn_ahead]
    if not due:
        return 0
    sent = 0
    with immediate(db):
        for row, ticket in due:
            if not db.execute("UPDATE bookings SET near_turn = 1 WHERE id = ? AND near_turn = 0", (row["id"],)).rowcount:
                continue  # another server process queued it first
            notify.enqueue(db, config.notify, at, "near_turn", row["id"], row["phone"],
                           f"{config.center.name}: sắp đến lượt số {ticket['number']} "
                           f"({ticket['service_name']}), còn {ticket['ahead']} người trước bạn.")
            sent += 1
    return sent


def erase_expired(db, config: Config, at: datetime) -> int:
    """Erase the personal data of bookings whose day is more than booking.keep_days ago."""
    before = (at.date() - timedelta(days=config.booking.keep_days)).isoformat()
    with immediate(db):
        ids = [r[0] for r in db.execute(
            "UPDATE bookings SET name = '', phone = '', id_number = '', client = '', erased_at = ?"
            " WHERE erased_at IS NULL AND day < ? RETURNING id", (stamp(at), before)).fetchall()]
        db.conn.executemany("UPDATE outbox SET phone = '' WHERE booking_id = ?", [(i,) for i in ids])
    return len(ids)
