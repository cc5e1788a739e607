"""A kiosk, rating tablet or hall display enrols itself here (see shared/auth.py);
supervisors invite, watch and revoke devices in supervisor/devices.py.

The link is opened once, on that device, which gets a long-lived cookie (browsers)
or a secret for Bearer use (other kiosk software, through the API).
"""
from flask import abort, jsonify, render_template, session, url_for

from shared import auth
from shared.enrolment import enrolment_url
from shared.web import absolute_url, config, error, get_db, guessed_wrong, now, qr_svg, request_json

from . import bp


def _landing(enrolled: dict) -> str:
    if enrolled["kind"] == "kiosk":
        return url_for("kiosk.page")
    if enrolled["kind"] == "display":  # a hall display, or a counter's counter-top screen
        return (url_for("display.counter_top", counter_id=enrolled["counter_id"]) if enrolled["counter_id"]
                else url_for("display.page"))
    return url_for("counter.rate_page", counter_id=enrolled["counter_id"])


@bp.get("/enroll/<invite>")
def enrol_page(invite):
    """The one-time link, opened on the kiosk or tablet itself: it asks first, and only
    the button uses the code, so a chat app fetching the link for a preview enrols nothing."""
    offered = auth.invitation(get_db(), invite, now())
    if offered is None:
        guessed_wrong("enrolment code")
        return render_template("enrol_failed.html", center=config().center), 404
    return render_template("enrol.html", center=config().center, device=offered)


@bp.get("/enroll/<invite>/qr.svg")
def enrol_qr(invite):
    """The link as a QR code for the supervisor's devices page: the device scans it (or the
    link is copied), and nothing there is a hyperlink to click on the supervisor's own PC."""
    if auth.invitation(get_db(), invite, now()) is None:
        abort(404)
    return qr_svg(enrolment_url(absolute_url(""), invite))


@bp.post("/api/devices/enrol")
def enrol_api():
    """Body {"code", "browser"?}: use the code. Kiosk software gets the credential as
    `secret` (for Bearer); a browser (`browser: true`, the enrolment page's button)
    gets it as its HttpOnly cookie instead, and where to go next."""
    body = request_json("code", "browser")
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
