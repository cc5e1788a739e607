"""The background print queue against fake printers.

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

from escpos_fakes import WIDTH, FakeNetworkPrinter, Results, assert_job_is, make_slip
from shared.print_queue import PrintQueue


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
