"""The waiting-hall TV, the counter-top screens and the citizen's phone status page."""
from datetime import datetime
from pathlib import Path

from flask import Blueprint, abort, jsonify, render_template, request, send_from_directory, url_for

from shared import errors, events, hall, queue, voice
from shared.audit import stamp
from shared.web import config, get_db, now, phone_url, qr_svg

bp = Blueprint("display", __name__, template_folder="templates", static_folder="static",
               static_url_path="/display/static")

FONTS = Path(__file__).resolve().parent.parent / "shared" / "fonts"


@bp.get("/display")
def page():
    cfg = config().voice
    sound = {"base": url_for("display.static", filename=f"voice/{cfg.clip_set}/"),
             "chime": url_for("display.static", filename="voice/chime.ogg"),
             "mode": voice.resolve_mode(cfg), "maxLag": cfg.max_lag_s, "repeat": cfg.repeat}
    return render_template("display.html", center=config().center, sound=sound, clock=server_time())


def server_time() -> dict:
    """The center's time for screens: a TV's own clock is often hours off."""
    return {"epoch_ms": round(now().timestamp() * 1000), "timezone": config().center.timezone}


@bp.get("/api/time")
def time_now():
    """The server's time (epoch ms) and the center's time zone, for the hall clock."""
    return jsonify(server_time())


@bp.get("/display/counter/<int:counter_id>")
def counter_top(counter_id):
    """The small screen above one counter: its name and current number."""
    hall.counter(get_db(), counter_id)  # 404 for an unknown counter
    return render_template("counter_top.html", center=config().center, counter_id=counter_id)


@bp.get("/t/<token>")
def phone(token):
    """The citizen's phone page; the token is the only key (never the ticket id)."""
    try:
        queue.ticket_by_token(get_db(), token)
    except errors.NotFound:
        return render_template("phone.html", center=config().center, token=None), 404
    return render_template("phone.html", center=config().center, token=token)


@bp.get("/t/<token>/qr.svg")
def phone_qr(token):
    """The phone page's address as a QR code (SVG, drawn here: no network)."""
    try:
        queue.ticket_by_token(get_db(), token)
    except errors.NotFound:
        abort(404)
    return qr_svg(phone_url(token))


@bp.get("/fonts/<path:name>")
def fonts(name):
    """The bundled Noto Sans, so diacritics render the same on every screen."""
    if not name.endswith(".ttf"):
        abort(404)
    return send_from_directory(FONTS, name, max_age=7 * 86400)


@bp.get("/api/notice")
def get_notice():
    """The notice line the hall displays scroll."""
    return jsonify({"text": hall.notice(get_db())})


@bp.get("/api/state")
def state():
    return jsonify(events.current_state())


@bp.get("/api/calls")
def calls_since():
    """?since=<ISO time>: today's calls and recalls after it (at most 20, oldest first), as
    `called` carries them: a display that was away catches up (display.js)."""
    at = now()
    try:
        since = datetime.fromisoformat(request.args.get("since", ""))
    except ValueError:
        since = None
    if since is None or since.tzinfo is None:
        raise errors.QueueError("since phải là thời điểm ISO 8601 có múi giờ.", "invalid_date")
    return jsonify([dict(call, announce=voice.announcement(call["ticket"]["number"], call["counter"]["name"],
                                                            call["recall"], config().voice, call["counter"]["id"]))
                    for call in hall.calls_since(get_db(), stamp(since.astimezone(at.tzinfo)), at)])


@bp.get("/display/static/voice/<path:name>")
def clip(name):
    """Clips and chime: from voice.clip_dir (what `motcua voice build` made, outside
    the installed package) when the file is there, else the shipped ones."""
    built = config().voice.clip_dir
    if built and (Path(built) / name).is_file():
        return send_from_directory(built, name, max_age=86400)
    return send_from_directory(voice.VOICE_DIR, name, max_age=86400)
