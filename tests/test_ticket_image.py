"""Ticket rendering: size, font coverage, and what really reaches the printer.

The ESC/POS stream is decoded here by our own parser (not python-escpos) and
compared pixel for pixel with the rendered image, so a change in python-escpos's
encoding, a width/padding mistake or a lost fragment cannot pass unnoticed.
"""

import unicodedata
from datetime import timedelta

import pytest
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont

from shared.printer_devices import print_image
from escpos_fakes import (FIELDS, FOOTER, SLIPS, assert_same_pixels, decode_ticket,
                          make_slip)
from shared.ticket_image import FONT_BOLD, FONT_REGULAR, LABELS, WIDTHS, TicketSlip, png_bytes, render_ticket

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
