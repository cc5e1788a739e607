"""What the hall sees, read from the database: counters and their current tickets, fields
with their waiting counts, recent calls, daily caps, the notice line. No Flask here."""
from datetime import datetime

from . import presence
from .audit import day_of, log_event
from .db import immediate
from .errors import QueueError
from .text import plain
from .queue import TICKET_SELECT, counter_row, ticket_from_row


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
    counter_row(db, counter_id)
    return next(c for c in counters(db) if c["id"] == counter_id)


def services(db, at: datetime) -> list[dict]:
    """Fields in kiosk order with today's waiting count."""
    waiting = dict(db.execute(
        "SELECT service, count(*) FROM tickets WHERE status = 'waiting' AND day = ? GROUP BY service",
        (day_of(at),),
    ).fetchall())
    return [
        {"code": row["code"], "name": row["name"], "name_en": row["name_en"],
         "short_name": row["short_name"] or row["name"], "open": bool(row["open"]),
         "waiting": waiting.get(row["code"], 0)}
        for row in db.execute("SELECT * FROM services ORDER BY position, code")
    ]


def recent_calls(db, at: datetime, limit: int) -> list[dict]:
    """Today's latest calls, newest first, for the hall's history column; `callback` marks a
    number called again after it was marked a no-show (the citizen who had stepped out)."""
    rows = db.execute(
        """SELECT e.at, e.kind, e.counter_id, t.number, t.service,
                  EXISTS (SELECT 1 FROM audit n WHERE n.ticket_id = e.ticket_id AND n.kind = 'no_show'
                          AND n.id < e.id) AS callback
           FROM audit e JOIN tickets t ON t.id = e.ticket_id
           WHERE e.kind IN ('called', 'recalled') AND e.at >= ?
           ORDER BY e.id DESC LIMIT ?""",
        (day_of(at), limit),
    ).fetchall()
    return [
        {"number": r["number"], "service": r["service"], "counter": r["counter_id"],
         "at": r["at"], "recall": r["kind"] == "recalled", "callback": bool(r["callback"])}
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
                  (SELECT count(*) FROM audit r WHERE r.ticket_id = e.ticket_id AND r.kind = 'recalled'
                   AND r.id <= e.id) AS recalls
           FROM audit e JOIN tickets t ON t.id = e.ticket_id JOIN counters c ON c.id = e.counter_id
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
    return [ticket_from_row(row) for row in rows]


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
    checked = plain(text, NOTICE_MAX, least=0)
    if checked is None:
        raise QueueError(f"Thông báo phải là chữ, tối đa {NOTICE_MAX} ký tự, không có ký tự ẩn.", "bad_request")
    text = checked
    with immediate(db):
        db.execute("INSERT INTO settings (key, value) VALUES ('notice', ?)"
                   " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (text,))
        log_event(db, at, "notice_set", actor=actor, text=text)
    return text
