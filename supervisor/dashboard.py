"""The supervisor's live dashboard (JSON) and closing or reopening a field for the day."""
from flask import jsonify

from shared import dashboard, devices, estimate, events, health, hours, notify, printer_registry
from shared.web import CHANGES, actor, config, get_db, now, request_json

from . import bp


def device_states(db, at) -> list[dict]:
    """Every device's live state, as the devices view and the dashboard's alerts see it."""
    return devices.states(db, at, health.version(), config().voice.max_lag_s, config().health.late_call_s)


@bp.get("/api/dashboard")
def dashboard_json():
    cfg, db, at = config(), get_db(), now()
    notices = notify.summary(db) if cfg.notify.kind != "none" else None
    crowded = estimate.crowded(db, cfg, at)
    device_alerts = devices.alerts(device_states(db, at), at, hours.is_open(cfg.center.hours, at),
                                   cfg.health.display_offline_s, cfg.voice.max_lag_s, cfg.health.late_call_s)
    return jsonify(dashboard.build(db, at, printer_registry.health(db, cfg.printer.kind),
                                   cfg.reports.wait_alert_min, cfg.reports.pause_alert_min, notices,
                                   crowded, cfg.health, cfg.center.hours, device_alerts))


@bp.patch("/api/services/<code>")
def update_service(code):
    """{"open": bool}; kiosks follow through the `state` pushed after the commit."""
    field = dashboard.set_service_open(get_db(), code, request_json(CHANGES), now(), actor())
    events.changed()
    return jsonify(field)
