"""Print queue tickets on an ESC/POS thermal printer, off the request path.

The ticket is sent as a raster image (see ``ticket_image``) because kiosk printers
have no Vietnamese code page. Printing is slow and printers fail (paper out,
cable pulled, switched off), so a kiosk request only queues the slip; one worker
thread prints, reconnecting for every job, and reports each outcome through a
callback so the server can show the fault instead of hanging the kiosk.
No Flask import: the remote printer agent uses this module too.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import threading
import time
from collections import deque
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable


def _keep_escpos_database() -> None:
    """python-escpos parses its printer database (YAML, 0.5 to 1 s) at every import and
    keeps the result as a pickle in ESCPOS_CAPABILITIES_PICKLE_DIR, by default a new
    temporary folder each time: every `motcua` process paid the parse and left a folder
    in /tmp. A folder in the user's cache lets the pickle last (the library parses again
    when its database is newer). Set before the import; an unwritable home keeps the
    library's default."""
    if "ESCPOS_CAPABILITIES_PICKLE_DIR" in os.environ:
        return
    try:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "motcua" / "escpos"
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: no home directory at all
        return
    os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(folder)


_keep_escpos_database()

from escpos.capabilities import CAPABILITIES  # noqa: E402 - after the folder above
from escpos.printer import File, Network, Serial, Usb  # noqa: E402

from . import blocking  # noqa: E402
from .db import immediate, process_alive  # noqa: E402
from .ticket_image import WIDTHS, TicketSlip, png_bytes, render_ticket  # noqa: E402

LOCAL_KINDS = ("network", "usb", "serial", "file")
KINDS = ("none", "agent", "browser") + LOCAL_KINDS
IMAGE_IMPLS = ("bitImageRaster", "graphics")
DEFAULT_PROFILE = "default"

_DEFAULTS = {
    "kind": "none",
    "profile": DEFAULT_PROFILE,
    "width_px": None,  # filled from the profile, see validate_printer_config
    "image_impl": "bitImageRaster",
    "host": None,
    "port": 9100,
    "usb_vendor_id": None,
    "usb_product_id": None,
    "usb_out_ep": None,
    "usb_in_ep": None,
    "serial_device": None,
    "baudrate": 9600,
    "device": None,
    "timeout_s": 3.0,
    "footer": "",
}


def _err(key: str, msg: str) -> ValueError:
    return ValueError(f"printer.{key}: {msg}")


def _int(value, key: str, low: int, high: int, hex_strings: bool = False) -> int:
    """Whole numbers; USB ids may be written as hex strings because lsusb and Windows show them so."""
    if isinstance(value, str) and hex_strings:
        text = value.strip().lower()
        try:
            value = int(text[2:] if text.startswith("0x") else text, 16)
        except ValueError:
            raise _err(key, f'{value!r} is not a hexadecimal number like "0x04b8"') from None
    elif isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        shown = f"0x{low:04x} to 0x{high:04x}" if hex_strings else f"{low} to {high}"
        raise _err(key, f"must be an integer from {shown}")
    return value


def _text(value, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _err(key, "must be a non-empty text")
    return value.strip()


def _profile_width(profile: str) -> int | None:
    pixels = CAPABILITIES["profiles"][profile].get("media", {}).get("width", {}).get("pixels")
    return pixels if isinstance(pixels, int) else None


def validate_printer_config(raw: dict | None) -> dict:
    """Check the ``printer:`` section and return it complete with defaults.

    Raises ``ValueError("printer.<key>: <what is wrong>")``. Keys:

    - ``kind`` (default ``none``): ``none`` (no printer, tickets are only shown on
      screen), ``network`` (printer with an Ethernet/Wi-Fi port, raw TCP "port 9100"),
      ``usb`` (direct USB through libusb/pyusb), ``serial`` (RS-232 or a USB-serial
      adapter), ``file`` (a device node the OS already provides, e.g. ``/dev/usb/lp0``).
    - ``profile`` (default ``default``): python-escpos printer profile, e.g.
      ``TM-T20II``, ``TM-T88V``, ``POS-5890``; ``default`` suits most generic ESC/POS
      printers. It decides which commands are used (paper cut or not) and the
      maximum image width. Must exist in python-escpos's capabilities database.
    - ``width_px`` (384, 512 or 576): printable width in dots; 384 for 58 mm paper,
      512 or 576 for 80 mm paper depending on the head. Default: the profile's width
      when it is one of these, else the widest that fits it, else 576.
    - ``image_impl`` (default ``bitImageRaster``): ESC/POS raster command,
      ``bitImageRaster`` (GS v 0, almost every printer) or ``graphics`` (GS ( L,
      for printers that ignore GS v 0).
    - ``host`` (required for ``network``): printer IP address or host name.
    - ``port`` (default 9100): TCP port, 1 to 65535.
    - ``usb_vendor_id``, ``usb_product_id`` (required for ``usb``): USB ids, numbers
      or hex strings such as ``"0x04b8"`` / ``"04b8"`` (strings are read as hex).
    - ``usb_out_ep``, ``usb_in_ep`` (default: found from the device): USB bulk
      endpoints, only needed if auto-detection picks the wrong ones.
    - ``serial_device`` (required for ``serial``): e.g. ``/dev/ttyUSB0`` or ``COM3``.
    - ``baudrate`` (default 9600): serial speed, as set on the printer.
    - ``device`` (required for ``file``): device path, e.g. ``/dev/usb/lp0``; it must
      already exist (it is never created, so an unplugged printer is a reported fault,
      not a regular file silently filling up).
    - ``agent``: the server prints nothing itself; each ticket goes over Socket.IO to
      the ``motcua printer-agent`` running on the kiosk PC it was issued at, which
      prints it with its own ``printer:`` section (one of the kinds above).
    - ``browser``: the last resort: the kiosk page prints its own ticket screen with the
      browser's print dialog, which Chromium started with ``--kiosk-printing`` skips.
    - ``timeout_s`` (default 3): seconds allowed to connect and for each write to make
      progress before a job is reported failed; 0.1 to 60.
    - ``footer`` (default empty): short text printed at the bottom of each ticket when
      the ticket itself carries none, e.g. opening hours or a hotline.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ValueError("printer: must be a mapping")
    unknown = sorted(set(raw) - set(_DEFAULTS))
    if unknown:
        raise _err(unknown[0], f"unknown key (known: {', '.join(_DEFAULTS)})")
    given = {k: v for k, v in raw.items() if v is not None}
    cfg = {**_DEFAULTS, **given}

    if cfg["kind"] not in KINDS:
        raise _err("kind", f"must be one of {', '.join(KINDS)}")
    profiles = CAPABILITIES["profiles"]
    if not isinstance(cfg["profile"], str) or cfg["profile"] not in profiles:
        raise _err("profile", f"unknown profile {cfg['profile']!r}; known: {', '.join(sorted(profiles))}")
    if cfg["image_impl"] not in IMAGE_IMPLS:
        raise _err("image_impl", f"must be one of {', '.join(IMAGE_IMPLS)}")
    if not profiles[cfg["profile"]].get("features", {}).get(cfg["image_impl"]):
        raise _err("profile", f"{cfg['profile']} cannot print images with {cfg['image_impl']}")

    limit = _profile_width(cfg["profile"])
    if "width_px" in given:
        if cfg["width_px"] not in WIDTHS or isinstance(cfg["width_px"], bool):
            raise _err("width_px", f"must be one of {', '.join(map(str, WIDTHS))}")
        if limit is not None and cfg["width_px"] > limit:
            raise _err(
                "width_px", f"{cfg['width_px']} is wider than the {limit} dots of profile {cfg['profile']}"
            )
    else:
        fitting = [w for w in WIDTHS if limit is None or w <= limit]
        cfg["width_px"] = max(fitting) if fitting else WIDTHS[0]

    cfg["port"] = _int(cfg["port"], "port", 1, 65535)
    cfg["baudrate"] = _int(cfg["baudrate"], "baudrate", 300, 4_000_000)
    for key in ("usb_vendor_id", "usb_product_id"):
        if cfg[key] is not None:
            cfg[key] = _int(cfg[key], key, 1, 0xFFFF, hex_strings=True)
    for key in ("usb_out_ep", "usb_in_ep"):
        if cfg[key] is not None:
            cfg[key] = _int(cfg[key], key, 1, 0xFF, hex_strings=True)
    timeout = cfg["timeout_s"]
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0.1 <= timeout <= 60:
        raise _err("timeout_s", "must be a number of seconds from 0.1 to 60")
    cfg["timeout_s"] = float(timeout)
    if not isinstance(cfg["footer"], str) or len(cfg["footer"]) > 300:
        raise _err("footer", "must be a text of at most 300 characters")
    cfg["footer"] = cfg["footer"].strip()
    for key in ("host", "serial_device", "device"):
        if cfg[key] is not None:
            cfg[key] = _text(cfg[key], key)

    required = {
        "network": ("host",),
        "usb": ("usb_vendor_id", "usb_product_id"),
        "serial": ("serial_device",),
        "file": ("device",),
    }.get(cfg["kind"], ())
    for key in required:
        if cfg[key] is None:
            raise _err(key, f"required when printer.kind is {cfg['kind']}")
    return cfg


# --- printer classes ---------------------------------------------------------------
# Thin subclasses of python-escpos's drivers that add what a kiosk needs: bounded
# writes everywhere, and no file creation when a device node is missing.


# Hook for the async server. Only the server's entry point knows about eventlet
# (shared/server.py sets it when it monkey-patches): `raw_write` is an os.write
# that returns EAGAIN instead of waiting on the event loop without a time limit.
# Jobs that block in C (libusb, pyserial) run through `blocking.run`.
raw_write: Callable[[int, memoryview], int] = os.write


class _DevicePrinter(File):
    """Raw device node (``/dev/usb/lp0``, a serial tty, a Windows share path).

    python-escpos's ``File`` opens with ``"wb"``: it would create a regular file when
    the printer is unplugged and its blocking writes can hang forever on a jammed
    printer. This opens without creating, non-blocking, and gives up when a write
    makes no progress for ``timeout`` seconds.
    """

    def __init__(self, devfile: str, timeout: float, *args, **kwargs):
        super().__init__(devfile, *args, **kwargs)
        self.timeout = timeout
        self._fd: int | None = None

    def open(self, raise_not_found: bool = True) -> None:
        flags = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        try:
            self._fd = os.open(self.devfile, flags)
        except OSError as exc:
            self._fd = None
            raise OSError(f"cannot open {self.devfile}: {exc.strerror or exc}") from None
        self._device = True  # marks the connection open for Escpos.device

    def _raw(self, msg: bytes) -> None:
        if self._fd is None:
            self.open()
        write = raw_write
        view = memoryview(msg)
        deadline = time.monotonic() + self.timeout
        while view:
            try:
                sent = write(self._fd, view)
            except (BlockingIOError, InterruptedError):
                sent = 0
            if sent:
                view = view[sent:]
                deadline = time.monotonic() + self.timeout
            elif time.monotonic() > deadline:
                raise TimeoutError(
                    f"{self.devfile}: no progress for {self.timeout:g} s"
                    " (printer busy, offline or out of paper?)"
                )
            else:
                time.sleep(0.02)

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)
        self._device = False


class _UsbPrinter(Usb):
    """Usb with a write timeout and the device's own bulk endpoints.

    python-escpos assumes endpoints 0x01/0x82; many generic printers use others,
    so unless configured they are read from the interface descriptor.
    """

    def __init__(self, *args, auto_endpoints: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.auto_endpoints = auto_endpoints

    def open(self, raise_not_found: bool = True) -> None:
        try:
            import usb.core
            import usb.util
        except ImportError:
            raise OSError("USB printing needs pyusb: pip install pyusb") from None
        try:
            super().open(raise_not_found)
        except usb.core.NoBackendError:
            raise OSError(
                "no libusb found: install libusb-1.0 (Linux) or the WinUSB driver with Zadig (Windows)"
            ) from None
        if not (self.auto_endpoints and self._device):
            return
        try:
            interface = self._device.get_active_configuration()[(0, 0)]
        except (usb.core.USBError, KeyError, IndexError):
            return  # keep the defaults; a wrong guess shows as a reported write error
        for ep in interface:
            if usb.util.endpoint_type(ep.bmAttributes) != usb.util.ENDPOINT_TYPE_BULK:
                continue
            if usb.util.endpoint_direction(ep.bEndpointAddress) == usb.util.ENDPOINT_OUT:
                self.out_ep = ep.bEndpointAddress
            else:
                self.in_ep = ep.bEndpointAddress


class _SerialPrinter(Serial):
    """Serial with a write timeout: under flow control a switched-off printer blocks writes forever."""

    def __init__(self, *args, write_timeout: float, **kwargs):
        super().__init__(*args, **kwargs)
        self.write_timeout = write_timeout

    def open(self, raise_not_found: bool = True) -> None:
        super().open(raise_not_found)
        if self._device:
            self._device.write_timeout = self.write_timeout


def open_printer(cfg: dict):
    """A python-escpos printer for ``cfg['kind']``, connected lazily on first write.

    ``cfg`` is a validated ``printer:`` section. Raises ``ValueError`` for kinds
    ``none`` and ``agent``, which have no printer here.
    """
    cfg = validate_printer_config(cfg)
    kind, profile, timeout = cfg["kind"], cfg["profile"], cfg["timeout_s"]
    if kind == "network":
        return Network(cfg["host"], port=cfg["port"], timeout=timeout, profile=profile)
    if kind == "usb":
        extra = {}
        if cfg["usb_out_ep"] is not None:
            extra["out_ep"] = cfg["usb_out_ep"]
        if cfg["usb_in_ep"] is not None:
            extra["in_ep"] = cfg["usb_in_ep"]
        return _UsbPrinter(
            cfg["usb_vendor_id"],
            cfg["usb_product_id"],
            timeout=int(timeout * 1000),  # pyusb counts milliseconds
            auto_endpoints=not extra,
            profile=profile,
            **extra,
        )
    if kind == "serial":
        return _SerialPrinter(
            cfg["serial_device"],
            baudrate=cfg["baudrate"],
            timeout=timeout,
            write_timeout=timeout,
            profile=profile,
        )
    if kind == "file":
        return _DevicePrinter(cfg["device"], timeout, profile=profile)
    raise ValueError(f"printer.kind: is {kind}, there is no printer to open here")


def _fit_profile_width(printer, width: int) -> None:
    """Profiles such as ``default`` do not know the paper width; python-escpos then prints
    a warning on stdout for every image. Tell the profile the width we render for."""
    data = printer.profile.profile_data
    media = data.get("media", {})
    if not isinstance(media.get("width", {}).get("pixels"), int):
        width_info = {**media.get("width", {}), "pixels": width}
        printer.profile.profile_data = {**data, "media": {**media, "width": width_info}}


def print_image(printer, img, impl: str = "bitImageRaster") -> None:
    """Send ``img`` as a raster image, then feed and cut (cut only if the profile has a cutter)."""
    _fit_profile_width(printer, img.width)
    # GS ( L states its payload length in 16 bits: a 960-row fragment at 576 dots
    # (69 KB) would overflow it, so graphics mode sends shorter fragments.
    rows = 960 if impl == "bitImageRaster" else min(960, 65000 // ((img.width + 7) // 8))
    printer.hw("INIT")  # reset modes a previous, interrupted job may have left
    printer.image(img, impl=impl, fragment_height=rows)
    printer.cut()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "no details"
    return f"{type(exc).__name__}: {text}"


def print_slip(cfg: dict, slip: TicketSlip) -> None:
    """Render and print one slip on a freshly opened printer; raises on any fault."""
    cfg = validate_printer_config(cfg)
    if cfg["footer"] and not slip.footer:
        slip = dataclasses.replace(slip, footer=cfg["footer"])
    img = render_ticket(slip, cfg["width_px"])

    def job():
        printer = open_printer(cfg)
        try:
            printer.open()
            print_image(printer, img, impl=cfg["image_impl"])
        finally:
            printer.close()

    if cfg["kind"] in ("usb", "serial"):
        blocking.run(job)
    else:
        job()


ResultCallback = Callable[[TicketSlip, bool, "str | None"], None]


class PrintQueue:
    """Print slips one by one in a background thread; ``submit`` never waits for the printer.

    ``on_result(slip, ok, error)`` is called from the worker thread after each job,
    and for jobs dropped because the queue was full (``ok=False``). With kind
    ``none`` or ``agent`` nothing is started and ``submit`` returns False.
    """

    def __init__(self, cfg: dict | None, on_result: ResultCallback | None = None, maxsize: int = 20,
                 lock_path: str | None = None):
        self.cfg = validate_printer_config(cfg)
        self.on_result = on_result
        self.lock_path = lock_path
        self.maxsize = max(1, maxsize)
        self._jobs: deque[TicketSlip] = deque()
        self._dropped: list[TicketSlip] = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread = None
        if self.cfg["kind"] in LOCAL_KINDS:
            self._thread = threading.Thread(target=self._run, name="motcua-printer", daemon=True)
            self._thread.start()

    def submit(self, slip: TicketSlip) -> bool:
        """Queue a slip; True if queued. Drops the oldest waiting slip when full."""
        try:
            with self._cond:
                if self._closed or self._thread is None:
                    return False
                if len(self._jobs) >= self.maxsize:
                    self._dropped.append(self._jobs.popleft())
                self._jobs.append(slip)
                self._cond.notify()
            return True
        except Exception:  # a kiosk request must never fail because of the printer
            return False

    def pending(self) -> int:
        """Slips waiting (not counting the one being printed)."""
        with self._cond:
            return len(self._jobs)

    def close(self, timeout: float | None = None) -> None:
        """Stop the worker; waiting slips are reported as not printed.

        Waits at most ``timeout`` seconds (default: twice the printer timeout) for a job in progress.
        """
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.cfg["timeout_s"] * 2 + 1 if timeout is None else timeout)

    def _report(self, slip: TicketSlip, ok: bool, error: str | None) -> None:
        if self.on_result is None:
            return
        try:
            self.on_result(slip, ok, error)
        except Exception:  # a broken callback must not kill the printer thread
            pass

    def _run(self) -> None:
        while True:
            with self._cond:
                while not (self._jobs or self._dropped or self._closed):
                    self._cond.wait()
                dropped, self._dropped = self._dropped, []
                closed = self._closed
                leftover = list(self._jobs) if closed else []
                slip = None if closed or not self._jobs else self._jobs.popleft()
                if closed:
                    self._jobs.clear()
            for old in dropped:
                self._report(old, False, "dropped: print queue full (printer down?)")
            for old in leftover:
                self._report(old, False, "not printed: print queue closed")
            if closed:
                return
            if slip is None:
                continue
            try:
                with _exclusive(self.lock_path):
                    print_slip(self.cfg, slip)
            except Exception as exc:
                self._report(slip, False, _one_line(exc))
            else:
                self._report(slip, True, None)


@contextlib.contextmanager
def _exclusive(lock_path: str | None):
    """Hold the printer alone: with several server processes (server.message_queue)
    each prints the tickets it issued, one at a time across all of them, so two
    tickets never interleave on the device. Polls without blocking, so an eventlet
    process's other work goes on while it waits."""
    if lock_path is None:
        yield
        return
    import fcntl  # the server runs on Linux; a printer agent on a Windows kiosk PC never gets here

    with open(lock_path, "a") as lock:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def sample_slip(footer: str = "") -> TicketSlip:
    """A realistic ticket for test prints and the documentation picture."""
    return TicketSlip(
        center_name="Trung tâm Phục vụ hành chính công phường Hải Châu",
        service_name="Lao động - Thương binh và Xã hội",
        number="1023",
        counters=["Quầy 5", "Quầy 7"],
        issued_at=datetime(2025, 3, 14, 7, 42, tzinfo=timezone(timedelta(hours=7))),
        ahead=12,
        url="http://192.168.1.10:8080/t/8fK2qZ7mWx",
        footer=footer or "Bản in thử máy in. Giờ làm việc: 7:30-11:30, 13:30-17:00.",
        priority=True,
    )


def print_test(cfg: dict | None, to_png: str | None = None) -> str:
    """Print a sample ticket, or write it as PNG to ``to_png``; returns what was done.

    Errors propagate (ValueError for config, OSError/escpos errors for the printer)
    so the CLI can show them to the technician.
    """
    cfg = validate_printer_config(cfg)
    slip = sample_slip(cfg["footer"])
    if to_png:
        Path(to_png).write_bytes(png_bytes(render_ticket(slip, cfg["width_px"])))
        return f"wrote {to_png} ({cfg['width_px']} dots wide)"
    if cfg["kind"] not in LOCAL_KINDS:
        raise ValueError(f"printer.kind: is {cfg['kind']}; set a local printer kind or use --to-png")
    print_slip(cfg, slip)
    return (
        f"sent a test ticket to the {cfg['kind']} printer ({cfg['width_px']} dots, profile {cfg['profile']})"
    )


# --- Shared by every server process: the printer's health and the connected agents ----------
# Kept in the database, so that with server.message_queue every process shows the
# same fault and can tell whether some process holds a kiosk's printer agent.

def health(db, kind: str) -> dict:
    """{"kind", "ok", "error", "at"}: the last print result for this printer kind."""
    row = db.execute("SELECT value FROM settings WHERE key = 'printer_health'").fetchone()
    stored = json.loads(row[0]) if row else {}
    if stored.get("kind") != kind:  # the config changed printers since: nothing known yet
        stored = {}
    return {"kind": kind, "ok": stored.get("ok", True), "error": stored.get("error"), "at": stored.get("at")}


def record_health(db, kind: str, ok: bool, error: str | None, at: str) -> bool:
    """Store a print result; True when the printer went from working to faulty or back."""
    with immediate(db):
        was_ok = health(db, kind)["ok"]
        db.execute("INSERT INTO settings (key, value) VALUES ('printer_health', ?) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                   (json.dumps({"kind": kind, "ok": ok, "error": error, "at": at}, ensure_ascii=False),))
    return was_ok != ok


def agent_joined(db, sid: str, kiosk: str, at: str) -> None:
    with immediate(db):
        db.execute("INSERT OR REPLACE INTO printer_agents (sid, kiosk, pid, connected_at) VALUES (?, ?, ?, ?)",
                   (sid, kiosk, os.getpid(), at))


def agent_left(db, sid: str) -> None:
    with immediate(db):
        db.execute("DELETE FROM printer_agents WHERE sid = ?", (sid,))


def agent_kiosk(db, sid: str) -> str | None:
    """The kiosk a printer agent connected to this process prints for (None: not an agent)."""
    row = db.execute("SELECT kiosk FROM printer_agents WHERE sid = ? AND pid = ?", (sid, os.getpid())).fetchone()
    return row[0] if row else None


def has_agent(db, kiosk: str) -> bool:
    """Whether a live server process holds a printer agent for `kiosk`."""
    pids = [row[0] for row in db.execute("SELECT pid FROM printer_agents WHERE kiosk = ?", (kiosk,))]
    return any(process_alive(pid) for pid in pids)


def forget_agents_of(db, pid: int) -> None:
    """At start-up: agents recorded under this pid belong to a process that is gone."""
    with immediate(db):
        db.execute("DELETE FROM printer_agents WHERE pid = ?", (pid,))

