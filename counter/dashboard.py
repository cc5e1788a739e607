"""The supervisor's live dashboard (JSON) and closing or reopening a field for the day."""
from flask import jsonify

from shared import dashboard, events, notify, printer_registry
from shared.web import actor, get_db, json_body, now, require, settings

from . import bp


@bp.get("/api/dashboard")
@require("supervisor")
def dashboard_json():
    cfg = settings()["reports"]
    notices = notify.summary(get_db()) if settings()["notify"]["kind"] != "none" else None
    return jsonify(dashboard.build(get_db(), now(), printer_registry.health(get_db(), settings()["printer"]["kind"]),
                                   cfg["wait_alert_min"], cfg["pause_alert_min"], notices))


@bp.patch("/api/services/<code>")
@require("supervisor")
def update_service(code):
    """{"open": bool}; kiosks follow through the `state` pushed after the commit."""
    field = dashboard.set_service_open(get_db(), code, json_body(), now(), actor())
    events.changed()
    return jsonify(field)
