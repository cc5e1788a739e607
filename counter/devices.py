"""A kiosk, rating tablet or hall display enrols itself here (see shared/auth.py);
supervisors invite, watch and revoke devices in supervisor/devices.py.

The link is opened once, on that device, which gets a long-lived cookie (browsers)
or a secret for Bearer use (other kiosk software, through the API).
"""
from flask import jsonify, redirect, render_template, session, url_for

from shared import auth
from shared.web import config, error, get_db, now, request_json

from . import bp


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
        return render_template("enrol_failed.html", center=config().center), 404
    device, secret = enrolled
    session["device"] = secret
    session.permanent = True
    return redirect(_landing(device))


@bp.post("/api/devices/enrol")
def enrol_api():
    """Body {"code"}: the same enrolment for kiosk software that is not a browser."""
    enrolled = auth.enrol_device(get_db(), request_json("code").get("code"), now())
    if enrolled is None:
        return error(404, "invalid_code", "Mã đăng ký không đúng, đã dùng hoặc đã hết hạn.")
    device, secret = enrolled
    return jsonify({"device": device, "secret": secret}), 201
