"""ESC/POS thermal printers: open one by its `printer:` config, print a slip on it.

The ticket is sent as a raster image (see ``ticket_image``) because kiosk printers
have no Vietnamese code page. Thin subclasses of python-escpos's drivers add what a
kiosk needs: bounded writes everywhere, and no file creation when a device node is
missing. No Flask import: the remote printer agent uses this module too.
"""
from __future__ import annotations

import dataclasses
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from collections.abc import Mapping
from typing import Callable

from . import blocking, printer_profiles  # noqa: F401 - printer_profiles first: it points python-escpos at a lasting cache
from .config import LOCAL_PRINTER_KINDS, validate_printer_config
from .ticket_image import TicketSlip, png_bytes, render_ticket

from escpos.printer import File, Network, Serial, Usb  # noqa: E402,I001 - after shared.printer_profiles

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


def open_printer(cfg: Mapping):
    """A python-escpos printer for ``cfg.kind``, connected lazily on first write.

    ``cfg`` is a validated ``printer:`` section. Raises ``ValueError`` for kinds
    ``none`` and ``agent``, which have no printer here.
    """
    cfg = validate_printer_config(cfg)
    kind, profile, timeout = cfg.kind, cfg.profile, cfg.timeout_s
    if kind == "network":
        return Network(cfg.host, port=cfg.port, timeout=timeout, profile=profile)
    if kind == "usb":
        extra = {}
        if cfg.usb_out_ep is not None:
            extra["out_ep"] = cfg.usb_out_ep
        if cfg.usb_in_ep is not None:
            extra["in_ep"] = cfg.usb_in_ep
        return _UsbPrinter(
            cfg.usb_vendor_id,
            cfg.usb_product_id,
            timeout=int(timeout * 1000),  # pyusb counts milliseconds
            auto_endpoints=not extra,
            profile=profile,
            **extra,
        )
    if kind == "serial":
        return _SerialPrinter(
            cfg.serial_device,
            baudrate=cfg.baudrate,
            timeout=timeout,
            write_timeout=timeout,
            profile=profile,
        )
    if kind == "file":
        return _DevicePrinter(cfg.device, timeout, profile=profile)
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


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "no details"
    return f"{type(exc).__name__}: {text}"


def print_slip(cfg: Mapping, slip: TicketSlip) -> None:
    """Render and print one slip on a freshly opened printer; raises on any fault."""
    cfg = validate_printer_config(cfg)
    if cfg.footer and not slip.footer:
        slip = dataclasses.replace(slip, footer=cfg.footer)
    img = render_ticket(slip, cfg.width_px)

    def job():
        printer = open_printer(cfg)
        try:
            printer.open()
            print_image(printer, img, impl=cfg.image_impl)
        finally:
            printer.close()

    if cfg.kind in ("usb", "serial"):
        blocking.run(job)
    else:
        job()


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


def print_test(cfg: Mapping | None, to_png: str | None = None) -> str:
    """Print a sample ticket, or write it as PNG to ``to_png``; returns what was done.

    Errors propagate (ValueError for config, OSError/escpos errors for the printer)
    so the CLI can show them to the technician.
    """
    cfg = validate_printer_config(cfg)
    slip = sample_slip(cfg.footer)
    if to_png:
        Path(to_png).write_bytes(png_bytes(render_ticket(slip, cfg.width_px)))
        return f"wrote {to_png} ({cfg.width_px} dots wide)"
    if cfg.kind not in LOCAL_PRINTER_KINDS:
        raise ValueError(f"printer.kind: is {cfg.kind}; set a local printer kind or use --to-png")
    print_slip(cfg, slip)
    return (
        f"sent a test ticket to the {cfg.kind} printer ({cfg.width_px} dots, profile {cfg.profile})"
    )
