"""Counter officers call and serve citizens at their desk; staff log in here; devices enrol here.

The supervisors' administration of counters is in supervisor/."""
from flask import Blueprint, jsonify, render_template, request, session

from shared import audit, auth, errors, events, hall, hours, queue, ratings
from shared.web import (AFTER, CALL_NOW, SERVICE, actor, config, error, get_db, guessed_wrong, now, request_json, require,
                        security_log, staff_secrets_in_clear, who)

bp = Blueprint("counter", __name__, template_folder="templates", static_folder="static",
               static_url_path="/counter/static")


@bp.get("/counter")
def page():
    return render_template("counter.html", center=config().center)


@bp.post("/api/login")
def login():
    """Exchange a token for a server-side session, so a counter PC logs in once.
    Wrong tokens count in the one limit of wrong secrets (shared/app.py)."""
    token = request_json("token").get("token")
    caller = auth.identify(get_db(), token if isinstance(token, str) else None)
    if caller is None:
        guessed_wrong("login token")
        return error(401, "unauthorized", "Mã đăng nhập không đúng: gõ lại, hoặc hỏi lãnh đạo để được cấp mã mới.")
    if staff_secrets_in_clear():
        security_log.warning("staff login of %s over plain http from %s: token and cookie crossed the network"
                             " in clear; set up TLS (docs/deploy.md)", caller["name"] or caller["role"], request.remote_addr)
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


def _closing(at):
    """The counters' closing today (center.counter_hours): after it "Gọi tiếp" keeps the kiosk's word."""
    return hours.closing(config().center.counter_hours, at)


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
        ticket, moved = queue.call_next(get_db(), counter_id, at, config().queue, body["after"], actor(), hold,
                                        closing=_closing(at))
    except errors.RatingHold as held:
        if held.finished:
            events.changed()
        raise
    if moved and ticket is not None:
        events.called(ticket, recall=False)
    elif moved:
        events.changed()
    return jsonify({"ticket": ticket, "called": moved and ticket is not None})


def _call_to_desk(counter_id, call):
    """A ticket the officer names ({"ticket": id}) called to this desk by `call` (a queue
    function of db, counter, ticket, moment, actor), announced in the hall."""
    ticket_id = request_json("ticket").get("ticket")
    ticket = call(get_db(), counter_id, ticket_id, now(), actor())
    events.called(ticket, recall=False)
    return jsonify({"ticket": ticket})


@bp.post("/api/counters/<int:counter_id>/call")
@require("officer")
def call_ticket(counter_id):
    return _call_to_desk(counter_id, queue.call_ticket)


@bp.post("/api/counters/<int:counter_id>/undo-transfer")
@require("officer")
def undo_transfer(counter_id):
    """The officer's "Hoàn tác" after a transfer: back to the former field, and to this desk."""
    return _call_to_desk(counter_id, queue.undo_transfer)


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


@bp.get("/api/counters/<int:counter_id>/next")
def next_number(counter_id):
    """What "Gọi tiếp" would call now: the officer sees the next number, not only counts (and
    after closing, how many warned citizens only a call by number would reach)."""
    at = now()
    return jsonify(queue.next_number(get_db(), counter_id, at, config().queue, _closing(at)))


@bp.get("/api/counters")
def list_counters():
    return jsonify(hall.counters(get_db()))


from . import devices, rating  # noqa: E402,F401  (routes on bp)
