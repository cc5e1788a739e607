"""Supervisors invite the kiosks, rating tablets and hall displays the hall may trust,
watch every device live (shared/devices.py) and revoke them (see shared/auth.py); the
device enrols itself through counter/devices.py.

A device is invited by name; the one-time link is shown as a QR code and text to copy (never
a hyperlink to click on the supervisor's PC) and opened on that device.
Revoking stops the device at once.
"""
import ipaddress
from urllib.parse import urlsplit

from flask import jsonify, render_template, url_for

from shared import auth, events, health, printer_registry
from shared.audit import stamp
from shared.enrolment import enrolment_url
from shared.errors import QueueError
from shared.web import COUNTER, absolute_url, config, error, get_db, now, request_json

from . import bp
from .dashboard import device_states


@bp.get("/devices")
def devices_page():
    return render_template("devices.html", center=config().center)


@bp.get("/api/devices")
def list_devices():
    return jsonify(auth.list_devices(get_db()))


@bp.get("/api/devices/live")
def live_devices():
    """Every enrolled device and officer's counter page as it is now, and the printer."""
    db, at = get_db(), now()
    return jsonify({"at": stamp(at), "version": health.version(), "devices": device_states(db, at),
                    "printer": printer_registry.health(db, config().printer.kind),
                    "thresholds": {"display_offline_s": config().health.display_offline_s,
                                   "max_lag_s": config().voice.max_lag_s,
                                   "late_call_s": config().health.late_call_s}})


@bp.post("/api/devices")
def invite():
    """Body {"kind": "kiosk"|"rating"|"display", "name", "counter" (rating tablets; a display's
    makes it that counter's counter-top screen)}: a one-time link."""
    body = request_json("kind", "name", counter=COUNTER)
    counter = body["counter"]
    try:
        code = auth.invite_device(get_db(), body.get("kind"), body.get("name"), counter, now())
    except ValueError as exc:
        raise QueueError(f"Không tạo được lời mời: {exc}.", "invalid_device") from None
    link = enrolment_url(absolute_url(""), code)
    return jsonify({"link": link, "qr": url_for("counter.enrol_qr", invite=code),
                    "loopback": _loopback(urlsplit(link).hostname or "")}), 201


def _loopback(host: str) -> bool:
    """Whether a link's host means "this very machine" (127.0.0.1, ::1, localhost): from a
    kiosk it would reach the kiosk itself, never the server."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@bp.delete("/api/devices/<int:device_id>")
def revoke(device_id):
    if not auth.revoke_device(get_db(), device_id, now()):
        return error(404, "device_not_found", "Không tìm thấy thiết bị này.")
    events.drop_revoked_agents()  # at once here; `motcua device revoke` within AGENT_CHECK_S
    return jsonify({"ok": True})
