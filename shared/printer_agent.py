"""`motcua printer-agent`: prints one kiosk's tickets on the kiosk PC's own printer.

For centers whose kiosk PC is not the server: the agent connects to the server
over Socket.IO with its kiosk's device credential (enrolled once with a one-time
code, `enrol`), receives each ticket issued at that kiosk as a `print` event,
prints it through the same PrintQueue as a server-side printer, and reports each
result back (`print_result`) so the supervisor sees printer faults. The Socket.IO
client reconnects by itself after network blips or server restarts; a revoked
kiosk is refused.
"""
import logging
import threading

import requests
import socketio

from .config import Printer
from .print_queue import PrintQueue
from .ticket_image import TicketSlip

log = logging.getLogger("motcua.printer_agent")


def enrol(server_url: str, code: str) -> dict:
    """Exchange a one-time kiosk enrolment code for the kiosk's credential:
    {"device": {"id", "kind", "name", ...}, "secret"}."""
    reply = requests.post(server_url.rstrip("/") + "/api/devices/enrol", json={"code": code}, timeout=10)
    reply.raise_for_status()
    return reply.json()


class PrinterAgent:
    def __init__(self, server_url: str, secret: str, printer_cfg: Printer):
        self.server_url = server_url.rstrip("/")
        self.secret = secret
        self.client = socketio.Client(reconnection=True, reconnection_delay_max=5)
        self.printing = PrintQueue(printer_cfg, self._report)
        self.connected = threading.Event()
        self.client.on("connect", self._on_connect)
        self.client.on("disconnect", lambda *_: self.connected.clear())
        self.client.on("print", self._on_print)

    def _on_connect(self):
        log.info("connected to %s as its kiosk's printer", self.server_url)
        self.connected.set()

    def _on_print(self, data):
        slip = TicketSlip.from_dict(data["slip"])
        if not self.printing.submit(slip):
            self._report(slip, False, "print queue closed")

    def _report(self, slip: TicketSlip, ok: bool, error: str | None) -> None:
        if not ok:
            log.warning("ticket %s not printed: %s", slip.number, error)
        if self.client.connected:
            self.client.emit("print_result", {"number": slip.number, "ok": ok, "error": error})

    def start(self) -> None:
        """Connect (retrying until the server answers); returns once connected."""
        self.client.connect(self.server_url, auth={"device": self.secret}, transports=["websocket"], retry=True)

    def run(self) -> None:
        self.start()
        self.client.wait()

    def stop(self) -> None:
        self.client.disconnect()
        self.printing.close()
