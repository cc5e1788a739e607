"""The ticket kiosk: citizens pick a field and get a number."""
from flask import Blueprint, jsonify, render_template, request

from shared import audit, estimate, events, hall, hours, presence, queue
from shared.web import NEW_TICKET_PRIORITY, NEW_TICKET_SERVICE, config, device, get_db, now, request_json, require_device

from . import printer

bp = Blueprint("kiosk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/kiosk/static")
bp.record_once(lambda setup: printer.init_app(setup.app))


@bp.get("/kiosk")
def page():
    """The kiosk page; on a device not yet enrolled it says so instead of offering numbers."""
    enrolled = device()
    return render_template("kiosk.html", center=config().center,
                           kiosk=enrolled["name"] if enrolled and enrolled["kind"] == "kiosk" else None,
                           booking=config().booking.enabled, reprint_s=REPRINT_S)


@bp.get("/api/services")
def list_services():
    return jsonify(hall.services(get_db(), now()))


@bp.get("/api/hours")
def working_hours():
    """Whether the center hands out numbers now, and when it next opens."""
    return jsonify(hours.status(config().center.hours, now()))


@bp.post("/api/tickets")
@require_device("kiosk")
def issue():
    """Only enrolled kiosks issue numbers (and priority numbers): a phone on the hall's
    network could otherwise empty a field's day. The kiosk's name, which picks its
    printer, and its pace limit come from its credential, never from the request."""
    body = request_json(service=NEW_TICKET_SERVICE, priority=NEW_TICKET_PRIORITY)
    service, priority = body["service"], body["priority"]
    at = now()
    hours.require_open(config().center.hours, at)
    kiosk = device()
    db = get_db()
    ticket = queue.issue_ticket(db, service, priority, at, kiosk["id"], config().kiosk.max_tickets_per_minute)
    ticket["estimate"] = estimate.at_issue(db, config(), ticket, at)  # kept before the kiosk shows it
    events.changed()
    printer.print_ticket(ticket, kiosk["name"])
    return jsonify(ticket), 201


REPRINT_S, REPRINTS = 300, 2  # the page offers "In lại" as long (kiosk.html data-reprint-s)


@bp.post("/api/tickets/<int:ticket_id>/reprint")
@require_device("kiosk")
def reprint(ticket_id):
    """One more paper copy of this kiosk's own recent ticket, on its printer."""
    kiosk = device()
    ticket = queue.reprint(get_db(), ticket_id, kiosk["id"], now(), REPRINT_S, REPRINTS)
    printer.print_ticket(ticket, kiosk["name"])
    return jsonify(ticket)


@bp.get("/api/tickets")
def list_today():
    """Today's tickets in one status: ?status=no_show lists who can be called back."""
    return jsonify(hall.tickets_today(get_db(), now(), request.args.get("status", "waiting")))


@bp.get("/api/tickets/<int:ticket_id>")
def show(ticket_id):
    return jsonify(queue.get_ticket(get_db(), ticket_id))


def ticket_status(ticket: dict) -> dict:
    """A ticket with what its citizen wants to know: which counters serve its field (and
    whether an officer is at each), the numbers they serve now, and an honest wait estimate
    (shared/estimate.py; a change of what it says is kept, to be compared with what happened)."""
    db, at = get_db(), now()
    staffed = presence.serving_counters(db, at)
    serving = [c for c in hall.counters(db, audit.day_of(at))
               if c["open"] and ticket["service"] in c["services"]]
    ticket["counters"] = [{"id": c["id"], "name": c["name"], "paused": c["paused"], "staffed": c["id"] in staffed,
                           "current": c["current"]["number"] if c["current"] else None} for c in serving]
    ticket["estimate"] = estimate.shown_on_phone(db, config(), ticket, at)
    ticket["at"] = audit.stamp(at)  # the server's moment, which the phone shows as "Cập nhật lúc"
    return ticket


@bp.get("/api/t/<token>")
def by_token(token):
    """The citizen's own ticket by its unguessable token (the phone status page)."""
    return jsonify(ticket_status(queue.ticket_by_token(get_db(), token)))


@bp.get("/api/kiosk/services")
def kiosk_services():
    """Fields in kiosk order, with `full` when today's daily cap is reached and the wait
    a citizen taking a number now may expect (or that the counters may not reach them
    today), so the start screen says so before a number is taken."""
    db, at = get_db(), now()
    caps = hall.service_caps(db, at)
    outlook = estimate.for_fields(db, config(), at)
    return jsonify([dict(s, full=caps.get(s["code"], {}).get("full", False), estimate=outlook[s["code"]])
                    for s in hall.services(db, at)])


from . import booking  # noqa: E402,F401  (routes on bp)
