"""Supervisors invite the kiosks and rating tablets the hall may trust, and revoke them
(see shared/auth.py); the device enrols itself through counter/devices.py.

A device is invited by name; the one-time link is opened on that device.
Revoking stops the device at once.
"""
from flask import jsonify, render_template

from shared import auth, events
from shared.enrolment import enrolment_url
from shared.errors import QueueError
from shared.web import COUNTER, absolute_url, config, error, get_db, now, request_json

from . import bp


@bp.get("/devices")
def devices_page():
    return render_template("devices.html", center=config().center)


@bp.get("/api/devices")
def list_devices():
    return jsonify(auth.list_devices(get_db()))


@bp.post("/api/devices")
def invite():
    """Body {"kind": "kiosk"|"rating", "name", "counter" (rating tablets)}: a one-time link."""
    body = request_json("kind", "name", counter=COUNTER)
    counter = body["counter"]
    try:
        code = auth.invite_device(get_db(), body.get("kind"), body.get("name"), counter, now())
    except ValueError as exc:
        raise QueueError(f"Không tạo được lời mời: {exc}.", "invalid_device") from None
    return jsonify({"link": enrolment_url(absolute_url(""), code)}), 201


@bp.delete("/api/devices/<int:device_id>")
def revoke(device_id):
    if not auth.revoke_device(get_db(), device_id, now()):
        return error(404, "device_not_found", "Không tìm thấy thiết bị này.")
    events.drop_revoked_agents()  # at once here; `motcua device revoke` within AGENT_CHECK_S
    return jsonify({"ok": True})
