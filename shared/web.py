"""What the blueprints share: the request's database, the clock, JSON errors, auth.

Blueprints stay thin by leaning on these: parse with `request_json`, check the
caller with `require` (or once per blueprint), call the domain, return JSON.
"""
import functools
import ipaddress
import logging
import io
import json
from datetime import datetime
from typing import Callable, NamedTuple
from zoneinfo import ZoneInfo

import qrcode
import qrcode.image.svg
from flask import Response, abort, current_app, g, jsonify, request, session

from . import audit, auth
from .config import Config
from .errors import QueueError
from .queue import is_id

security_log = logging.getLogger("motcua.security")


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


def config() -> Config:
    """The app's validated config; a view hands each domain function the section it needs."""
    return current_app.config["MOTCUA"]


def now() -> datetime:
    """The center's local time; tests may set app.config["CLOCK"] to a callable."""
    clock = current_app.config.get("CLOCK")
    return clock() if clock else datetime.now(ZoneInfo(config().center.timezone))


def absolute_url(path: str) -> str:
    """A link for another device (printed, in a QR code, an enrolment link):
    server.public_url when set, else the address this request came in on."""
    return (config().server.public_url or request.host_url.rstrip("/")) + path


def phone_url(token: str) -> str:
    """The citizen's status page, as printed and shown in QR codes."""
    return absolute_url(f"/t/{token}")


def qr_svg(data: str) -> Response:
    """`data` as a QR code (SVG, drawn here: no network), cacheable by the one who asked."""
    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M,
                         image_factory=qrcode.image.svg.SvgPathImage)
    code.add_data(data)
    out = io.BytesIO()
    code.make_image().save(out)
    response = Response(out.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def error(status: int, code: str, message: str, **extra):
    return jsonify({"error": code, "message": message, **extra}), status


MAX_DEPTH = 16          # no request of the API nests deeper
SQLITE_INT = 2 ** 63    # SQLite integers are signed 64-bit


def _check_values(data) -> None:
    """Refuse what would fail deeper down: lone surrogates (not storable as UTF-8),
    integers SQLite cannot hold, and needless nesting. Iterative: a hostile
    document must not exhaust the stack here either."""
    pending = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise QueueError("Dữ liệu gửi lên lồng nhau quá sâu.", "invalid_json")
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise QueueError("Văn bản gửi lên chứa ký tự không hợp lệ.", "invalid_text") from None
        elif isinstance(value, int) and not isinstance(value, bool) and not -SQLITE_INT <= value < SQLITE_INT:
            raise QueueError("Số gửi lên quá lớn.", "invalid_number")
        elif isinstance(value, dict):
            pending.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)


def slow_down(code: str, message: str, retry_after: int):
    """429 with when to try again, for people (the message) and programs (Retry-After)."""
    response, status = error(429, code, message, retry_after=retry_after)
    response.headers["Retry-After"] = str(retry_after)
    return response, status


class Check(NamedTuple):
    """What a field's value must be when the domain does not check it itself; checked in
    `request_json` (an absent field takes `default` first), refused with `code` and `message`."""
    accepts: Callable[[object], bool]
    code: str
    message: str
    default: object = None


# A ticket id is checked by the domain (queue.as_ticket_id), which the command line calls too.
AFTER = Check(lambda value: value == "any" or value is None or is_id(value), "invalid_after",
              "after phải là mã số vé hoặc null.", default="any")
CALL_NOW = Check(lambda value: isinstance(value, bool), "invalid_now", "now phải là true hoặc false.", default=False)
SERVICE = Check(lambda value: isinstance(value, str), "invalid_service", "service phải là mã lĩnh vực.")
COUNTER = Check(lambda value: value is None or is_id(value), "invalid_device", "counter phải là mã số quầy.")
_NEW_TICKET = "Cần có service (mã lĩnh vực) và priority (true/false)."
NEW_TICKET_SERVICE = Check(lambda value: isinstance(value, str), "invalid_ticket", _NEW_TICKET)
NEW_TICKET_PRIORITY = Check(lambda value: isinstance(value, bool), "invalid_ticket", _NEW_TICKET, default=False)
CHANGES = object()  # the body is a set of changes whose keys the domain refuses itself (`invalid_change`)


def request_json(*names, required: bool = True, **checked: Check) -> dict:
    """The request's JSON object, for every view that reads one: keys other than `names`
    and `checked` are refused (a typo must not pass silently), each `checked` value
    (its default when absent) must pass its Check. `request_json(CHANGES)` takes any keys,
    for a PATCH whose domain function refuses what it cannot change. An empty body
    counts as {} when not required."""
    raw = request.get_data(cache=True)
    if not raw and not required:
        body = {}
    else:
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: thousands of nested brackets
            body = None
        if not isinstance(body, dict):
            raise QueueError("Dữ liệu gửi lên phải là một đối tượng JSON.", "invalid_json")
        _check_values(body)
    if names != (CHANGES,):
        unknown = sorted(set(body) - set(names) - set(checked))
        if unknown:
            raise QueueError(f"Trường không được hỗ trợ: {unknown[0]}.", "unknown_field")
    for name, check in checked.items():
        if not check.accepts(body.setdefault(name, check.default)):
            raise QueueError(check.message, check.code)
    return body


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else None


def staff_secrets_in_clear() -> bool:
    """Whether this request came over plain http from another machine: a staff token typed
    here, and the session cookie, then cross the hall's network readable by anyone on it."""
    try:
        near = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        near = False
    return request.scheme == "http" and not near


def guesses_blocked_for() -> int:
    """Seconds this client must wait before a token is checked again (0: it may now).

    One limit for every check of a secret sent by the client (a login, a Bearer token
    or device credential, a printer agent's token at Socket.IO connect): 10 wrong ones
    from one client address in 5 minutes. Behind a proxy the address is the client's
    own only with server.trusted_proxies set."""
    return current_app.extensions["motcua.token_guesses"].blocked_for(request.remote_addr or "")


def guessed_wrong(what: str) -> None:
    """A wrong secret: counted against the client's address, logged, and kept in the audit log."""
    address = request.remote_addr or ""
    current_app.extensions["motcua.token_guesses"].failed(address)
    security_log.warning("wrong %s from %s", what, address)
    audit.log_event(get_db(), now(), "login_failed", address=address, what=what)


def who() -> dict | None:
    """The staff caller: a Bearer token, else the server-side session of a login."""
    if "who" not in g:
        token = _bearer()
        g.who = (auth.identify(get_db(), token) if token is not None
                 else auth.session_holder(get_db(), session.get("staff"), now()))
        if token is not None and g.who is None:
            guessed_wrong("staff token")
    return g.who


def device() -> dict | None:
    """The enrolled device asking: a Bearer credential, else the cookie its enrolment set."""
    if "device" not in g:
        secret = _bearer()
        g.device = auth.identify_device(get_db(), secret if secret is not None else session.get("device"))
        if secret is not None and g.device is None:
            guessed_wrong("device credential")
    return g.device


def refuse(caller: dict | None):
    """401 without valid credentials, 403 when the caller's role is not enough."""
    if caller is None:
        return error(401, "unauthorized", "Cần đăng nhập bằng mã của cán bộ.")
    return error(403, "forbidden", "Tài khoản này không có quyền thực hiện thao tác này.")


def require(role: str):
    """Only staff of this role (or a supervisor) may call the view; a blueprint all of
    whose routes need one role checks it once instead (supervisor/__init__.py)."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            caller = who()
            if not auth.allowed(caller, role):
                return refuse(caller)
            g.caller = caller
            return view(*args, **kwargs)
        return wrapped
    return decorate


def require_device(kind: str):
    """Only an enrolled device of this kind (a kiosk, a rating tablet) may call the view."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            enrolled = device()
            if enrolled is None or enrolled["kind"] != kind:
                return error(403, "device_not_enrolled",
                             "Thiết bị này chưa được đăng ký. Xin nhờ cán bộ phụ trách đăng ký máy.")
            return view(*args, **kwargs)
        return wrapped
    return decorate


def booking_enabled(view):
    """Online booking's routes exist only while booking.enabled is true (else 404)."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not config().booking.enabled:
            if request.path.startswith("/api/"):
                return error(404, "booking_disabled", "Trung tâm chưa mở đặt lịch trực tuyến.")
            abort(404)
        return view(*args, **kwargs)
    return wrapped


def actor_of(caller: dict | None) -> str:
    """How the audit log (and presence) names a staff member: "role:id:name"."""
    return f"{caller['role']}:{caller['id']}:{caller['name']}" if caller else "public"


def actor() -> str:
    """How the audit log names the caller."""
    return actor_of(g.get("caller"))
