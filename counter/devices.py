"""Enrolling the kiosks and rating tablets that the hall may trust (see shared/auth.py).

A supervisor invites a device by name; the link is opened once, on that device,
which gets a long-lived cookie (browsers) or a secret for Bearer use (other
kiosk software, through the API). Revoking stops the device at once.
"""
from flask import jsonify, render_template, session, url_for

from shared import auth, events
from shared.enrolment import enrolment_url
from shared.errors import QueueError
from shared.web import absolute_url, error, get_db, guessed_wrong, json_body, now, only_keys, require, settings

from . import bp


def _landing(enrolled: dict) -> str:
    if enrolled["kind"] == "kiosk":
        return url_for("kiosk.page")
    return url_for("counter.rate_page", counter_id=enrolled["counter_id"])


@bp.get("/enroll/<invite>")
def enrol_page(invite):
    """The one-time link, opened on the kiosk or tablet itself: it asks first, and only
    the button uses the code, so a chat app fetching the link for a preview enrols nothing."""
    offered = auth.invitation(get_db(), invite, now())
    if offered is None:
        guessed_wrong("enrolment code")
        return render_template("enrol_failed.html", center=settings()["center"]), 404
    return render_template("enrol.html", center=settings()["center"], device=offered)


@bp.post("/api/devices/enrol")
def enrol_api():
    """Body {"code", "browser"?}: use the code. Kiosk software gets the credential as
    `secret` (for Bearer); a browser (`browser: true`, the enrolment page's button)
    gets it as its HttpOnly cookie instead, and where to go next."""
    body = only_keys(json_body(), "code", "browser")
    enrolled = auth.enrol_device(get_db(), body.get("code"), now())
    if enrolled is None:
        guessed_wrong("enrolment code")
        return error(404, "invalid_code", "Mã đăng ký không đúng, đã dùng hoặc đã hết hạn.")
    device, secret = enrolled
    if body.get("browser") is True:
        session["device"] = secret
        session.permanent = True
        return jsonify({"device": device, "landing": _landing(device)}), 201
    return jsonify({"device": device, "secret": secret}), 201


@bp.get("/devices")
def devices_page():
    return render_template("devices.html", center=settings()["center"])


@bp.get("/api/devices")
@require("supervisor")
def list_devices():
    return jsonify(auth.list_devices(get_db()))


@bp.post("/api/devices")
@require("supervisor")
def invite():
    """Body {"kind": "kiosk"|"rating", "name", "counter" (rating tablets)}: a one-time link."""
    body = only_keys(json_body(), "kind", "name", "counter")
    counter = body.get("counter")
    if counter is not None and (isinstance(counter, bool) or not isinstance(counter, int)):
        raise QueueError("counter phải là mã số quầy.", "invalid_device")
    try:
        code = auth.invite_device(get_db(), body.get("kind"), body.get("name"), counter, now())
    except ValueError as exc:
        raise QueueError(f"Không tạo được lời mời: {exc}.", "invalid_device") from None
    return jsonify({"link": enrolment_url(absolute_url(""), code)}), 201


@bp.delete("/api/devices/<int:device_id>")
@require("supervisor")
def revoke(device_id):
    if not auth.revoke_device(get_db(), device_id, now()):
        return error(404, "device_not_found", "Không tìm thấy thiết bị này.")
    events.drop_revoked_agents()  # at once here; `motcua device revoke` within AGENT_CHECK_S
    return jsonify({"ok": True})
