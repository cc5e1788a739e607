"""The application factory: one Flask app, one SocketIO bound to it, a blueprint per audience."""
import logging
import sqlite3
import time
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask, g, jsonify, request
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .config import Config
from .db import Pool, connect, init_database, secret_key
from . import events, health, printer_registry
from .errors import Conflict, NotFound, QueueError, TooFast
from .events import socketio
from .limits import FailureLimit
from .web import SQLITE_INT, close_db, error, get_db, guesses_blocked_for, slow_down, staff_secrets_in_clear

ERROR_STATUS = {NotFound: 404, Conflict: 409, QueueError: 400}
MUTATING = ("POST", "PUT", "PATCH", "DELETE")
log = logging.getLogger("motcua")


class _IdConverter(IntegerConverter):
    """`<int:id>` in a route, bounded to what SQLite can store (a larger id is a 404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", SQLITE_INT - 1)
        super().__init__(url_map, *args, **kwargs)


HTTP_MESSAGES = {
    404: ("not_found", "Không tìm thấy địa chỉ này."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    413: ("too_large", "Dữ liệu gửi lên quá lớn."),
}


def create_app(config: Config) -> Flask:
    """Build the app from a validated config (see shared.config.load_config)."""
    app = Flask(__name__)
    app.url_map.converters["int"] = _IdConverter
    app.config["MOTCUA"] = config
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    app.config["SESSION_COOKIE_SECURE"] = config.server.public_url.startswith("https://")
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(days=400)  # a kiosk's enrolment; logins end sooner
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    db = connect(config.database.path)
    try:
        init_database(db, config)
    finally:
        db.conn.close()
    app.secret_key = secret_key(config.database.path)

    app.extensions["motcua.pool"] = Pool(config.database.path)
    app.jinja_env.globals["staff_secrets_in_clear"] = staff_secrets_in_clear  # the login box warns
    # Tokens are 144 random bits, so guessing is hopeless; the limit keeps a script from
    # trying anyway (and filling the log), and makes every failure visible.
    app.extensions["motcua.token_guesses"] = FailureLimit(limit=10, window_s=300)

    from counter import bp as counter_bp
    from display import bp as display_bp
    from kiosk import bp as kiosk_bp
    from supervisor import bp as supervisor_bp

    for bp in (kiosk_bp, counter_bp, display_bp, supervisor_bp):
        app.register_blueprint(bp)
    app.teardown_appcontext(close_db)
    # The staff navigation (shared/templates/staff_nav.html) lists Lịch hẹn only when booking is on.
    app.context_processor(lambda: {"booking_enabled": config.booking.enabled})
    # Every page carries the version it was served by: after an upgrade it reloads itself (live.js).
    app.context_processor(lambda: {"version": health.version()})
    _operations(app)

    own_hosts = {urlsplit(config.server.public_url).netloc} - {""}

    @app.before_request
    def same_origin_json():
        """Cross-site request forgery: a page on another origin (even another port of
        this host) can make the browser send a form or a no-cors fetch with the staff
        cookie, but never with Content-Type application/json, and never without its
        own Origin. So every change must be JSON and come from our own pages."""
        if request.method not in MUTATING or not request.path.startswith("/api/"):
            return None
        if request.mimetype != "application/json":
            return error(415, "json_required", "Yêu cầu thay đổi dữ liệu phải gửi dạng JSON.")
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc not in own_hosts | {request.host}:
            return error(403, "cross_origin", "Yêu cầu đến từ trang khác bị từ chối.")
        return None

    @app.before_request
    def limit_guesses():
        """A client that sent 10 wrong secrets in 5 minutes gets no secret checked:
        not at login, not as a Bearer token or device credential."""
        if request.path not in GUARDED_PATHS and not request.path.startswith("/enroll/") and \
                not request.headers.get("Authorization"):
            return None
        wait = guesses_blocked_for()
        if wait:
            return slow_down("too_many_logins", f"Nhập sai mã quá nhiều lần. Vui lòng thử lại sau {wait} giây.", wait)
        return None

    @app.errorhandler(QueueError)
    def queue_error(exc):
        if isinstance(exc, TooFast):
            return slow_down(exc.code, exc.message, exc.retry_after)
        status = next(ERROR_STATUS[kind] for kind in type(exc).__mro__ if kind in ERROR_STATUS)
        return error(status, exc.code, exc.message, **exc.details)

    @app.errorhandler(sqlite3.OperationalError)
    def database_unavailable(exc):
        """Locked past the busy timeout, disk full, read-only: the citizen is asked
        to try again (503), and the cause goes to the log for the IT officer."""
        log.error("database unavailable for %s %s: %s", request.method, request.path, exc)
        text = str(exc)
        if "full" in text:
            return error(503, "storage_full", "Hệ thống tạm thời không lưu được dữ liệu. Xin báo cán bộ; thử lại sau ít phút.")
        return error(503, "busy", "Hệ thống đang bận, xin vui lòng thử lại sau giây lát.")

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if not request.path.startswith("/api/"):
            return exc
        code, message = HTTP_MESSAGES.get(exc.code, ("bad_request", "Yêu cầu không hợp lệ."))
        return error(exc.code, code, message)

    # Screens answer a ping at least twice per idle timeout, so the server's idle
    # limit (shared/server.py) never closes a display that is only listening.
    # With server.message_queue, every process publishes its events to Redis and
    # delivers everyone's to its own clients: one center, any number of processes.
    # Websocket only: every page (shared/static/live.js) and the printer agent connect
    # that way, and a websocket session is one TCP connection, so the server's
    # connection limits (shared/server.py) hold it. Long-polling would let one
    # keep-alive connection open sessions by the thousand (docs/security.md).
    # Events are handled in their connection's own receive loop (async_handlers off): a
    # client flooding messages waits on itself, instead of starting a task per message.
    socketio.init_app(app, async_mode=config.server.async_mode, transports=["websocket"],
                      async_handlers=False,
                      ping_interval=min(25, config.server.idle_timeout_s / 2),
                      message_queue=config.server.message_queue or None)
    events.MessageGuard(socketio.server.eio, events.MESSAGES_PER_S, events.MESSAGES_BURST,
                        config.server.max_connections)
    app.wsgi_app = _WithoutWebsocketCompression(app.wsgi_app)
    if config.server.trusted_proxies:
        # Outermost, so that pages, the API and Socket.IO all see the client's own
        # address: the limits count clients, not the proxy (docs/security.md).
        hops = config.server.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    return app


class _WithoutWebsocketCompression:
    """Websocket frames go uncompressed, whatever the browser offers.

    Chromium offers permessage-deflate; granted, the server compresses each
    event once per client, which on a LAN costs more than it saves (measured:
    latency doubled with 200 displays, docs/performance.md). Removing the offer
    from the handshake is plain WSGI, so no server library is reached into."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return self.wsgi_app(environ, start_response)


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "font-src 'self'; connect-src 'self'; media-src 'self'; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
SECRET_PARTS = ("token", "invite")
GUARDED_PATHS = ("/api/login", "/api/devices/enrol")  # and /enroll/<code>: each checks a secret  # route arguments that open something: never logged


def logged_path() -> str:
    """The request's path as the log shows it: a ticket's or booking's token and an
    enrolment code replaced by their names, so that reading the log opens nothing.
    A path no route matched is logged by its first part only (it may be a guessed token)."""
    rule = request.url_rule
    if rule is None:
        return "/" + request.path.lstrip("/").split("/", 1)[0] + ("/…" if request.path.count("/") > 1 else "")
    path = request.path
    for name in SECRET_PARTS:
        value = (request.view_args or {}).get(name)
        if isinstance(value, str) and value:
            path = path.replace(value, f"<{name}>")
    return path


def _operations(app: Flask) -> None:
    """What the IT officer needs: an access line per request, a JSON 500 (its
    traceback goes to the log through Flask), and /healthz."""
    access = logging.getLogger("motcua.access")

    def start_clock():
        g.started = time.perf_counter()

    app.before_request_funcs.setdefault(None, []).insert(0, start_clock)  # before any check can answer

    @app.after_request
    def security_headers(response):
        """Every answer: our own scripts, styles and images only (no inline script, so an
        injected one would not run), never inside another site's frame, no content-type
        guessing, and no Referer, so a /t/<token> or /b/<token> address never leaves
        in one."""
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        return response

    @app.after_request
    def access_line(response):
        took_ms = (time.perf_counter() - g.started) * 1000 if "started" in g else 0.0
        access.info("%s %s %d %.1fms", request.method, logged_path(), response.status_code, took_ms)
        return response

    @app.errorhandler(InternalServerError)
    def internal_error(_exc):
        return error(500, "internal", "Hệ thống gặp lỗi ngoài dự kiến. Xin thử lại; nếu vẫn lỗi, xin báo cán bộ phụ trách.")

    @app.get("/healthz")
    def healthz():
        """503 when the database cannot take a write: a monitor restarts or alerts."""
        database = health.check_database(app.config["MOTCUA"].database.path)
        clients = sum(1 for _ in socketio.server.manager.get_participants("/", None)) if socketio.server else 0
        printer = printer_registry.health(get_db(), app.config["MOTCUA"].printer.kind) if database["reachable"] else None
        report = {"status": "ok" if database["writable"] else "unavailable", "version": health.version(),
                  "database": database, "migrations_current": database["reachable"] and not database["pending_migrations"],
                  "printer": printer, "connected_clients": clients}
        return jsonify(report), 200 if database["writable"] else 503
