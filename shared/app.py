"""The application factory: one Flask app, one SocketIO bound to it, three blueprints."""
from flask import Flask, request
from werkzeug.exceptions import HTTPException

from .db import Pool, connect, init_database, setting
from . import fanout
from .events import socketio
from .queue import Conflict, NotFound, QueueError
from .web import close_db, error

ERROR_STATUS = {NotFound: 404, Conflict: 409, QueueError: 400}

HTTP_MESSAGES = {
    404: ("not_found", "Không tìm thấy địa chỉ này."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    413: ("too_large", "Dữ liệu gửi lên quá lớn."),
}


def create_app(config: dict) -> Flask:
    """Build the app from a validated config (see shared.config.load_config)."""
    app = Flask(__name__)
    app.config["MOTCUA"] = config
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    app.config["SESSION_COOKIE_SAMESITE"] = "Strict"
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    db = connect(config["database"]["path"])
    try:
        init_database(db, config)
        app.secret_key = setting(db, "secret_key")
    finally:
        db.conn.close()

    app.extensions["motcua.pool"] = Pool(config["database"]["path"])

    from counter import bp as counter_bp
    from display import bp as display_bp
    from kiosk import bp as kiosk_bp

    for bp in (kiosk_bp, counter_bp, display_bp):
        app.register_blueprint(bp)
    app.teardown_appcontext(close_db)

    @app.errorhandler(QueueError)
    def queue_error(exc):
        return error(ERROR_STATUS[type(exc)], exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if not request.path.startswith("/api/"):
            return exc
        code, message = HTTP_MESSAGES.get(exc.code, ("bad_request", "Yêu cầu không hợp lệ."))
        return error(exc.code, code, message)

    socketio.init_app(app, async_mode=config["server"]["async_mode"])
    fanout.install(socketio.server)
    return app
