"""The citizen-facing rating screen at each counter (no login: see shared/ratings.py)."""
from flask import jsonify, render_template

from shared import ratings
from shared.web import get_db, json_body, now, settings

from . import bp


@bp.get("/rate/<int:counter_id>")
def rate_page(counter_id):
    return render_template("rate.html", center=settings()["center"], counter_id=counter_id)


@bp.get("/api/counters/<int:counter_id>/rating")
def rateable(counter_id):
    return jsonify(ratings.rateable(get_db(), counter_id, now(), settings()["reports"]))


@bp.post("/api/counters/<int:counter_id>/rating")
def rate(counter_id):
    body = json_body()
    rating = ratings.rate(get_db(), counter_id, body.get("ticket"), body.get("score"), now(),
                          settings()["reports"])
    return jsonify(rating), 201
