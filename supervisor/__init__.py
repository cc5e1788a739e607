"""The supervisors' pages and routes: the live dashboard, counters and fields, the hall's
notice line, devices, bookings and reports.

Guarded once, here, for the whole blueprint (`supervisors_only`), so a route added
later cannot forget its check (tests/test_supervisor.py walks the url map). An API
route answers 401 (nobody logged in) or 403 (an officer) in JSON. A page answers
the staff login page in its place (shared/templates/login_page.html): status 200
for nobody logged in, since the address works and shows how to get in (a link
checker, the installed-package test), 403 for an officer; once a supervisor logs
in there, the page reloads and the guard lets it through. The blueprint's own
static files are behind the guard too: only the pages that use them load them.
"""
from flask import Blueprint, g, jsonify, render_template, request

from shared import auth, counters, events, hall
from shared.web import CHANGES, actor, config, get_db, now, refuse, request_json, who

bp = Blueprint("supervisor", __name__, template_folder="templates", static_folder="static",
               static_url_path="/supervisor/static")


@bp.before_request
def supervisors_only():
    caller = who()
    if auth.allowed(caller, "supervisor"):
        g.caller = caller
        return None
    if request.path.startswith("/api/"):
        return refuse(caller)
    page = render_template("login_page.html", center=config().center, role="supervisor",
                           title="Đăng nhập lãnh đạo")
    return page, 200 if caller is None else 403


@bp.get("/supervisor")
def page():
    return render_template("supervisor.html", center=config().center, booking=config().booking.enabled)


def _counter_reply(counter_id):
    return jsonify(hall.counter(get_db(), counter_id))


@bp.post("/api/counters")
def add_counter():
    body = request_json("name", "services")
    counter_id = counters.add_counter(get_db(), body.get("name"), body.get("services", []), now(), actor())
    events.changed()
    return _counter_reply(counter_id), 201


@bp.patch("/api/counters/<int:counter_id>")
def update_counter(counter_id):
    counters.update_counter(get_db(), counter_id, request_json(CHANGES), now(), actor())
    events.changed()
    return _counter_reply(counter_id)


@bp.put("/api/notice")
def put_notice():
    """Body {"text": "..."} (at most 300 characters; empty removes the line)."""
    text = hall.set_notice(get_db(), request_json("text").get("text"), now(), actor())
    events.changed()
    return jsonify({"text": text})


from . import bookings, dashboard, devices, reports  # noqa: E402,F401  (routes on bp)
