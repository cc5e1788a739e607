"""The ``printer:`` config of a kiosk's ESC/POS thermal printer, validated with clear errors.

The printer itself is driven by shared/printer_devices.py, slips wait in
shared/print_queue.py, and the printer's health and agents are kept in the database
by shared/printer_registry.py. No Flask import: the remote printer agent uses this
module too.
"""

from __future__ import annotations

import os
from pathlib import Path


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

from .ticket_image import WIDTHS  # noqa: E402

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


