"""Paper tickets: each issued ticket goes to a background print queue after the commit.

The queue never blocks ticket issue: a dead printer only shows up as a fault in
`state["printer"]` (the kiosk then asks citizens to note their number, the
supervisor sees it) and in the audit log; the next ticket tries again.
"""
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, request

from shared import events, queue
from shared.web import get_db
from shared.printing import PrintQueue
from shared.ticket_image import TicketSlip

log = logging.getLogger("motcua.printer")


def init_app(app) -> None:
    cfg = app.config["MOTCUA"]
    status = {"kind": cfg["printer"]["kind"], "ok": True, "error": None, "at": None}
    app.extensions["motcua.printer"] = status
    if status["kind"] == "none":
        return
    tz = ZoneInfo(cfg["center"]["timezone"])

    def on_result(slip, ok, error):
        was_ok = status["ok"]
        status.update(ok=ok, error=error, at=datetime.now(tz).isoformat(timespec="seconds"))
        if not ok:
            log.warning("ticket %s not printed: %s", slip.number, error)
            with app.app_context():
                queue.log_event(get_db(), datetime.now(tz), "print_failed", number=slip.number, error=error)
        if ok != was_ok:
            events.changed(app)

    app.extensions["motcua.print_queue"] = PrintQueue(cfg["printer"], on_result)


def status() -> dict:
    return current_app.extensions["motcua.printer"]


def print_ticket(ticket: dict, kiosk: str) -> None:
    """Hand a freshly issued ticket to the printer (returns at once)."""
    print_queue = current_app.extensions.get("motcua.print_queue")
    if print_queue is None:
        return
    counters = queue.counters(get_db())
    cfg = current_app.config["MOTCUA"]
    base = cfg["server"]["public_url"] or request.host_url.rstrip("/")
    print_queue.submit(TicketSlip(
        center_name=cfg["center"]["name"],
        service_name=ticket["service_name"],
        number=ticket["number"],
        counters=[c["name"] for c in counters if c["open"] and ticket["service"] in c["services"]],
        issued_at=datetime.fromisoformat(ticket["issued_at"]),
        ahead=ticket["ahead"],
        url=f"{base}/t/{ticket['token']}",
        priority=ticket["priority"],
    ))
