"""Enrolling the kiosks and rating tablets that the hall may trust (see shared/auth.py).

A supervisor invites a device by name; the link is opened once, on that device,
which gets a long-lived cookie (browsers) or a secret for Bearer use (other
kiosk software, through the API). Revoking stops the device at once.
"""
import ipaddress
from urllib.parse import urlsplit

from flask import abort, jsonify, redirect, render_template, request, session, url_for

from shared import auth
from shared.enrolment import enrolment_url
from shared.errors import QueueError
from shared.web import absolute_url, error, get_db, json_body, now, only_keys, qr_svg, require, settings

from . import bp


def _landing(enrolled: dict) -> str:
    if enrolled["kind"] == "kiosk":
        return url_for("kiosk.page")
    return url_for("counter.rate_page", counter_id=enrolled["counter_id"])


@bp.get("/enroll/<code>")
def enrol_page(code):
    """The one-time link, opened on the kiosk or tablet itself: it asks first ("Đăng ký máy
    này làm kiosk 'Sảnh'?"), so a supervisor who clicks it on their own PC changes nothing."""
    invited = auth.invitation(get_db(), code, now())
    if invited is None:
        return render_template("enrol_failed.html", center=settings()["center"]), 404
    return render_template("enrol_confirm.html", center=settings()["center"], invited=invited)


@bp.get("/enroll/<code>/qr.svg")
def enrol_qr(code):
    """The link as a QR code for the supervisor's screen: the device scans it (or the link is
    copied); a link that is only shown is never opened on the supervisor's own PC by a click."""
    if auth.invitation(get_db(), code, now()) is None:
        abort(404)
    return qr_svg(enrolment_url(absolute_url(""), code))


@bp.post("/enroll/<code>")
def enrol_confirmed(code):
    """The question answered on the device: the code is used and the device cookie set."""
    origin = request.headers.get("Origin")
    own = {request.host, urlsplit(settings()["server"]["public_url"]).netloc} - {""}
    if origin is not None and urlsplit(origin).netloc not in own:
        return error(403, "cross_origin", "Yêu cầu đến từ trang khác bị từ chối.")
    enrolled = auth.enrol_device(get_db(), code, now())
    if enrolled is None:
        return render_template("enrol_failed.html", center=settings()["center"]), 404
    device, secret = enrolled
    session["device"] = secret
    session.permanent = True
    return redirect(_landing(device), 303)


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
    link = enrolment_url(absolute_url(""), code)
    return jsonify({"link": link, "qr": url_for("counter.enrol_qr", code=code),
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
@require("supervisor")
def revoke(device_id):
    if not auth.revoke_device(get_db(), device_id, now()):
        return error(404, "device_not_found", "Không tìm thấy thiết bị này.")
    return jsonify({"ok": True})
