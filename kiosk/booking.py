"""Online booking: the public /book pages and API, check-in at an enrolled kiosk,
and the supervisor's listing. The rules live in shared/booking.py."""
import functools
import io
from datetime import timedelta, timezone

import qrcode
import qrcode.image.svg
from flask import Response, abort, jsonify, render_template, request

from shared import booking, events, notify
from shared.queue import QueueError, day_of
from shared.web import (absolute_url, actor, device, error, get_db, json_body, now, only_keys, require,
                        require_device, settings)

from . import bp, printer


def booking_on(view):
    """Every booking route answers 404 while booking.enabled is false."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not settings()["booking"]["enabled"]:
            if request.path.startswith("/api/"):
                return error(404, "booking_disabled", "Trung tâm chưa mở đặt lịch trực tuyến.")
            abort(404)
        return view(*args, **kwargs)
    return wrapped


@bp.get("/book")
@booking_on
def book_page():
    return render_template("book.html", center=settings()["center"], token=None,
                           keep_days=settings()["booking"]["keep_days"])


@bp.get("/b/<token>")
@booking_on
def booking_page(token):
    """The citizen's booking: its code, QR code, calendar file, and a cancel button."""
    try:
        booking.booking_by_token(get_db(), settings(), token, now())
    except booking.NotFound:
        return render_template("book.html", center=settings()["center"], token=None, missing=True), 404
    return render_template("book.html", center=settings()["center"], token=token)


@bp.get("/b/<token>/qr.svg")
@booking_on
def booking_qr(token):
    """The booking code as a QR code, for the kiosk's scanner (drawn here: no network)."""
    try:
        found = booking.booking_by_token(get_db(), settings(), token, now())
    except booking.NotFound:
        abort(404)
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M,
                         image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(found["code"])
    out = io.BytesIO()
    code.make_image().save(out)
    response = Response(out.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


@bp.get("/b/<token>/booking.ics")
@booking_on
def booking_ics(token):
    """The booking as a calendar event, for the phone's calendar."""
    found = booking.booking_by_token(get_db(), settings(), token, now())
    start = booking.slot_start(now(), found["day"], found["slot"])
    length = booking.field_rules(settings(), found["service"])["slot_min"]
    utc = "%Y%m%dT%H%M%SZ"
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//motcua//booking//VI", "BEGIN:VEVENT",
        f"UID:{found['code']}-{found['id']}@motcua",
        f"DTSTAMP:{now().astimezone(timezone.utc).strftime(utc)}",
        f"DTSTART:{start.astimezone(timezone.utc).strftime(utc)}",
        f"DTEND:{(start + timedelta(minutes=length)).astimezone(timezone.utc).strftime(utc)}",
        f"SUMMARY:{_ics_text(found['service_name'] + ' - mã ' + found['code'])}",
        f"LOCATION:{_ics_text(settings()['center']['name'])}",
        f"URL:{absolute_url('/b/' + token)}",
        "END:VEVENT", "END:VCALENDAR", "",
    ]
    response = Response("\r\n".join(lines), mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="lich-hen-{found["code"]}.ics"'
    return response


@bp.get("/api/booking")
@booking_on
def booking_options():
    """What a booking client offers: the bookable fields and days."""
    db = get_db()
    return jsonify({"services": booking.bookable_services(db, settings()),
                    "days": booking.booking_days(db, settings(), now())})


@bp.get("/api/booking/slots")
@booking_on
def booking_slots():
    service, day = request.args.get("service"), request.args.get("day")
    return jsonify({"service": service, "day": day,
                    "slots": booking.slots(get_db(), settings(), service, day, now())})


@bp.post("/api/bookings")
@booking_on
def create_booking():
    body = only_keys(json_body(), "service", "day", "slot", "name", "phone", "id_number")
    made = booking.book(get_db(), settings(), now(), body, request.remote_addr or "", absolute_url(""))
    return jsonify(made), 201


@bp.get("/api/bookings/<token>")
@booking_on
def show_booking(token):
    return jsonify(booking.booking_by_token(get_db(), settings(), token, now()))


@bp.delete("/api/bookings/<token>")
@booking_on
def cancel_booking(token):
    return jsonify(booking.cancel_by_citizen(get_db(), settings(), token, now()))


@bp.post("/api/bookings/check-in")
@booking_on
@require_device("kiosk")
def check_in_booking():
    """From an enrolled kiosk only: {"code": "..."} typed or scanned (a booking code or a chip card's QR text)."""
    code = only_keys(json_body(), "code").get("code")
    kiosk = device()
    ticket = booking.check_in(get_db(), settings(), now(), code, kiosk["id"],
                              settings()["kiosk"]["max_tickets_per_minute"])
    events.changed()
    printer.print_ticket(ticket, kiosk["name"])
    return jsonify(ticket), 201


@bp.get("/api/bookings")
@booking_on
@require("supervisor")
def bookings_of_day():
    """The supervisor's listing of a day (?day=YYYY-MM-DD, default today), personal data masked."""
    day = request.args.get("day") or day_of(now())
    if len(day) != 10:
        raise QueueError("Ngày phải có dạng YYYY-MM-DD.", "invalid_day")
    listing = booking.day_listing(get_db(), settings(), day, now())
    listing["notices"] = notify.summary(get_db())
    return jsonify(listing)


@bp.post("/api/bookings/<int:booking_id>/cancel")
@booking_on
@require("supervisor")
def staff_cancel_booking(booking_id):
    reason = only_keys(json_body(), "reason").get("reason")
    return jsonify(booking.cancel_by_staff(get_db(), settings(), booking_id, reason, now(), actor()))


@bp.post("/api/booking/closures")
@booking_on
@require("supervisor")
def close_booking():
    """Close a day, a field's day or a slot: {"day", "service"?, "slot"?, "reason"}."""
    body = only_keys(json_body(), "day", "service", "slot", "reason")
    cancelled = booking.close(get_db(), settings(), body.get("day"), body.get("service"), body.get("slot"),
                              body.get("reason"), now(), actor())
    return jsonify({"cancelled": cancelled}), 201


@bp.delete("/api/booking/closures")
@booking_on
@require("supervisor")
def reopen_booking():
    body = only_keys(json_body(), "day", "service", "slot")
    if not booking.reopen(get_db(), body.get("day"), body.get("service"), body.get("slot"), now(), actor()):
        return error(404, "closure_not_found", "Không có ngày hoặc khung giờ đóng như vậy.")
    return jsonify({"reopened": True})


@bp.post("/api/notices/retry")
@require("supervisor")
def retry_notices():
    """The gateway works again: failed notices are sent once more."""
    return jsonify({"retried": notify.retry_failed(get_db(), now())})
