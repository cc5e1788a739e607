"""The waiting-hall TV: every open counter's number, live, from Socket.IO."""
from flask import Blueprint, jsonify, render_template

from shared import events
from shared.web import settings

bp = Blueprint("display", __name__, template_folder="templates", static_folder="static",
               static_url_path="/display/static")


@bp.get("/display")
def page():
    return render_template("display.html", center=settings()["center"])


@bp.get("/api/state")
def state():
    return jsonify(events.current_state())
