"""The citizen-facing rating screen at each counter: an enrolled tablet, tied to its counter.

It lives with the officer's desk, not with the supervisors: it belongs to one counter, the
desk's next call waits on it (the rating hold, queue.call_next), and its audience is the
citizen at that counter; the supervisors only invite and revoke it (supervisor/devices.py)."""
from flask import jsonify, render_template

from shared import events, ratings
from shared.web import config, device, error, get_db, now, request_json, require_device

from . import bp

def _is_tablet_of(counter_id: int) -> bool:
    tablet = device()
    return tablet is not None and tablet["kind"] == "rating" and tablet["counter_id"] == counter_id


@bp.get("/rate/<int:counter_id>")
def rate_page(counter_id):
    return render_template("rate.html", center=config().center, counter_id=counter_id,
                           enrolled=_is_tablet_of(counter_id))


@bp.get("/api/counters/<int:counter_id>/rating")
def rateable(counter_id):
    """The counter's enrolled tablet asks every few seconds, which marks it present; the
    counter page asks too, to learn whether to hold its next call (`hold_in`)."""
    if _is_tablet_of(counter_id):
        ratings.tablet_seen(get_db(), counter_id, now())
    return jsonify(ratings.rateable(get_db(), counter_id, now(), config().reports))


@bp.post("/api/counters/<int:counter_id>/rating")
@require_device("rating")
def rate(counter_id):
    """Only the tablet enrolled for this counter rates its citizens: ratings feed the
    officers' figures, so a phone must not be able to send them."""
    if device()["counter_id"] != counter_id:
        return error(403, "wrong_counter", "Máy đánh giá này thuộc quầy khác.")
    body = request_json("ticket", "score")
    rating = ratings.rate(get_db(), counter_id, body.get("ticket"), body.get("score"), now(),
                          config().reports)
    events.changed()  # the counter holding its next call for this rating learns of it at once
    return jsonify(rating), 201
