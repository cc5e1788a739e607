"""Online booking: the public /book pages and API, check-in at an enrolled kiosk,
and the supervisor's listing. The rules live in shared/booking.py."""
from datetime import timedelta, timezone

from flask import Response, abort, jsonify, render_template, request

from shared import booking, events
from shared.web import absolute_url, booking_enabled, config, device, get_db, now, qr_svg, request_json, require_device

from . import bp, printer


@bp.get("/book")
@booking_enabled
def book_page():
    return render_template("book.html", center=config().center, token=None,
                           keep_days=config().booking.keep_days)


@bp.get("/b/<token>")
@booking_enabled
def booking_page(token):
    """The citizen's booking: its code, QR code, calendar file, and a cancel button."""
    try:
        booking.booking_by_token(get_db(), config(), token, now())
    except booking.NotFound:
        return render_template("book.html", center=config().center, token=None, missing=True), 404
    return render_template("book.html", center=config().center, token=token)


@bp.get("/b/<token>/qr.svg")
@booking_enabled
def booking_qr(token):
    """The booking code as a QR code, for the kiosk's scanner (drawn here: no network)."""
    try:
        found = booking.booking_by_token(get_db(), config(), token, now())
    except booking.NotFound:
        abort(404)
    return qr_svg(found["code"])


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


@bp.get("/b/<token>/booking.ics")
@booking_enabled
def booking_ics(token):
    """The booking as a calendar event, for the phone's calendar."""
    found = booking.booking_by_token(get_db(), config(), token, now())
    start = booking.slot_start(now(), found["day"], found["slot"])
    length = config().booking.slots_of(found["service"]).slot_min
    utc = "%Y%m%dT%H%M%SZ"
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//motcua//booking//VI", "BEGIN:VEVENT",
        f"UID:{found['code']}-{found['id']}@motcua",
        f"DTSTAMP:{now().astimezone(timezone.utc).strftime(utc)}",
        f"DTSTART:{start.astimezone(timezone.utc).strftime(utc)}",
        f"DTEND:{(start + timedelta(minutes=length)).astimezone(timezone.utc).strftime(utc)}",
        f"SUMMARY:{_ics_text(found['service_name'] + ' - mã ' + found['code'])}",
        f"LOCATION:{_ics_text(config().center.name)}",
        f"URL:{absolute_url('/b/' + token)}",
        "END:VEVENT", "END:VCALENDAR", "",
    ]
    response = Response("\r\n".join(lines), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="lich-hen-{found["code"]}.ics"'
    return response


@bp.get("/api/booking")
@booking_enabled
def booking_options():
    """What a booking client offers: the bookable fields and days."""
    db = get_db()
    return jsonify({"services": booking.bookable_services(db, config()),
                    "days": booking.booking_days(db, config(), now())})


@bp.get("/api/booking/slots")
@booking_enabled
def booking_slots():
    service, day = request.args.get("service"), request.args.get("day")
    return jsonify({"service": service, "day": day,
                    "slots": booking.slots(get_db(), config(), service, day, now())})


@bp.post("/api/bookings")
@booking_enabled
def create_booking():
    body = request_json("service", "day", "slot", "name", "phone", "id_number")
    made = booking.book(get_db(), config(), now(), body, request.remote_addr or "", absolute_url(""))
    return jsonify(made), 201


@bp.get("/api/bookings/<token>")
@booking_enabled
def show_booking(token):
    return jsonify(booking.booking_by_token(get_db(), config(), token, now()))


@bp.delete("/api/bookings/<token>")
@booking_enabled
def cancel_booking(token):
    return jsonify(booking.cancel_by_citizen(get_db(), config(), token, now()))


@bp.post("/api/bookings/check-in")
@booking_enabled
@require_device("kiosk")
def check_in_booking():
    """From an enrolled kiosk only: {"code": "..."} typed or scanned (a booking code or a chip card's QR text)."""
    code = request_json("code").get("code")
    kiosk = device()
    ticket = booking.check_in(get_db(), config(), now(), code, kiosk["id"],
                              config().kiosk.max_tickets_per_minute)
    events.changed()
    printer.print_ticket(ticket, kiosk["name"])
    return jsonify(ticket), 201
