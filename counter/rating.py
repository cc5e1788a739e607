"""The citizen-facing rating screen at each counter (no login: see shared/ratings.py)."""
from flask import current_app, jsonify, render_template, request

from shared import events, ratings
from shared.web import get_db, json_body, now, settings

from . import bp

bp.record_once(lambda state: state.app.extensions.setdefault("motcua.rating_tablets", ratings.Tablets()))


def _tablets() -> ratings.Tablets:
    return current_app.extensions["motcua.rating_tablets"]


@bp.get("/rate/<int:counter_id>")
def rate_page(counter_id):
    return render_template("rate.html", center=settings()["center"], counter_id=counter_id)


@bp.get("/api/counters/<int:counter_id>/rating")
def rateable(counter_id):
    """The tablet asks with ?tablet=1 every few seconds, which marks it present; the counter
    page asks without it, to learn whether to hold its next call (`hold_in`)."""
    at = now()
    if request.args.get("tablet") == "1":
        _tablets().seen(counter_id, at)
    return jsonify(ratings.rateable(get_db(), counter_id, at, settings()["reports"],
                                    tablet=_tablets().present(counter_id, at)))


@bp.post("/api/counters/<int:counter_id>/rating")
def rate(counter_id):
    body = json_body()
    rating = ratings.rate(get_db(), counter_id, body.get("ticket"), body.get("score"), now(),
                          settings()["reports"])
    events.changed()  # the counter holding its next call for this rating learns of it at once
    return jsonify(rating), 201
