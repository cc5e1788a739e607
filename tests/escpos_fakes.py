"""Test helpers for printing: sample slips, an ESC/POS raster decoder and a fake
network printer on 127.0.0.1, shared by the printing, ticket image and kiosk tests."""
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from shared.ticket_image import TicketSlip, render_ticket

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



class FakeNetworkPrinter:
    """Raw-TCP printer on 127.0.0.1 recording the bytes of each connection."""

    def __init__(self, port: int = 0):
        self.jobs: list[bytes] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(8)
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            conn.settimeout(5)
            chunks = []
            with conn:
                try:
                    while chunk := conn.recv(65536):
                        chunks.append(chunk)
                except OSError:
                    pass
            with self._lock:
                self.jobs.append(b"".join(chunks))

    def wait_jobs(self, n: int, timeout: float = 15) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.jobs) >= n:
                    return list(self.jobs)
            time.sleep(0.02)
        pytest.fail(f"fake printer got {len(self.jobs)} jobs, expected {n}")

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


class Results:
    """on_result collector with a bounded wait."""

    def __init__(self):
        self.items: list[tuple] = []
        self._cond = threading.Condition()

    def __call__(self, slip, ok, error):
        with self._cond:
            self.items.append((slip, ok, error))
            self._cond.notify_all()

    def wait(self, n: int, timeout: float = 20) -> list[tuple]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.items) >= n, timeout):
                pytest.fail(f"got {len(self.items)} results, expected {n}: {self.items}")
            return list(self.items)


WIDTH = 384  # smallest tickets: fastest tests


def assert_job_is(data: bytes, slip):
    printed, cmds = decode_ticket(data)
    assert_same_pixels(printed, render_ticket(slip, WIDTH))
    assert cmds[-1][0] == "cut" and [c[0] for c in cmds].count("cut") == 1
