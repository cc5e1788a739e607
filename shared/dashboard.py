"""The supervisor's live dashboard: queues, counters and alerts for today; no Flask here.

Read on every `state` push and every 15 s by the supervisor page, so it reads
today's rows through indexes (about 4 ms on a 650-ticket day). Durations are
seconds to `at`, which the caller passes (the request's clock), so they keep
growing between events. A wait is measured as in shared/reports.py: from
`issued_at` (kept across transfers) to the ticket's first `called` event.
"""
from datetime import datetime, timedelta

from . import hours, presence
from .audit import day_of, log_event, stamp
from .db import immediate
from .errors import NotFound, QueueError

HOUR = timedelta(hours=1)


def _seconds(since: str | None, at: datetime) -> float | None:
    return None if since is None else max(0.0, (at - datetime.fromisoformat(since)).total_seconds())


def officer_name(actor: str | None) -> str | None:
    """The name part of an audit actor "role:id:name" (whatever else it holds, as is)."""
    if not actor:
        return None
    parts = actor.split(":", 2)
    return parts[2] if len(parts) == 3 else actor


def fields(db, at: datetime) -> list[dict]:
    """Per field: waiting now, longest current wait, average wait of the last hour, served today."""
    day = day_of(at)
    waiting = {
        r["service"]: r for r in db.execute(
            "SELECT service, count(*) AS n, min(arrived_at) AS oldest FROM tickets"
            " WHERE status = 'waiting' AND day = ? GROUP BY service", (day,))
    }
    served = dict(db.execute(
        "SELECT service, count(*) FROM tickets WHERE status = 'done' AND day = ? GROUP BY service", (day,)
    ).fetchall())
    # A ticket is first called in the field it was issued in: a transfer needs a call first.
    recent: dict[str, list[float]] = {}
    for r in db.execute(
        """SELECT t.issued_service AS service, t.issued_at, f.first_call
           FROM (SELECT ticket_id, min(at) AS first_call FROM audit
                 WHERE at >= ? AND kind = 'called' GROUP BY ticket_id) f
           JOIN tickets t ON t.id = f.ticket_id WHERE t.day = ?""", (day, day)
    ):
        called = datetime.fromisoformat(r["first_call"])
        if at - HOUR < called <= at:
            recent.setdefault(r["service"], []).append(
                (called - datetime.fromisoformat(r["issued_at"])).total_seconds())
    result = []
    for row in db.execute("SELECT code, name, open FROM services ORDER BY position, code"):
        code, queue = row["code"], waiting.get(row["code"])
        waits = recent.get(code, [])
        result.append({
            "code": code, "name": row["name"], "open": bool(row["open"]),
            "waiting": queue["n"] if queue else 0,
            "oldest_arrived_at": queue["oldest"] if queue else None,
            "longest_wait_s": _seconds(queue["oldest"], at) if queue else None,
            "called_last_hour": len(waits),
            "avg_wait_last_hour_s": sum(waits) / len(waits) if waits else None,
            "served": served.get(code, 0),
        })
    return result


def _paused_since(db, counter_id: int) -> str | None:
    """When a paused counter's latest pause began (it may be yesterday: a pause outlasts the night)."""
    row = db.execute("SELECT at FROM audit WHERE counter_id = ? AND kind = 'paused' ORDER BY id DESC LIMIT 1",
                     (counter_id,)).fetchone()
    return row[0] if row else None


def counters(db, at: datetime) -> list[dict]:
    """Per counter: open/paused/closed, officer, current ticket and for how long, served today."""
    day = day_of(at)
    services: dict[int, list[str]] = {}
    for r in db.execute("SELECT counter_id, service FROM counter_services ORDER BY counter_id, position"):
        services.setdefault(r[0], []).append(r[1])
    # Whoever called last today is at the counter (the events_at index keeps this to today).
    officer = {r["counter_id"]: r["actor"] for r in db.execute(
        "SELECT counter_id, actor FROM audit WHERE at >= ? AND kind = 'called' ORDER BY at, id", (day,))}
    current = {r["counter_id"]: r for r in db.execute(
        "SELECT * FROM tickets WHERE status = 'called' AND day = ?", (day,))}
    served = dict(db.execute(
        "SELECT counter_id, count(*) FROM tickets WHERE status = 'done' AND day = ? AND counter_id IS NOT NULL"
        " GROUP BY counter_id", (day,)).fetchall())
    here = presence.present(db, at)
    # When each counter last did something an idle officer would not (call, finish, resume).
    moved = dict(db.execute(
        "SELECT counter_id, max(at) FROM audit WHERE at >= ? AND counter_id IS NOT NULL AND kind IN"
        " ('called', 'recalled', 'finished', 'no_show', 'transferred', 'resumed', 'counter_opened')"
        " GROUP BY counter_id", (day,)).fetchall())
    result = []
    for row in db.execute("SELECT * FROM counters ORDER BY position, id"):
        cid = row["id"]
        ticket, actor = current.get(cid), officer.get(cid)
        there = here.get(cid)
        paused = bool(row["open"] and row["paused"])
        paused_since = _paused_since(db, cid) if paused else None
        result.append({
            "id": cid, "name": row["name"], "open": bool(row["open"]), "paused": paused,
            "status": "closed" if not row["open"] else "paused" if paused else "open",
            "services": services.get(cid, []),
            "officer": officer_name(actor),
            "actor": actor,
            "current": {
                "id": ticket["id"], "number": ticket["number"], "service": ticket["service"],
                "priority": bool(ticket["priority"]), "called_at": ticket["called_at"],
                "for_s": _seconds(ticket["called_at"], at),
            } if ticket else None,
            "paused_since": paused_since,
            "paused_s": _seconds(paused_since, at),
            "served": served.get(cid, 0),
            "present": {"officer": officer_name(there["actor"]), "actor": there["actor"],
                        "since": there["since"]} if there else None,
            "left_at": None if there else presence.left_at(db, cid),
            "last_action_at": moved.get(cid),
        })
    return result


def _minutes(seconds: float) -> int:
    return int(seconds // 60)


def alerts(field_rows: list[dict], counter_rows: list[dict], printer: dict | None,
           wait_alert_min: int, pause_alert_min: int, messages: dict | None = None,
           crowded: list[dict] | None = None) -> list[dict]:
    """What needs the supervisor now: long waits, a printer fault, counters paused too long,
    fields no open counter serves (the kiosk still hands out numbers nobody would call),
    fields whose queue exceeds what their counters can serve before closing
    (shared/estimate.crowded), and messages to citizens the gateway refused (shared/notify.summary)."""
    found = []
    names = {f["code"]: f["name"] for f in field_rows}
    for c in crowded or []:
        found.append({"kind": "crowded", **c,
                      "message": f"{names.get(c['service'], c['service'])}: các quầy hiện có không kịp phục vụ"
                                 + (f" {c['unreached']} công dân đang chờ" if c["unreached"] else " người lấy số tiếp theo")
                                 + f" trước {c['close']}. Cần mở thêm quầy cho lĩnh vực này."})
    if messages and (messages["failed"] or messages["problems"]):
        last = messages["problems"][0]["last_error"] if messages["problems"] else ""
        found.append({"kind": "notices", "failed": messages["failed"], "pending": messages["pending"],
                      "message": f"Tin nhắn cho công dân không gửi được: {messages['failed']} đã bỏ,"
                                 f" {messages['pending']} đang chờ gửi lại. Lỗi gần nhất: {last}"})
    if printer and printer.get("ok") is False:
        found.append({"kind": "printer", "since": printer.get("at"), "error": printer.get("error"),
                      "message": "Máy in số thứ tự bị lỗi" + (f": {printer['error']}" if printer.get("error") else ".")})
    for f in field_rows:
        if f["longest_wait_s"] is not None and f["longest_wait_s"] > wait_alert_min * 60:
            found.append({"kind": "wait", "service": f["code"], "seconds": f["longest_wait_s"],
                          "message": f"{f['name']}: công dân đã chờ {_minutes(f['longest_wait_s'])} phút"
                                     f" (ngưỡng {wait_alert_min} phút)."})
    served = {code for c in counter_rows if c["open"] for code in c["services"]}
    for f in field_rows:
        if f["code"] not in served and (f["open"] or f["waiting"]):
            found.append({"kind": "unserved", "service": f["code"], "waiting": f["waiting"],
                          "message": f"{f['name']}: không có quầy nào đang mở phục vụ lĩnh vực này"
                                     + (f", {f['waiting']} công dân đang chờ." if f["waiting"] else ".")})
    for c in counter_rows:
        if c["paused_s"] is not None and c["paused_s"] > pause_alert_min * 60:
            found.append({"kind": "paused", "counter": c["id"], "seconds": c["paused_s"],
                          "message": f"{c['name']} tạm dừng đã {_minutes(c['paused_s'])} phút"
                                     f" (ngưỡng {pause_alert_min} phút)."})
    return found


def presence_alerts(field_rows: list[dict], counter_rows: list[dict], at: datetime, opened_at: datetime | None,
                    health: dict) -> list[dict]:
    """What presence shows the supervisor: a field whose citizens wait with no officer at any
    open counter serving it; a counter open without an officer for long during working hours
    (`opened_at`: when the current working period began, None outside hours); an officer
    present but not calling while citizens of the counter's fields wait."""
    found = []
    open_rows = [c for c in counter_rows if c["open"]]
    staffed = {code for c in open_rows if c["present"] for code in c["services"]}
    offered = {code for c in open_rows for code in c["services"]}
    for f in field_rows:
        if (f["code"] in offered and f["code"] not in staffed and f["waiting"]
                and f["longest_wait_s"] >= health["no_officer_alert_min"] * 60):
            found.append({"kind": "no_officer", "service": f["code"], "waiting": f["waiting"],
                          "seconds": f["longest_wait_s"],
                          "message": f"{f['name']}: {f['waiting']} công dân đang chờ"
                                     f" {_minutes(f['longest_wait_s'])} phút nhưng không có cán bộ ở quầy nào"
                                     " phục vụ lĩnh vực này."})
    waiting = {f["code"]: f["waiting"] for f in field_rows}
    for c in open_rows:
        if c["present"] is None and opened_at is not None:
            since = max([opened_at] + [datetime.fromisoformat(t) for t in (c["left_at"], c["last_action_at"]) if t])
            seconds = max(0.0, (at - since).total_seconds())
            if seconds > health["unstaffed_alert_min"] * 60:
                found.append({"kind": "unstaffed", "counter": c["id"], "seconds": seconds,
                              "message": f"{c['name']} đang mở nhưng không có cán bộ đã {_minutes(seconds)} phút:"
                                         " đóng quầy hoặc cử cán bộ đến."})
        if c["present"] and not c["paused"] and c["current"] is None and any(waiting.get(s) for s in c["services"]):
            since = max(t for t in (c["present"]["since"], c["last_action_at"]) if t)
            seconds = _seconds(since, at)
            if seconds > health["idle_alert_min"] * 60:
                found.append({"kind": "idle", "counter": c["id"], "seconds": seconds,
                              "message": f"{c['name']}: cán bộ {c['present']['officer']} có mặt nhưng chưa gọi số"
                                         f" đã {_minutes(seconds)} phút trong khi công dân đang chờ."})
    return found


def build(db, at: datetime, printer: dict | None, wait_alert_min: int, pause_alert_min: int,
          messages: dict | None = None, crowded: list[dict] | None = None, health: dict | None = None,
          week: dict | None = None, device_alerts: list[dict] = ()) -> dict:
    """The whole dashboard in one document (docs/api.md, "Supervisor dashboard").
    `messages` is the outbox's summary when a gateway is configured (sent as "notices");
    `crowded`, the fields shared/estimate.crowded finds; `health` the config's health section
    (presence alerts), `week` the parsed center.hours, `device_alerts` the hall displays'
    (shared/devices.alerts)."""
    field_rows, counter_rows = fields(db, at), counters(db, at)
    found = alerts(field_rows, counter_rows, printer, wait_alert_min, pause_alert_min, messages, crowded)
    if health is not None:
        found += presence_alerts(field_rows, counter_rows, at, hours.period_start(week or {}, at), health)
    return {
        "at": stamp(at),
        "fields": field_rows,
        "counters": counter_rows,
        "printer": printer,
        "thresholds": {"wait_alert_min": wait_alert_min, "pause_alert_min": pause_alert_min,
                       **({k: v for k, v in health.items() if k.endswith(("_min", "_s"))} if health else {})},
        "notices": messages,
        "alerts": found + list(device_alerts),
    }


def set_service_open(db, code: str, changes, at: datetime, actor=None) -> dict:
    """Close a field (the kiosk stops issuing its numbers) or reopen it.

    Tickets already waiting stay in the queue and are still called: closing a
    field for the day turns new citizens away, never those who came in time.
    """
    if not isinstance(changes, dict) or set(changes) != {"open"} or not isinstance(changes["open"], bool):
        raise QueueError("Chỉ có thể đổi open, với giá trị true hoặc false.", "invalid_change")
    with immediate(db):
        row = db.execute("SELECT open FROM services WHERE code = ?", (code,)).fetchone()
        if row is None:
            raise NotFound("Không tìm thấy lĩnh vực này.", "service_not_found")
        if bool(row["open"]) != changes["open"]:
            db.execute("UPDATE services SET open = ? WHERE code = ?", (int(changes["open"]), code))
            log_event(db, at, "service_opened" if changes["open"] else "service_closed", service=code, actor=actor)
    return next(f for f in fields(db, at) if f["code"] == code)
