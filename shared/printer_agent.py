"""`motcua printer-agent`: prints one kiosk's tickets on the kiosk PC's own printer.

For centers whose kiosk PC is not the server: the agent connects to the server
over Socket.IO with an officer token and the kiosk's name, receives each
ticket issued at that kiosk as a `print` event, prints it through the same
PrintQueue as a server-side printer, and reports each result back
(`print_result`) so the supervisor sees printer faults. The Socket.IO client
reconnects by itself after network blips or server restarts.
"""
import logging
import threading

import socketio

from .config import Printer
from .print_queue import PrintQueue
from .ticket_image import TicketSlip

log = logging.getLogger("motcua.printer_agent")


class PrinterAgent:
    def __init__(self, server_url: str, kiosk: str, token: str, printer_cfg: Printer):
        self.server_url = server_url.rstrip("/")
        self.kiosk = kiosk
        self.token = token
        self.client = socketio.Client(reconnection=True, reconnection_delay_max=5)
        self.printing = PrintQueue(printer_cfg, self._report)
        self.connected = threading.Event()
        self.client.on("connect", self._on_connect)
        self.client.on("disconnect", lambda *_: self.connected.clear())
        self.client.on("print", self._on_print)

    def _on_connect(self):
        log.info("connected to %s as the printer of kiosk %r", self.server_url, self.kiosk)
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
        self.client.connect(self.server_url, auth={"token": self.token, "kiosk": self.kiosk},
                            transports=["websocket"], retry=True)

    def run(self) -> None:
        self.start()
        self.client.wait()

    def stop(self) -> None:
        self.client.disconnect()
        self.printing.close()
