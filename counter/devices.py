"""Enrolling the kiosks, rating tablets and hall displays that the hall may trust (see
shared/auth.py), and the live view of every device (shared/devices.py).

A supervisor invites a device by name; the link is opened once, on that device,
which gets a long-lived cookie (browsers) or a secret for Bearer use (other
kiosk software, through the API). Revoking stops the device at once.
"""
from flask import jsonify, redirect, render_template, session, url_for

from shared import auth, health, printing
from shared.queue import QueueError, stamp
from shared.web import absolute_url, error, get_db, json_body, now, only_keys, require, settings

from . import bp
from .dashboard import device_states


def _landing(enrolled: dict) -> str:
    if enrolled["kind"] == "kiosk":
        return url_for("kiosk.page")
    if enrolled["kind"] == "display":  # a hall display, or a counter's counter-top screen
        return (url_for("display.counter_top", counter_id=enrolled["counter_id"]) if enrolled["counter_id"]
                else url_for("display.page"))
    return url_for("counter.rate_page", counter_id=enrolled["counter_id"])


@bp.get("/enroll/<code>")
def enrol_page(code):
    """The one-time link, opened on the kiosk or tablet itself."""
    enrolled = auth.enrol_device(get_db(), code, now())
    if enrolled is None:
        return render_template("enrol_failed.html", center=settings()["center"]), 404
    device, secret = enrolled
    session["device"] = secret
    session.permanent = True
    return redirect(_landing(device))


@bp.post("/api/devices/enrol")
def enrol_api():
    """Body {"code"}: the same enrolment for kiosk software that is not a browser."""
    enrolled = auth.enrol_device(get_db(), only_keys(json_body(), "code").get("code"), now())
    if enrolled is None:
        return error(404, "invalid_code", "Mã đăng ký không đúng, đã dùng hoặc đã hết hạn.")
    device, secret = enrolled
    return jsonify({"device": device, "secret": secret}), 201


@bp.get("/devices")
def devices_page():
    return render_template("devices.html", center=settings()["center"])


@bp.get("/api/devices")
@require("supervisor")
def list_devices():
    return jsonify(auth.list_devices(get_db()))


@bp.get("/api/devices/live")
@require("supervisor")
def live_devices():
    """Every enrolled device and officer's counter page as it is now, and the printer."""
    db, at = get_db(), now()
    return jsonify({"at": stamp(at), "version": health.version(), "devices": device_states(db, at),
                    "printer": printing.health(db, settings()["printer"]["kind"]),
                    "thresholds": {"display_offline_s": settings()["health"]["display_offline_s"],
                                   "max_lag_s": settings()["voice"]["max_lag_s"],
                                   "late_call_s": settings()["health"]["late_call_s"]}})


@bp.post("/api/devices")
@require("supervisor")
def invite():
    """Body {"kind": "kiosk"|"rating"|"display", "name", "counter" (rating tablets; a display's
    makes it that counter's counter-top screen)}: a one-time link."""
    body = only_keys(json_body(), "kind", "name", "counter")
    counter = body.get("counter")
    if counter is not None and (isinstance(counter, bool) or not isinstance(counter, int)):
        raise QueueError("counter phải là mã số quầy.", "invalid_device")
    try:
        code = auth.invite_device(get_db(), body.get("kind"), body.get("name"), counter, now())
    except ValueError as exc:
        raise QueueError(f"Không tạo được lời mời: {exc}.", "invalid_device") from None
    return jsonify({"link": absolute_url(url_for("counter.enrol_page", code=code))}), 201


@bp.delete("/api/devices/<int:device_id>")
@require("supervisor")
def revoke(device_id):
    if not auth.revoke_device(get_db(), device_id, now()):
        return error(404, "device_not_found", "Không tìm thấy thiết bị này.")
    return jsonify({"ok": True})
