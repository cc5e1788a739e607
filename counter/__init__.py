"""Counter officers call and serve citizens at their desk; staff log in here; devices enrol here.

The supervisors' administration of counters is in supervisor/."""
import logging

from flask import Blueprint, current_app, jsonify, render_template, request, session

from shared import audit, auth, errors, events, hall, queue, ratings
from shared.limits import FailureLimit
from shared.web import AFTER, CALL_NOW, SERVICE, actor, config, error, get_db, now, request_json, require, slow_down, who

bp = Blueprint("counter", __name__, template_folder="templates", static_folder="static",
               static_url_path="/counter/static")


@bp.get("/counter")
def page():
    return render_template("counter.html", center=config().center)


log = logging.getLogger("motcua.security")
# Tokens are 144 random bits, so guessing is hopeless; the limit keeps a script
# from trying anyway (and filling the log) and makes every failure visible.
bp.record_once(lambda setup: setup.app.extensions.setdefault(
    "motcua.failed_logins", FailureLimit(limit=10, window_s=300)))


@bp.post("/api/login")
def login():
    """Exchange a token for a server-side session, so a counter PC logs in once."""
    address = request.remote_addr or ""
    failures = current_app.extensions["motcua.failed_logins"]
    wait = failures.blocked_for(address)
    if wait:
        return slow_down("too_many_logins", f"Nhập sai mã quá nhiều lần. Vui lòng thử lại sau {wait} giây.", wait)
    token = request_json("token").get("token")
    caller = auth.identify(get_db(), token if isinstance(token, str) else None)
    if caller is None:
        failures.failed(address)
        log.warning("failed login from %s", address)
        audit.log_event(get_db(), now(), "login_failed", address=address)
        return error(401, "unauthorized", "Mã đăng nhập không đúng: gõ lại, hoặc hỏi lãnh đạo để được cấp mã mới.")
    session.pop("staff", None)
    session["staff"] = auth.open_session(get_db(), caller["id"], now())
    session.permanent = True
    return jsonify(caller)


@bp.post("/api/logout")
def logout():
    """Ends the session on the server: the cookie, even if kept, opens nothing."""
    if auth.close_session(get_db(), session.pop("staff", None), now()):
        events.changed()  # the counter is no longer served: screens and kiosks follow
    return jsonify({"ok": True})


@bp.get("/api/me")
def me():
    caller = who()
    if caller is None:
        return error(401, "unauthorized", "Chưa đăng nhập.")
    return jsonify(caller)


def _counter_reply(counter_id):
    return jsonify(hall.counter(get_db(), counter_id))


@bp.post("/api/counters/<int:counter_id>/call-next")
@require("officer")
def call_next(counter_id):
    """Body (optional): {"after": id-or-null}, the ticket the officer saw, against double clicks;
    {"now": true} calls without holding for the rating of the citizen just served (the
    officer's choice: N pressed again). Otherwise, while the counter's tablet waits for that
    rating, 409 `rating_hold` says in `hold_in` when to ask again (shared/ratings.py)."""
    body = request_json(after=AFTER, now=CALL_NOW, required=False)
    at, reports = now(), config().reports
    hold = None if body["now"] else lambda db: ratings.holding(db, counter_id, at, reports)
    try:
        ticket, moved = queue.call_next(get_db(), counter_id, at, config().queue, body["after"], actor(), hold)
    except errors.RatingHold as held:
        if held.finished:
            events.changed()
        raise
    if moved and ticket is not None:
        events.called(ticket, recall=False)
    elif moved:
        events.changed()
    return jsonify({"ticket": ticket, "called": moved and ticket is not None})


@bp.post("/api/counters/<int:counter_id>/call")
@require("officer")
def call_ticket(counter_id):
    ticket_id = request_json("ticket").get("ticket")
    ticket = queue.call_ticket(get_db(), counter_id, ticket_id, now(), actor())
    events.called(ticket, recall=False)
    return jsonify({"ticket": ticket})


@bp.post("/api/counters/<int:counter_id>/recall")
@require("officer")
def recall(counter_id):
    ticket = queue.recall(get_db(), counter_id, now(), actor())
    events.called(ticket, recall=True)
    return _counter_reply(counter_id)


@bp.post("/api/counters/<int:counter_id>/finish")
@require("officer")
def finish(counter_id):
    queue.finish(get_db(), counter_id, now(), actor())
    events.changed()
    return _counter_reply(counter_id)


@bp.post("/api/counters/<int:counter_id>/no-show")
@require("officer")
def no_show(counter_id):
    queue.no_show(get_db(), counter_id, now(), actor())
    events.changed()
    return _counter_reply(counter_id)


@bp.post("/api/counters/<int:counter_id>/transfer")
@require("officer")
def transfer(counter_id):
    service = request_json(service=SERVICE)["service"]
    queue.transfer(get_db(), counter_id, service, now(), actor())
    events.changed()
    return _counter_reply(counter_id)


@bp.post("/api/counters/<int:counter_id>/pause")
@require("officer")
def pause(counter_id):
    queue.set_paused(get_db(), counter_id, True, now(), actor())
    events.changed()
    return _counter_reply(counter_id)


@bp.post("/api/counters/<int:counter_id>/resume")
@require("officer")
def resume(counter_id):
    queue.set_paused(get_db(), counter_id, False, now(), actor())
    events.changed()
    return _counter_reply(counter_id)


@bp.get("/api/counters")
def list_counters():
    return jsonify(hall.counters(get_db()))


from . import devices, rating  # noqa: E402,F401  (routes on bp)
