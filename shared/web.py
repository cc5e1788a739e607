"""What the blueprints share: the request's database, the clock, JSON errors, auth.

Blueprints stay thin by leaning on these: parse with `json_body`, check the
caller with `require`, call the domain, return JSON.
"""
import functools
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, g, jsonify, request, session

from . import auth
from .queue import QueueError


def get_db():
    """This app context's connection, taken from the pool on first use."""
    if "db" not in g:
        g.db = current_app.extensions["motcua.pool"].acquire()
    return g.db


def close_db(_exc=None):
    """Give the connection back at teardown."""
    db = g.pop("db", None)
    if db is not None:
        current_app.extensions["motcua.pool"].release(db)


def settings() -> dict:
    return current_app.config["MOTCUA"]


def now() -> datetime:
    """The center's local time; tests may set app.config["CLOCK"] to a callable."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else datetime.now(ZoneInfo(settings()["center"]["timezone"]))


def phone_url(token: str) -> str:
    """The citizen's status page, as printed and shown in QR codes: server.public_url when
    set, else the address this request came in on."""
    base = settings()["server"]["public_url"] or request.host_url.rstrip("/")
    return f"{base}/t/{token}"


def error(status: int, code: str, message: str):
    return jsonify({"error": code, "message": message}), status


def json_body(required: bool = True) -> dict:
    """The request's JSON object; an empty body counts as {} when not required."""
    data = request.get_json(silent=True)
    if data is None and not required and not request.get_data():
        return {}
    if not isinstance(data, dict):
        raise QueueError("Dữ liệu gửi lên phải là một đối tượng JSON.", "invalid_json")
    return data


def who() -> dict | None:
    """The caller: a Bearer token, else the token id saved in the login session."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return auth.identify(get_db(), header[7:].strip())
    if "token_id" in session:
        row = get_db().execute(
            "SELECT id, role, name FROM tokens WHERE id = ?", (session["token_id"],)
        ).fetchone()
        return dict(row) if row else None
    return None


def require(role: str):
    """401 without valid credentials, 403 when the caller's role is not enough."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            caller = who()
            if caller is None:
                return error(401, "unauthorized", "Cần đăng nhập bằng mã của cán bộ.")
            if not auth.allowed(caller, role):
                return error(403, "forbidden", "Tài khoản này không có quyền thực hiện thao tác này.")
            g.caller = caller
            return view(*args, **kwargs)
        return wrapped
    return decorate


def actor() -> str:
    """How the audit log names the caller."""
    caller = g.get("caller")
    return f"{caller['role']}:{caller['id']}:{caller['name']}" if caller else "public"
