"""python-escpos's printer database (profiles: widths, features), kept in a lasting cache.

Imported before anything else of python-escpos: the config checks a printer profile
against it, and shared/printer_devices.py drives the printer with it.
"""
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


def profile_width(profile: str) -> int | None:
    """The printable width in dots a profile declares, if any."""
    pixels = CAPABILITIES["profiles"][profile].get("media", {}).get("width", {}).get("pixels")
    return pixels if isinstance(pixels, int) else None
