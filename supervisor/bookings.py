"""Supervisors and online booking: the day's listing, closing days and slots,
cancelling with a reason, and sending failed notices again."""
from flask import jsonify, render_template, request

from shared import booking, notify
from shared.audit import day_of
from shared.errors import QueueError
from shared.web import actor, booking_enabled, config, error, get_db, now, request_json

from . import bp


@bp.get("/bookings")
@booking_enabled
def bookings_page():
    """The supervisors' page (it logs in like /supervisor); it opens on the center's today,
    never the browser's, whose clock or time zone may be another day."""
    return render_template("bookings.html", center=config().center, today=day_of(now()))


@bp.get("/api/bookings")
@booking_enabled
def bookings_of_day():
    """The supervisor's listing of a day (?day=YYYY-MM-DD, default today), personal data masked."""
    day = request.args.get("day") or day_of(now())
    if len(day) != 10:
        raise QueueError("Ngày phải có dạng YYYY-MM-DD.", "invalid_day")
    listing = booking.day_listing(get_db(), config(), day, now())
    listing["notices"] = notify.summary(get_db())
    return jsonify(listing)


@bp.post("/api/bookings/<int:booking_id>/cancel")
@booking_enabled
def staff_cancel_booking(booking_id):
    reason = request_json("reason").get("reason")
    return jsonify(booking.cancel_by_staff(get_db(), config(), booking_id, reason, now(), actor()))


@bp.post("/api/booking/closures")
@booking_enabled
def close_booking():
    """Close a day, a field's day or a slot: {"day", "service"?, "slot"?, "reason"}."""
    body = request_json("day", "service", "slot", "reason")
    cancelled = booking.close(get_db(), config(), body.get("day"), body.get("service"), body.get("slot"),
                              body.get("reason"), now(), actor())
    return jsonify({"cancelled": cancelled}), 201


@bp.delete("/api/booking/closures")
@booking_enabled
def reopen_booking():
    body = request_json("day", "service", "slot")
    if not booking.reopen(get_db(), body.get("day"), body.get("service"), body.get("slot"), now(), actor()):
        return error(404, "closure_not_found", "Không có ngày hoặc khung giờ đóng như vậy.")
    return jsonify({"reopened": True})


@bp.post("/api/notices/retry")
def retry_notices():
    """The gateway works again: failed notices are sent once more."""
    return jsonify({"retried": notify.retry_failed(get_db(), now())})
