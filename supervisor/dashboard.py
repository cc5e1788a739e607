"""The supervisor's live dashboard (JSON) and closing or reopening a field for the day."""
from flask import jsonify

from shared import dashboard, estimate, events, notify, printer_registry
from shared.web import CHANGES, actor, config, get_db, now, request_json

from . import bp


@bp.get("/api/dashboard")
def dashboard_json():
    cfg, db, at = config().reports, get_db(), now()
    notices = notify.summary(db) if config().notify.kind != "none" else None
    crowded = estimate.crowded(db, config(), at)
    return jsonify(dashboard.build(db, at, printer_registry.health(db, config().printer.kind),
                                   cfg.wait_alert_min, cfg.pause_alert_min, notices, crowded))


@bp.patch("/api/services/<code>")
def update_service(code):
    """{"open": bool}; kiosks follow through the `state` pushed after the commit."""
    field = dashboard.set_service_open(get_db(), code, request_json(CHANGES), now(), actor())
    events.changed()
    return jsonify(field)
