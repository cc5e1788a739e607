"""Render a queue ticket as a black-and-white raster image for a thermal printer.

Kiosk printers speak ESC/POS and almost none has a Vietnamese code page, so text
sent as characters loses its diacritics ("ờ", "ữ", "ặ" ...). Drawing the whole
ticket with a bundled TTF font and sending it as a raster image prints the same
on every printer. This module is pure Pillow (no Flask, no escpos) so it can be
used by the server, the remote printer agent, tests and the PNG preview alike.
"""

from __future__ import annotations

import dataclasses
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_REGULAR = FONT_DIR / "NotoSans-Regular.ttf"
FONT_BOLD = FONT_DIR / "NotoSans-Bold.ttf"

#: Printable widths in dots: 58 mm paper (384), 80 mm paper (512 or 576 depending on the head).
WIDTHS = (384, 512, 576)

#: Every fixed text printed on a ticket, kept in one place so the tests can check
#: that the bundled font covers each character.
LABELS = {
    "number": "Số thứ tự",
    "priority": "ƯU TIÊN",
    "service": "Lĩnh vực",
    "counters": "Quầy phục vụ",
    "no_counter": "Xem màn hình để biết quầy",
    "ahead": "Số người đang chờ trước bạn",
    "issued": "Thời gian lấy số",
    "scan": "Quét mã để theo dõi lượt",
}

# Sizes in dots for a 576-dot head; narrower paper scales them (text no lower than 80 %).
_BASE = 576
_MARGIN = 16
_TITLE = 30
_LABEL = 26
_VALUE = 34
_SMALL = 20
_NUMBER_MAX = 250


@dataclass
class TicketSlip:
    """Everything printed on one ticket; built by the server, rendered anywhere."""

    center_name: str
    service_name: str
    number: str
    counters: list[str] = field(default_factory=list)
    issued_at: datetime | None = None
    ahead: int = 0
    url: str = ""
    footer: str = ""
    priority: bool = False

    def to_dict(self) -> dict:
        """JSON-ready form, for sending a slip to a remote printer agent."""
        data = dataclasses.asdict(self)
        data["issued_at"] = self.issued_at.isoformat() if self.issued_at else None
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "TicketSlip":
        """Inverse of ``to_dict``; unknown keys are ignored so server and agent can differ by a version."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        if isinstance(values.get("issued_at"), str):
            values["issued_at"] = datetime.fromisoformat(values["issued_at"])
        values["counters"] = list(values.get("counters") or [])
        return cls(**values)


@lru_cache(maxsize=64)
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), max(8, size))


def _nfc(text) -> str:
    """Decomposed input (e.g. pasted from some editors) would draw marks apart from their letters."""
    return unicodedata.normalize("NFC", str(text or "")).strip()


def _wrap(text: str, font: ImageFont.FreeTypeFont, max_w: int) -> list[str]:
    """Greedy word wrap; a word wider than the paper (a URL) is split by characters."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if font.getlength(candidate) <= max_w:
            line = candidate
            continue
        if line:
            lines.append(line)
        while font.getlength(word) > max_w:
            cut = len(word) - 1
            while cut > 1 and font.getlength(word[:cut]) > max_w:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines


def _wrap_balanced(text: str, font: ImageFont.FreeTypeFont, max_w: int) -> list[str]:
    """Same line count as greedy wrapping but even lengths: centred text without a one-word widow."""
    lines = _wrap(text, font, max_w)
    if len(lines) < 2:
        return lines
    lo, hi = max_w // 2, max_w
    while lo < hi:
        mid = (lo + hi) // 2
        if len(_wrap(text, font, mid)) == len(lines):
            hi = mid
        else:
            lo = mid + 1
    return _wrap(text, font, lo)


class _Layout:
    """A tall grey canvas with a y cursor; cropped and thresholded at the end."""

    def __init__(self, width: int):
        self.w = width
        self.s = width / _BASE
        # Text shrinks less than the paper: 58 mm tickets are read by the same elderly eyes.
        self.fs = max(self.s, 0.8)
        self.m = round(_MARGIN * self.s)
        self.img = Image.new("L", (width, width * 4), 255)
        self.draw = ImageDraw.Draw(self.img)
        self.y = self.m

    def room(self, h: int) -> None:
        """Grow the canvas when a long name or footer needs more paper."""
        if self.y + h + self.m > self.img.height:
            bigger = Image.new("L", (self.w, 2 * (self.y + h + self.m)), 255)
            bigger.paste(self.img, (0, 0))
            self.img, self.draw = bigger, ImageDraw.Draw(bigger)

    def px(self, v: float) -> int:
        return max(1, round(v * self.s))

    def gap(self, v: float) -> None:
        self.y += self.px(v)

    def text(self, text: str, size: float, bold: bool = False, fill: int = 0) -> None:
        font = _font(bold, round(size * self.fs))
        ascent, descent = font.getmetrics()
        for line in _wrap_balanced(_nfc(text), font, self.w - 2 * self.m):
            self.room(ascent + descent)
            x = (self.w - font.getlength(line)) / 2
            self.draw.text((x, self.y), line, font=font, fill=fill)
            self.y += ascent + descent

    def rule(self) -> None:
        self.gap(10)
        self.room(self.px(12))
        self.draw.rectangle((self.m, self.y, self.w - self.m - 1, self.y + self.px(2) - 1), fill=0)
        self.y += self.px(2)
        self.gap(10)

    def number(self, text: str) -> None:
        """The largest bold size that fits the paper, so it reads from across the hall."""
        text = _nfc(text) or "?"
        avail = self.w - 2 * self.m
        size = self.px(_NUMBER_MAX)
        font = _font(True, size)
        while size > 20 and font.getlength(text) > avail:
            size -= 4
            font = _font(True, size)
        left, top, right, bottom = font.getbbox(text)
        self.room(bottom - top)
        x = (self.w - (right - left)) / 2 - left
        self.draw.text((x, self.y - top), text, font=font, fill=0)
        self.y += bottom - top

    def banner(self, text: str, size: float) -> None:
        """White-on-black bar: the one mark an officer must not miss."""
        font = _font(True, round(size * self.fs))
        left, top, right, bottom = font.getbbox(text)
        pad = self.px(10)
        h = (bottom - top) + 2 * pad
        self.room(h)
        self.draw.rectangle((self.m, self.y, self.w - self.m - 1, self.y + h - 1), fill=0)
        x = (self.w - (right - left)) / 2 - left
        self.draw.text((x, self.y + pad - top), text, font=font, fill=255)
        self.y += h

    def qr(self, data: str) -> None:
        """QR drawn module by module at an integer dot size, so no module is blurred by scaling."""
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        code.add_data(data)
        code.make(fit=True)
        matrix = code.get_matrix()
        n = len(matrix)
        box = max(2, int(self.w * 0.5) // n)
        quiet = 4 * box  # ISO 18004 asks for a 4-module quiet zone
        self.room(n * box + 2 * quiet)
        x0 = (self.w - n * box) // 2
        y0 = self.y + quiet
        for r, row in enumerate(matrix):
            for c, dark in enumerate(row):
                if dark:
                    x, y = x0 + c * box, y0 + r * box
                    self.draw.rectangle((x, y, x + box - 1, y + box - 1), fill=0)
        self.y = y0 + n * box + quiet

    def finish(self) -> Image.Image:
        self.room(0)
        self.y += self.m
        grey = self.img.crop((0, 0, self.w, self.y))
        # Plain threshold, no dithering: dithered text edges print as grey fuzz.
        return grey.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)


def render_ticket(slip: TicketSlip, width_px: int) -> Image.Image:
    """Draw the ticket as a mode "1" image exactly ``width_px`` dots wide (white paper, black ink)."""
    if width_px not in WIDTHS:
        raise ValueError(f"width_px must be one of {WIDTHS}, got {width_px!r}")
    t = _Layout(width_px)
    if _nfc(slip.center_name):
        t.text(slip.center_name, _TITLE, bold=True)
        t.rule()
    t.text(LABELS["number"], _LABEL)
    t.gap(8)
    t.number(slip.number)
    t.gap(14)
    if slip.priority:
        t.banner(LABELS["priority"], _VALUE)
        t.gap(4)
    t.rule()
    rows = [
        (LABELS["service"], slip.service_name),
        (LABELS["counters"], ", ".join(_nfc(c) for c in slip.counters if _nfc(c)) or LABELS["no_counter"]),
        (LABELS["ahead"], str(int(slip.ahead))),
    ]
    if slip.issued_at is not None:
        rows.append((LABELS["issued"], slip.issued_at.strftime("%H:%M %d/%m/%Y")))
    for label, value in rows:
        t.text(label, _LABEL)
        t.text(value, _VALUE, bold=True)
        t.gap(8)
    if _nfc(slip.url):
        t.rule()
        t.text(LABELS["scan"], _LABEL)
        t.qr(_nfc(slip.url))
        t.text(slip.url, _SMALL)
    if _nfc(slip.footer):
        t.gap(10)
        t.text(slip.footer, _SMALL)
    return t.finish()


def png_bytes(img: Image.Image) -> bytes:
    """PNG for previews, the kiosk screen or a browser-printed fallback."""
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
