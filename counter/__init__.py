"""Counter officers call and serve citizens; supervisors open, close and assign counters."""
import logging

from flask import Blueprint, current_app, jsonify, render_template, request, session

from shared import auth, events, queue
from shared.limits import FailureLimit
from shared.queue import QueueError
from shared.web import actor, error, get_db, json_body, now, only_keys, require, settings, slow_down, who

bp = Blueprint("counter", __name__, template_folder="templates", static_folder="static",
               static_url_path="/counter/static")


@bp.get("/counter")
def page():
    return render_template("counter.html", center=settings()["center"])


@bp.get("/supervisor")
def supervisor_page():
    return render_template("supervisor.html", center=settings()["center"], booking=settings()["booking"]["enabled"])


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
    token = only_keys(json_body(), "token").get("token")
    caller = auth.identify(get_db(), token if isinstance(token, str) else None)
    if caller is None:
        failures.failed(address)
        log.warning("failed login from %s", address)
        queue.log_event(get_db(), now(), "login_failed", address=address)
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
    return jsonify(queue.counter(get_db(), counter_id))


@bp.post("/api/counters/<int:counter_id>/call-next")
@require("officer")
def call_next(counter_id):
    """Body (optional): {"after": id-or-null}, the ticket the officer saw, against double clicks."""
    body = json_body(required=False)
    after = body.get("after", "any")
    if after != "any" and after is not None and (isinstance(after, bool) or not isinstance(after, int)):
        raise QueueError("after phải là mã số vé hoặc null.", "invalid_after")
    ticket, moved = queue.call_next(get_db(), counter_id, now(), settings()["queue"], after, actor())
    if moved and ticket is not None:
        events.called(ticket, recall=False)
    elif moved:
        events.changed()
    return jsonify({"ticket": ticket, "called": moved and ticket is not None})


@bp.post("/api/counters/<int:counter_id>/call")
@require("officer")
def call_ticket(counter_id):
    ticket_id = json_body().get("ticket")
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int):
        raise QueueError("ticket phải là mã số vé.", "invalid_ticket")
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
    service = json_body().get("service")
    if not isinstance(service, str):
        raise QueueError("service phải là mã lĩnh vực.", "invalid_service")
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
    return jsonify(queue.counters(get_db()))


@bp.post("/api/counters")
@require("supervisor")
def add_counter():
    body = json_body()
    counter_id = queue.add_counter(get_db(), body.get("name"), body.get("services", []), now(), actor())
    events.changed()
    return _counter_reply(counter_id), 201


@bp.patch("/api/counters/<int:counter_id>")
@require("supervisor")
def update_counter(counter_id):
    queue.update_counter(get_db(), counter_id, json_body(), now(), actor())
    events.changed()
    return _counter_reply(counter_id)


from . import rating, reports  # noqa: E402,F401  (routes on bp)
from . import bookings, dashboard, devices  # noqa: E402,F401  (routes on bp)
