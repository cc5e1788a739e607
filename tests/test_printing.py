"""Printer config, printer kinds and the background print queue, against fake printers.

Every fake printer lives on 127.0.0.1 or in tmp_path, and every wait has a deadline,
so a regression shows up as a failure, never as a hung test run.
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
from escpos.printer import File, Network, Serial, Usb

from escpos_fakes import FakeNetworkPrinter, Results, assert_same_pixels, decode_ticket, make_slip
from shared import printer_devices
from shared.print_queue import PrintQueue
from shared.printer_devices import open_printer, print_test
from shared.printing import validate_printer_config
from shared.ticket_image import render_ticket


WIDTH = 384  # smallest tickets: fastest tests


# --- config -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, key",
    [
        ("printer", "printer:"),
        ({"colour": "red"}, "printer.colour:"),
        ({"kind": "laser"}, "printer.kind:"),
        ({"profile": "TM-NOPE"}, "printer.profile:"),
        ({"profile": "TM-U220"}, "printer.profile:"),  # impact printer, no raster images
        ({"width_px": 600}, "printer.width_px:"),
        ({"width_px": "576"}, "printer.width_px:"),
        ({"profile": "TM-T88V", "width_px": 576}, "printer.width_px:"),  # head is 512 dots
        ({"image_impl": "bitImageColumn"}, "printer.image_impl:"),
        ({"kind": "network"}, "printer.host:"),
        ({"kind": "network", "host": "  "}, "printer.host:"),
        ({"kind": "network", "host": "10.0.0.9", "port": 0}, "printer.port:"),
        ({"port": 70000}, "printer.port:"),
        ({"port": "abc"}, "printer.port:"),
        ({"port": True}, "printer.port:"),
        ({"kind": "usb", "usb_product_id": "0x0202"}, "printer.usb_vendor_id:"),
        ({"kind": "usb", "usb_vendor_id": "0x04b8"}, "printer.usb_product_id:"),
        ({"usb_vendor_id": "epson"}, "printer.usb_vendor_id:"),
        ({"usb_product_id": 0x10000}, "printer.usb_product_id:"),
        ({"usb_out_ep": "0x1ff"}, "printer.usb_out_ep:"),
        ({"kind": "serial"}, "printer.serial_device:"),
        ({"baudrate": 12}, "printer.baudrate:"),
        ({"kind": "file"}, "printer.device:"),
        ({"timeout_s": 0}, "printer.timeout_s:"),
        ({"timeout_s": "3"}, "printer.timeout_s:"),
        ({"footer": 5}, "printer.footer:"),
    ],
)
def test_config_errors_name_the_key(raw, key):
    with pytest.raises(ValueError) as err:
        validate_printer_config(raw)
    assert str(err.value).startswith(key), str(err.value)


def test_config_defaults():
    cfg = validate_printer_config(None)
    assert cfg == validate_printer_config({})
    assert cfg["kind"] == "none" and cfg["profile"] == "default"
    assert cfg["width_px"] == 576 and cfg["port"] == 9100 and cfg["timeout_s"] == 3.0
    assert cfg["image_impl"] == "bitImageRaster" and cfg["baudrate"] == 9600 and cfg["footer"] == ""
    assert validate_printer_config(cfg) == cfg  # validated config passes again unchanged


@pytest.mark.parametrize(
    "profile, width", [("POS-5890", 384), ("TM-T88V", 512), ("TM-T20II", 576), ("RP-F10-58mm", 384)]
)
def test_width_defaults_to_the_profile(profile, width):
    assert validate_printer_config({"profile": profile})["width_px"] == width


@pytest.mark.parametrize("value", ["0x04b8", "0X04B8", "04b8", " 4b8 ", 0x04B8])
def test_usb_ids_hex_strings(value):
    cfg = validate_printer_config({"kind": "usb", "usb_vendor_id": value, "usb_product_id": "0202"})
    assert cfg["usb_vendor_id"] == 0x04B8 and cfg["usb_product_id"] == 0x0202


def test_open_printer_kinds(tmp_path):
    net = open_printer({"kind": "network", "host": "printer.local", "port": 9101, "timeout_s": 2})
    assert isinstance(net, Network) and (net.host, net.port, net.timeout) == ("printer.local", 9101, 2.0)
    usb = open_printer({"kind": "usb", "usb_vendor_id": "0x0416", "usb_product_id": "0x5011", "timeout_s": 2})
    assert isinstance(usb, Usb) and usb.usb_args == {"idVendor": 0x0416, "idProduct": 0x5011}
    assert usb.timeout == 2000  # pyusb counts milliseconds
    ser = open_printer({"kind": "serial", "serial_device": "/dev/ttyUSB0", "baudrate": 19200})
    assert isinstance(ser, Serial) and ser.baudrate == 19200
    dev = open_printer({"kind": "file", "device": str(tmp_path / "lp0")})
    assert isinstance(dev, File)
    with pytest.raises(ValueError, match=r"^printer\.kind:"):
        open_printer({"kind": "none"})


def test_print_test_png_and_none(tmp_path):
    out = tmp_path / "sample.png"
    print_test({"width_px": 512}, str(out))
    from PIL import Image

    with Image.open(out) as img:
        assert img.width == 512 and img.height > 512
    with pytest.raises(ValueError, match=r"^printer\.kind:"):
        print_test({"kind": "none"}, None)


# --- fakes ------------------------------------------------------------------------


@pytest.fixture
def fake_printer():
    printers = []

    def start(port=0):
        p = FakeNetworkPrinter(port)
        printers.append(p)
        return p

    yield start
    for p in printers:
        p.stop()


def assert_job_is(data: bytes, slip):
    printed, cmds = decode_ticket(data)
    assert_same_pixels(printed, render_ticket(slip, WIDTH))
    assert cmds[-1][0] == "cut" and [c[0] for c in cmds].count("cut") == 1


# --- queue ------------------------------------------------------------------------


def test_network_queue_prints_fails_fast_and_recovers(fake_printer):
    printer = fake_printer()
    results = Results()
    cfg = {"kind": "network", "host": "127.0.0.1", "port": printer.port, "width_px": WIDTH, "timeout_s": 2}
    queue = PrintQueue(cfg, results, maxsize=100)
    try:
        slips = [make_slip(i) for i in range(3)]
        assert all(queue.submit(s) for s in slips)
        assert [(r[0], r[1], r[2]) for r in results.wait(3)] == [(s, True, None) for s in slips]
        jobs = printer.wait_jobs(3)
        assert len(jobs) == 3  # each slip exactly once, in order
        for data, slip in zip(jobs, slips):
            assert_job_is(data, slip)

        # printer switched off: submits stay instant, every failure is reported
        port = printer.port
        printer.stop()
        down = [make_slip(10 + i) for i in range(50)]
        started = time.monotonic()
        assert all(queue.submit(s) for s in down)
        assert time.monotonic() - started < 1.0  # timeout_s is 2; each submit is microseconds
        reported = results.wait(3 + 50)[3:]
        assert [r[0] for r in reported] == down
        assert all(not ok and error for _, ok, error in reported)
        assert "refused" in reported[-1][2].lower()

        # switched on again: the very next slip prints
        printer = fake_printer(port)
        again = make_slip(99)
        queue.submit(again)
        assert results.wait(54)[-1] == (again, True, None)
        assert_job_is(printer.wait_jobs(1)[0], again)
    finally:
        queue.close()


def stalled_printer(timeout_s: float):
    """A network printer that stops answering: its port never accepts, so after one queued
    connection new connects hang until the job's timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    cfg = {"kind": "network", "host": "127.0.0.1", "port": listener.getsockname()[1],
           "width_px": WIDTH, "timeout_s": timeout_s}
    return listener, cfg


def test_unreachable_printer_never_delays_submit_and_queue_is_bounded():
    """A printer that stops answering (SYNs dropped): each job waits for its connect timeout."""
    listener, cfg = stalled_printer(0.4)
    results = Results()
    queue = PrintQueue(cfg, results, maxsize=3)
    try:
        slips = [make_slip(i) for i in range(12)]
        started = time.monotonic()
        for s in slips:
            assert queue.submit(s)
        assert time.monotonic() - started < 0.5
        got = results.wait(len(slips), timeout=30)
        assert sorted(slips.index(r[0]) for r in got) == list(range(len(slips)))  # each reported once
        dropped = [slips.index(r[0]) for r in got if (r[2] or "").startswith("dropped")]
        assert len(dropped) >= len(slips) - 3 - 2  # only the queue (3) and the in-flight jobs survive
        assert max(dropped) < len(slips) - 3  # the oldest are dropped, the newest kept
        assert any("timed out" in (r[2] or "") for r in got), got
    finally:
        queue.close(timeout=5)
        listener.close()


def test_file_device_missing_is_reported_not_created(tmp_path):
    device = tmp_path / "lp0"
    results = Results()
    queue = PrintQueue({"kind": "file", "device": str(device), "width_px": WIDTH}, results)
    try:
        queue.submit(make_slip(1))
        slip, ok, error = results.wait(1)[0]
        assert not ok and "lp0" in error
        assert not device.exists()
    finally:
        queue.close()


def test_file_device_prints(tmp_path):
    device = tmp_path / "capture.bin"
    device.touch()
    results = Results()
    queue = PrintQueue(
        {"kind": "file", "device": str(device), "width_px": WIDTH, "footer": "Hotline 1022"}, results
    )
    try:
        slip = make_slip(1)  # has no footer of its own: the configured one is printed
        queue.submit(slip)
        assert results.wait(1)[0][1:] == (True, None)
        from dataclasses import replace

        assert_job_is(device.read_bytes(), replace(slip, footer="Hotline 1022"))
    finally:
        queue.close()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_stuck_device_times_out(tmp_path):
    """A device that stops accepting bytes (pipe nobody reads) fails the job after timeout_s."""
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # opened, never read
    if hasattr(fcntl, "F_SETPIPE_SZ"):  # Linux
        fcntl.fcntl(reader, fcntl.F_SETPIPE_SZ, 4096)  # a ticket is far bigger than this
    results = Results()
    queue = PrintQueue({"kind": "file", "device": str(fifo), "width_px": 576, "timeout_s": 0.3}, results)
    try:
        started = time.monotonic()
        queue.submit(make_slip(1))
        _, ok, error = results.wait(1, timeout=10)[0]
        assert not ok and "TimeoutError" in error
        assert time.monotonic() - started < 5
    finally:
        queue.close()
        os.close(reader)


def test_callback_errors_do_not_stop_the_worker(fake_printer):
    printer = fake_printer()
    seen = Results()

    def flaky(slip, ok, error):
        seen(slip, ok, error)
        raise RuntimeError("logging broke")

    queue = PrintQueue(
        {"kind": "network", "host": "127.0.0.1", "port": printer.port, "width_px": WIDTH}, flaky
    )
    try:
        queue.submit(make_slip(1))
        queue.submit(make_slip(2))
        assert [r[1] for r in seen.wait(2)] == [True, True]
    finally:
        queue.close()


def test_kind_none_and_closed_queue_refuse_quietly(fake_printer):
    results = Results()
    assert PrintQueue(None, results).submit(make_slip(1)) is False
    printer = fake_printer()
    queue = PrintQueue(
        {"kind": "network", "host": "127.0.0.1", "port": printer.port, "width_px": WIDTH}, results
    )
    queue.close()
    assert queue.submit(make_slip(2)) is False
    assert results.items == []


def test_close_reports_waiting_slips():
    listener, cfg = stalled_printer(0.5)
    results = Results()
    queue = PrintQueue(cfg, results)
    try:
        slips = [make_slip(i) for i in range(5)]
        for s in slips:
            queue.submit(s)
        time.sleep(0.2)  # first job connected, second is waiting for its connect timeout
        queue.close(timeout=5)
        got = results.wait(5, timeout=10)
        assert {id(r[0]) for r in got} == {id(s) for s in slips}
        assert any(r[2] == "not printed: print queue closed" for r in got)
    finally:
        listener.close()


def test_no_flask_import():
    """The printer agent runs on a kiosk PC without the web stack."""
    code = "import sys, shared.print_queue, shared.printer_agent, shared.ticket_image; assert 'flask' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1], timeout=60)


# --- USB and serial through fake device objects -------------------------------------


class FakeUsbDevice:
    """Just enough of a pyusb device: a generic printer whose bulk OUT endpoint is 0x03."""

    backend = type("FakeBackend", (), {})()  # not libusb1: escpos skips kernel-driver checks

    def __init__(self):
        self.writes: list[tuple[int, bytes, int]] = []

    def set_configuration(self):
        pass

    def reset(self):
        pass

    def get_active_configuration(self):
        ep = lambda address, attributes: type(
            "Ep", (), {"bEndpointAddress": address, "bmAttributes": attributes}
        )()
        return {(0, 0): [ep(0x81, 0x02), ep(0x83, 0x03), ep(0x03, 0x02)]}  # bulk IN, interrupt IN, bulk OUT

    def write(self, endpoint, data, timeout):
        self.writes.append((endpoint, bytes(data), timeout))


def test_usb_finds_bulk_endpoints_and_prints(monkeypatch):
    import usb.core as usb_core
    import usb.util

    device = FakeUsbDevice()
    wanted = []
    monkeypatch.setattr(usb_core, "find", lambda **match: wanted.append(match) or device)
    monkeypatch.setattr(usb.util, "dispose_resources", lambda dev: None)
    cfg = {
        "kind": "usb",
        "usb_vendor_id": "0416",
        "usb_product_id": "5011",
        "width_px": WIDTH,
        "timeout_s": 1.5,
    }
    slip = make_slip(5)
    printer_devices.print_slip(cfg, slip)
    assert wanted == [{"idVendor": 0x0416, "idProduct": 0x5011}]
    assert {(ep, timeout) for ep, _, timeout in device.writes} == {(0x03, 1500)}
    assert_job_is(b"".join(data for _, data, _ in device.writes), slip)


def test_serial_sets_write_timeout_and_prints(monkeypatch):
    import serial
    opened = []

    class FakeSerial:
        def __init__(self, **kwargs):
            self.kwargs, self.data, self.is_open, self.write_timeout = kwargs, b"", True, None
            opened.append(self)

        def write(self, data):
            assert self.write_timeout == 0.7, "write before the write timeout was set"
            self.data += data

        def flush(self):
            pass

        def close(self):
            self.is_open = False

    monkeypatch.setattr(serial, "Serial", FakeSerial)
    slip = make_slip(6)
    printer_devices.print_slip(
        {
            "kind": "serial",
            "serial_device": "/dev/ttyS0",
            "baudrate": 38400,
            "width_px": WIDTH,
            "timeout_s": 0.7,
        },
        slip,
    )
    (port,) = opened
    assert port.kwargs["port"] == "/dev/ttyS0" and port.kwargs["baudrate"] == 38400
    assert_job_is(port.data, slip)


def test_queues_of_several_processes_take_the_printer_one_at_a_time(tmp_path):
    """With server.message_queue each process prints its own tickets; a lock file beside
    the database keeps two jobs from interleaving on the device."""
    import fcntl

    lock_path = str(tmp_path / "motcua.db.printer-lock")
    device = tmp_path / "printer.bin"
    device.touch()
    results = Results()
    queue = PrintQueue({"kind": "file", "device": str(device), "width_px": WIDTH}, results, lock_path=lock_path)
    try:
        with open(lock_path, "a") as other_process:
            fcntl.flock(other_process, fcntl.LOCK_EX)  # another process is printing
            queue.submit(make_slip(1))
            time.sleep(0.5)
            assert device.stat().st_size == 0  # waiting its turn
            fcntl.flock(other_process, fcntl.LOCK_UN)
        assert [(r[1], r[2]) for r in results.wait(1)] == [(True, None)]
        assert device.stat().st_size > 0
    finally:
        queue.close()


def test_the_printer_database_is_parsed_once_and_kept_in_the_users_cache(tmp_path):
    """python-escpos would parse its YAML database in every process and leave a pickle in a
    new /tmp folder each time; the pickle now lives in the user's cache and is reused."""
    env = {k: v for k, v in os.environ.items() if k != "ESCPOS_CAPABILITIES_PICKLE_DIR"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    show = ("import os, shared.printing; "
            "print(os.environ['ESCPOS_CAPABILITIES_PICKLE_DIR'])")
    runs = [subprocess.run([sys.executable, "-c", show], env=env, capture_output=True, text=True,
                           check=True).stdout.strip() for _ in range(2)]
    folder = tmp_path / "cache" / "motcua" / "escpos"
    assert runs == [str(folder)] * 2
    pickles = list(folder.glob("*.capabilities.pickle"))
    assert len(pickles) == 1
    made = pickles[0].stat().st_mtime_ns
    subprocess.run([sys.executable, "-c", show], env=env, check=True, capture_output=True)
    assert pickles[0].stat().st_mtime_ns == made  # read, not written again
