"""The supervisor's live dashboard (JSON) and closing or reopening a field for the day."""
from flask import jsonify

from shared import dashboard, events, notify, printer_registry
from shared.web import CHANGES, actor, config, get_db, now, request_json

from . import bp


@bp.get("/api/dashboard")
def dashboard_json():
    cfg = config().reports
    notices = notify.summary(get_db()) if config().notify.kind != "none" else None
    return jsonify(dashboard.build(get_db(), now(), printer_registry.health(get_db(), config().printer.kind),
                                   cfg.wait_alert_min, cfg.pause_alert_min, notices))


@bp.patch("/api/services/<code>")
def update_service(code):
    """{"open": bool}; kiosks follow through the `state` pushed after the commit."""
    field = dashboard.set_service_open(get_db(), code, request_json(CHANGES), now(), actor())
    events.changed()
    return jsonify(field)
