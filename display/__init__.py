"""The waiting-hall TV: every open counter's number, live, from Socket.IO."""
from flask import Blueprint, jsonify, render_template, url_for

from shared import events, voice
from shared.web import settings

bp = Blueprint("display", __name__, template_folder="templates", static_folder="static",
               static_url_path="/display/static")


@bp.get("/display")
def page():
    cfg = settings()["voice"]
    sound = {"base": url_for("display.static", filename=f"voice/{cfg['clip_set']}/"),
             "chime": url_for("display.static", filename="voice/chime.ogg"),
             "mode": voice.resolve_mode(cfg)}
    return render_template("display.html", center=settings()["center"], sound=sound)


@bp.get("/api/state")
def state():
    return jsonify(events.current_state())
