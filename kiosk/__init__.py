"""The ticket kiosk: citizens pick a field and get a number."""
from flask import Blueprint, jsonify, render_template, request

from shared import events, queue
from shared.queue import QueueError
from shared.web import get_db, json_body, now, settings

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


@bp.post("/api/tickets")
def issue():
    """Open to any kiosk on the center's LAN: citizens carry no credentials."""
    body = json_body()
    service, priority = body.get("service"), body.get("priority", False)
    kiosk = body.get("kiosk", "")
    if not isinstance(service, str) or not isinstance(priority, bool):
        raise QueueError("Cần có service (mã lĩnh vực) và priority (true/false).", "invalid_ticket")
    if not isinstance(kiosk, str) or len(kiosk) > 40:
        raise QueueError("Tên máy lấy số không hợp lệ.", "invalid_kiosk")
    ticket = queue.issue_ticket(get_db(), service, priority, now())
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
