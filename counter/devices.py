"""A kiosk or rating tablet enrols itself here (see shared/auth.py); supervisors invite
and revoke devices in supervisor/devices.py.

The link is opened once, on that device, which is asked first ("Đăng ký máy này làm kiosk
'Sảnh'?") and then gets a long-lived cookie (browsers), or exchanged for a secret for
Bearer use (other kiosk software, through the API).
"""
from urllib.parse import urlsplit

from flask import abort, jsonify, redirect, render_template, request, session, url_for

from shared import auth
from shared.enrolment import enrolment_url
from shared.web import absolute_url, config, error, get_db, now, qr_svg, request_json

from . import bp


def _landing(enrolled: dict) -> str:
    if enrolled["kind"] == "kiosk":
        return url_for("kiosk.page")
    return url_for("counter.rate_page", counter_id=enrolled["counter_id"])


@bp.get("/enroll/<code>")
def enrol_page(code):
    """The one-time link, opened on the kiosk or tablet itself: it asks first, so a
    supervisor who clicks it on their own PC changes nothing."""
    invited = auth.invitation(get_db(), code, now())
    if invited is None:
        return render_template("enrol_failed.html", center=config().center), 404
    return render_template("enrol_confirm.html", center=config().center, invited=invited)


@bp.get("/enroll/<code>/qr.svg")
def enrol_qr(code):
    """The link as a QR code for the supervisor's devices page: the device scans it (or the
    link is copied), and nothing there is a hyperlink to click on the supervisor's own PC."""
    if auth.invitation(get_db(), code, now()) is None:
        abort(404)
    return qr_svg(enrolment_url(absolute_url(""), code))


@bp.post("/enroll/<code>")
def enrol_confirmed(code):
    """The question answered on the device (a form of this server's own page): the code is
    used and the device cookie set."""
    origin = request.headers.get("Origin")
    own = {request.host, urlsplit(config().server.public_url).netloc} - {""}
    if origin is not None and urlsplit(origin).netloc not in own:
        return error(403, "cross_origin", "Yêu cầu đến từ trang khác bị từ chối.")
    enrolled = auth.enrol_device(get_db(), code, now())
    if enrolled is None:
        return render_template("enrol_failed.html", center=config().center), 404
    device, secret = enrolled
    session["device"] = secret
    session.permanent = True
    return redirect(_landing(device), 303)


@bp.post("/api/devices/enrol")
def enrol_api():
    """Body {"code"}: the same enrolment for kiosk software that is not a browser."""
    enrolled = auth.enrol_device(get_db(), request_json("code").get("code"), now())
    if enrolled is None:
        return error(404, "invalid_code", "Mã đăng ký không đúng, đã dùng hoặc đã hết hạn.")
    device, secret = enrolled
    return jsonify({"device": device, "secret": secret}), 201
