"""Paper tickets: each issued ticket is printed off the request path, after the commit.

`printer.kind` decides where: a printer attached to the server (a background
PrintQueue), or `agent`: the `motcua printer-agent` on the kiosk PC the ticket
came from. Neither ever blocks or fails ticket issue: a fault shows up in
`state["printer"]` (the kiosk asks citizens to note their number, the
supervisor sees it) and in the audit log, and the next ticket tries again.
"""
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, request

from shared import audit, events, hall
from shared.events import socketio
from shared import printer_registry
from shared.print_queue import PrintQueue
from shared.ticket_image import TicketSlip
from shared.web import get_db, phone_url

log = logging.getLogger("motcua.printer")


def init_app(app) -> None:
    cfg = app.config["MOTCUA"].printer
    if cfg.kind not in ("none", "agent", "browser"):
        database = app.config["MOTCUA"].database.path
        app.extensions["motcua.print_queue"] = PrintQueue(
            cfg, lambda slip, ok, error: record_result(app, slip.number, ok, error),
            lock_path=None if database == ":memory:" else database + ".printer-lock")


def record_result(app, number: str, ok: bool, error: str | None) -> None:
    """Keep the printer's health for the screens and log every failure."""
    cfg = app.config["MOTCUA"]
    at = datetime.now(ZoneInfo(cfg.center.timezone))
    with app.app_context():
        turned = printer_registry.record_health(get_db(), cfg.printer.kind, ok, error, at.isoformat(timespec="seconds"))
        if not ok:
            log.warning("ticket %s not printed: %s", number, error)
            audit.log_event(get_db(), at, "print_failed", number=number, error=error)
    if turned:
        events.changed(app)


@socketio.on("print_result")
def on_print_result(data):
    """A printer agent reports how a ticket printed; other clients are ignored."""
    kiosk = events.printer_agent(request.sid)
    if kiosk is None or not isinstance(data, dict) or not isinstance(data.get("ok"), bool):
        return {"error": "forbidden" if kiosk is None else "invalid_result"}
    error = data.get("error")
    record_result(current_app._get_current_object(), str(data.get("number", "")), data["ok"],
                  f"{kiosk}: {error}" if error else None)
    return {"ok": True}


def print_ticket(ticket: dict, kiosk: str) -> None:
    """Hand a freshly issued ticket to its printer (returns at once)."""
    kind = current_app.config["MOTCUA"].printer.kind
    if kind in ("none", "browser"):  # `browser`: the kiosk page prints itself
        return
    slip = _slip(ticket)
    if kind == "agent":
        if not events.send_to_printer(kiosk, slip.to_dict()):
            record_result(current_app._get_current_object(), ticket["number"], False,
                          f"no printer agent connected for kiosk {kiosk!r}")
        return
    current_app.extensions["motcua.print_queue"].submit(slip)


def _slip(ticket: dict) -> TicketSlip:
    cfg = current_app.config["MOTCUA"]
    return TicketSlip(
        center_name=cfg.center.name,
        service_name=ticket["service_name"],
        number=ticket["number"],
        counters=[c["name"] for c in hall.counters(get_db()) if c["open"] and ticket["service"] in c["services"]],
        issued_at=datetime.fromisoformat(ticket["issued_at"]),
        ahead=ticket["ahead"],
        url=phone_url(ticket["token"]),
        footer=cfg.printer.footer,
        priority=ticket["priority"],
    )
