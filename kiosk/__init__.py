"""The ticket kiosk: citizens pick a field and get a number."""
import threading
import time

from flask import Blueprint, jsonify, render_template, request

from shared import events, hours, queue
from shared.queue import QueueError
from shared.web import error, get_db, json_body, now, settings

from . import printer

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/kiosk/static")
bp.record_once(lambda setup: printer.init_app(setup.app))


@bp.get("/kiosk")
def page():
    return render_template("kiosk.html", center=settings()["center"])


@bp.get("/api/services")
def list_services():
    return jsonify(queue.services(get_db(), now()))


class _KioskLimit:
    """At most N tickets a minute from one kiosk (its address and name), so an impatient
    citizen tapping again and again, or a stuck touch screen, cannot empty a field's numbers."""

    def __init__(self):
        self._issued: dict[tuple, list[float]] = {}
        self._lock = threading.Lock()

    def allow(self, kiosk: tuple, per_minute: int) -> bool:
        moment = time.monotonic()
        with self._lock:
            recent = [t for t in self._issued.get(kiosk, ()) if moment - t < 60]
            allowed = len(recent) < per_minute
            if allowed:
                recent.append(moment)
            self._issued[kiosk] = recent
        return allowed


_limit = _KioskLimit()


@bp.get("/api/hours")
def working_hours():
    """Whether the center hands out numbers now, and when it next opens."""
    return jsonify(hours.status(hours.parse_hours(settings()["center"]["hours"]), now()))


@bp.post("/api/tickets")
def issue():
    """Open to any kiosk on the center's LAN: citizens carry no credentials, so the
    kiosk is known by its address and name, and limited in how fast it issues."""
    body = json_body()
    service, priority = body.get("service"), body.get("priority", False)
    kiosk = body.get("kiosk", "")
    if not isinstance(service, str) or not isinstance(priority, bool):
        raise QueueError("Cần có service (mã lĩnh vực) và priority (true/false).", "invalid_ticket")
    if not isinstance(kiosk, str) or len(kiosk) > 40:
        raise QueueError("Tên máy lấy số không hợp lệ.", "invalid_kiosk")
    at = now()
    hours.require_open(hours.parse_hours(settings()["center"]["hours"]), at)
    per_minute = settings()["kiosk"]["max_tickets_per_minute"]
    if per_minute and not _limit.allow((request.remote_addr, kiosk), per_minute):
        return error(429, "too_many_tickets", "Máy lấy số đang cấp quá nhanh, vui lòng chờ một chút.")
    ticket = queue.issue_ticket(get_db(), service, priority, at)
    events.changed()
    printer.print_ticket(ticket, kiosk)
    return jsonify(ticket), 201


@bp.get("/api/tickets")
def list_today():
    """Today's tickets in one status: ?status=no_show lists who can be called back."""
    return jsonify(queue.tickets_today(get_db(), now(), request.args.get("status", "waiting")))


@bp.get("/api/tickets/<int:ticket_id>")
def show(ticket_id):
    return jsonify(queue.get_ticket(get_db(), ticket_id))


def ticket_status(ticket: dict) -> dict:
    """A ticket with what its citizen wants to know: which counters serve its field,
    the numbers they serve now, and an honest wait estimate."""
    db = get_db()
    serving = [c for c in queue.counters(db, queue.day_of(now()))
               if c["open"] and ticket["service"] in c["services"]]
    ticket["counters"] = [{"id": c["id"], "name": c["name"], "paused": c["paused"],
                           "current": c["current"]["number"] if c["current"] else None} for c in serving]
    ticket["estimate"] = queue.wait_estimate(db, ticket["service"], ticket["ahead"], now())
    return ticket


@bp.get("/api/t/<token>")
def by_token(token):
    """The citizen's own ticket by its unguessable token (the phone status page)."""
    return jsonify(ticket_status(queue.ticket_by_token(get_db(), token)))


@bp.get("/api/kiosk/services")
def kiosk_services():
    """Fields in kiosk order, with `full` when today's daily cap is reached and the wait
    a citizen taking a number now may expect, so the start screen can show it."""
    db, at = get_db(), now()
    caps = queue.service_caps(db, at)
    return jsonify([dict(s, full=caps.get(s["code"], {}).get("full", False),
                         estimate=queue.wait_estimate(db, s["code"], s["waiting"], at))
                    for s in queue.services(db, at)])
