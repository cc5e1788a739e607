"""Ticket rendering: size, font coverage, and what really reaches the printer.

The ESC/POS stream is decoded here by our own parser (not python-escpos) and
compared pixel for pixel with the rendered image, so a change in python-escpos's
encoding, a width/padding mistake or a lost fragment cannot pass unnoticed.
"""

import unicodedata
from datetime import datetime, timedelta, timezone

import pytest
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont

from shared.printing import print_image
from shared.ticket_image import FONT_BOLD, FONT_REGULAR, LABELS, WIDTHS, TicketSlip, png_bytes, render_ticket

FIELDS = [
    "Hộ tịch",
    "Chứng thực",
    "Đất đai - Xây dựng",
    "Đăng ký kinh doanh",
    "Lao động - Thương binh và Xã hội",
    "Bảo hiểm y tế",
    "Thuế",
    "Trả kết quả",
]
CENTER = "Trung tâm Phục vụ hành chính công phường Hải Châu"
FOOTER = "Cảm ơn quý công dân. Số thứ tự chỉ có giá trị trong ngày."
ICT = timezone(timedelta(hours=7))


def make_slip(i: int, field: str = FIELDS[0]) -> TicketSlip:
    """Varied slips: prefixed and plain numbers, with and without counters, priority or not."""
    return TicketSlip(
        center_name=CENTER,
        service_name=field,
        number=f"A{i:03d}" if i % 2 else f"{1000 + i}",
        counters=[] if i % 3 == 0 else [f"Quầy {i + 1}", f"Quầy {i + 4}"],
        issued_at=datetime(2025, 11, 22, 7, 30, tzinfo=ICT) + timedelta(minutes=7 * i),
        ahead=i * 3,
        url=f"http://10.0.0.5:8080/t/tok{i:04d}xYz",
        footer=FOOTER if i % 2 == 0 else "",
        priority=i % 4 == 1,
    )


SLIPS = [make_slip(i, field) for i, field in enumerate(FIELDS)]


# --- ESC/POS decoder --------------------------------------------------------------

_BITS = [bytes(0 if (b >> (7 - k)) & 1 else 255 for k in range(8)) for b in range(256)]


def _bits_to_image(raw: bytes, row_bytes: int, height: int, width: int) -> Image.Image:
    """Raster rows, MSB = leftmost dot, 1 = burn (black) -> grey image (0 black, 255 white)."""
    assert len(raw) == row_bytes * height
    img = Image.frombytes("L", (row_bytes * 8, height), b"".join(_BITS[b] for b in raw))
    return img.crop((0, 0, width, height))


def parse_escpos(data: bytes) -> list[tuple]:
    """Split a byte stream into commands; any byte we do not expect fails the test.

    Yields ("init",), ("raster", img, density) for GS v 0, ("graphics", img) for
    GS ( L store + print, ("feed", n) for ESC d n, ("cut", m) for GS V.
    """
    out: list[tuple] = []
    stored = None
    i = 0
    while i < len(data):
        if data.startswith(b"\x1b@", i):
            out.append(("init",))
            i += 2
        elif data.startswith(b"\x1dv0", i):
            density = data[i + 3]
            row_bytes = data[i + 4] | data[i + 5] << 8
            height = data[i + 6] | data[i + 7] << 8
            start, end = i + 8, i + 8 + row_bytes * height
            assert end <= len(data), "GS v 0 block truncated"
            out.append(("raster", _bits_to_image(data[start:end], row_bytes, height, row_bytes * 8), density))
            i = end
        elif data.startswith(b"\x1d(L", i):
            size = data[i + 3] | data[i + 4] << 8
            body = data[i + 5 : i + 5 + size]
            assert len(body) == size, "GS ( L block truncated"
            i += 5 + size
            m, fn = body[0], body[1]
            assert m == 0x30
            if fn == 0x70:  # store raster graphics
                assert body[2] == 0x30 and body[5] == 0x31, "expected monochrome tone"
                width = body[6] | body[7] << 8
                height = body[8] | body[9] << 8
                row_bytes = (width + 7) // 8
                stored = _bits_to_image(body[10:], row_bytes, height, width)
            elif fn == 0x32:  # print stored graphics
                assert stored is not None, "print without stored graphics"
                out.append(("graphics", stored))
                stored = None
            else:
                raise AssertionError(f"unexpected GS ( L function 0x{fn:02x}")
        elif data.startswith(b"\x1bd", i):
            out.append(("feed", data[i + 2]))
            i += 3
        elif data.startswith(b"\x1dV", i):
            mode = data[i + 2]
            if mode in (0, 1, 48, 49):
                out.append(("cut", mode))
                i += 3
            elif mode in (65, 66):
                out.append(("cut", mode))
                i += 4
            else:
                raise AssertionError(f"unexpected GS V mode {mode}")
        else:
            raise AssertionError(f"unexpected byte 0x{data[i]:02x} at offset {i}: {data[i:i + 16]!r}")
    return out


def stack(images: list[Image.Image]) -> Image.Image:
    """Printed fragments one below the other, as the paper shows them."""
    width = images[0].width
    assert all(im.width == width for im in images)
    sheet = Image.new("L", (width, sum(im.height for im in images)), 255)
    y = 0
    for im in images:
        sheet.paste(im, (0, y))
        y += im.height
    return sheet


def decode_ticket(data: bytes) -> tuple[Image.Image, list[tuple]]:
    """The printed picture of one job, plus its command list; checks init-image-feed-cut order."""
    cmds = parse_escpos(data)
    kinds = [c[0] for c in cmds]
    assert kinds[0] == "init", kinds
    where = [k for k, kind in enumerate(kinds) if kind in ("raster", "graphics")]
    assert where, "no image in the job"
    assert where == list(range(where[0], where[-1] + 1)), f"image fragments interrupted: {kinds}"
    return stack([cmds[k][1] for k in where]), cmds


def assert_same_pixels(printed: Image.Image, rendered: Image.Image) -> None:
    assert printed.size == rendered.size
    a, b = printed.tobytes(), rendered.convert("L").tobytes()
    if a != b:
        diff = sum(x != y for x, y in zip(a, b))
        pytest.fail(f"{diff} of {len(a)} pixels differ between the printed and the rendered ticket")


# --- tests ------------------------------------------------------------------------


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("slip", SLIPS, ids=FIELDS)
def test_size_and_ink(slip, width):
    img = render_ticket(slip, width)
    assert img.mode == "1"
    assert img.width == width
    assert width * 1.2 < img.height < width * 5
    grey = img.convert("L")
    # white paper with a white margin all round, and real ink inside
    assert grey.getpixel((0, 0)) == 255 and grey.getpixel((width - 1, img.height - 1)) == 255
    assert grey.crop((0, img.height - 8, width, img.height)).getextrema() == (255, 255)
    assert grey.crop((0, 0, 4, img.height)).getextrema() == (255, 255)
    black = grey.histogram()[0]
    assert 0.04 < black / (width * img.height) < 0.5


def test_long_texts_wrap_and_grow():
    long = make_slip(2, "Lao động - Thương binh và Xã hội " * 6)
    long.footer = FOOTER * 5
    short = render_ticket(make_slip(2, "Thuế"), 384)
    tall = render_ticket(long, 384)
    assert tall.width == 384 and tall.height > short.height + 200


def test_rejects_unknown_width():
    with pytest.raises(ValueError):
        render_ticket(SLIPS[0], 400)


def vietnamese_letters() -> set[str]:
    """All 134 precomposed Vietnamese letters plus Đ/đ."""
    bases = "aăâeêioôơuưy"
    tones = ["", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
    letters = {"đ", "Đ"}
    for base in bases + bases.upper():
        for tone in tones:
            letters.add(unicodedata.normalize("NFC", base + tone))
    return letters


def text_used() -> set[str]:
    chars = set("".join(LABELS.values())) | vietnamese_letters() | set("0123456789:/-.,")
    for slip in SLIPS:
        chars |= set(slip.center_name + slip.service_name + slip.number + slip.url + slip.footer)
        chars |= set("".join(slip.counters))
    return {c for c in chars if not c.isspace()}


def glyph_pixels(font: ImageFont.FreeTypeFont, char: str) -> bytes:
    img = Image.new("L", (120, 120), 0)
    ImageDraw.Draw(img).text((20, 20), char, font=font, fill=255)
    return img.tobytes()


@pytest.mark.parametrize("path", [FONT_REGULAR, FONT_BOLD], ids=["regular", "bold"])
def test_font_covers_every_character(path):
    """A missing glyph prints as the .notdef box (or nothing): neither may happen on a ticket."""
    font = ImageFont.truetype(str(path), 48)
    notdef = glyph_pixels(font, "\ue000")  # private-use code point, absent from the font
    assert any(notdef), "the font has no visible .notdef glyph to compare against"
    chars = text_used()
    assert vietnamese_letters() <= chars and len(vietnamese_letters()) == 146
    boxes = sorted(c for c in chars if glyph_pixels(font, c) == notdef)
    blank = sorted(c for c in chars if not any(glyph_pixels(font, c)))
    assert not boxes and not blank, f"{path.name} lacks glyphs for {''.join(boxes + blank)!r}"


@pytest.mark.parametrize("index", range(len(SLIPS)), ids=FIELDS)
def test_printed_raster_matches_rendering(index):
    slip = SLIPS[index]
    width = WIDTHS[index % len(WIDTHS)]
    img = render_ticket(slip, width)
    printer = Dummy()
    print_image(printer, img)
    printed, cmds = decode_ticket(printer.output)
    assert [c[0] for c in cmds].count("raster") == -(-img.height // 960)  # 960-row fragments
    assert all(c[2] == 0 for c in cmds if c[0] == "raster")  # normal density, 1 dot = 1 pixel
    assert_same_pixels(printed, img)
    # the paper is fed and cut after the last image line, and nothing follows the cut
    tail = [c for c in cmds if c[0] not in ("init", "raster")]
    assert tail == [("feed", 6), ("cut", 0)]


def test_graphics_mode_matches_rendering():
    """GS ( L has a 16-bit length: fragments must stay small at 576 dots."""
    img = render_ticket(SLIPS[4], 576)
    printer = Dummy()
    print_image(printer, img, impl="graphics")
    printed, cmds = decode_ticket(printer.output)
    assert "graphics" in [c[0] for c in cmds] and "raster" not in [c[0] for c in cmds]
    assert_same_pixels(printed, img)
    assert cmds[-1][0] == "cut"


def test_profile_without_cutter_only_feeds():
    img = render_ticket(SLIPS[0], 384)
    printer = Dummy(profile="POS-5890")
    print_image(printer, img)
    printed, cmds = decode_ticket(printer.output)
    assert_same_pixels(printed, img)
    assert cmds[-1] == ("feed", 6)


def test_png_bytes_round_trip():
    img = render_ticket(SLIPS[1], 512)
    data = png_bytes(img)
    assert data.startswith(b"\x89PNG")
    import io

    back = Image.open(io.BytesIO(data))
    assert back.size == img.size
    assert back.convert("L").tobytes() == img.convert("L").tobytes()


def test_decomposed_input_is_normalised():
    """Text typed as base letter + combining mark must print like the precomposed form."""
    nfc = make_slip(3, "Đất đai - Xây dựng")
    nfd = make_slip(3, unicodedata.normalize("NFD", "Đất đai - Xây dựng"))
    assert render_ticket(nfd, 576).tobytes() == render_ticket(nfc, 576).tobytes()


def test_slip_survives_json_transport():
    """The printer agent receives slips as JSON over Socket.IO."""
    import json

    for slip in SLIPS:
        back = TicketSlip.from_dict(json.loads(json.dumps(slip.to_dict())))
        assert back == slip and back.issued_at.utcoffset() == timedelta(hours=7)
    assert TicketSlip.from_dict({**SLIPS[0].to_dict(), "new_field": 1}) == SLIPS[0]
