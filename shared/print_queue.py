"""The print queue: slips printed one by one, off the request path.

Printing is slow and printers fail (paper out, cable pulled, switched off), so a
kiosk request only queues the slip; one worker thread prints, reconnecting for
every job, and reports each outcome through a callback so the server can show the
fault instead of hanging the kiosk. A file lock keeps several server processes
from interleaving tickets on one device. No Flask import: the remote printer agent
uses this module too.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Mapping
from typing import Callable

from .printer_devices import one_line, print_slip
from .config import LOCAL_PRINTER_KINDS, validate_printer_config
from .ticket_image import TicketSlip


ResultCallback = Callable[[TicketSlip, bool, "str | None"], None]


class PrintQueue:
    """Print slips one by one in a background thread; ``submit`` never waits for the printer.

    ``on_result(slip, ok, error)`` is called from the worker thread after each job,
    and for jobs dropped because the queue was full (``ok=False``). With kind
    ``none`` or ``agent`` nothing is started and ``submit`` returns False.
    """

    def __init__(self, cfg: Mapping | None, on_result: ResultCallback | None = None, maxsize: int = 20,
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
        if self.cfg.kind in LOCAL_PRINTER_KINDS:
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
            self._thread.join(self.cfg.timeout_s * 2 + 1 if timeout is None else timeout)

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
                self._report(slip, False, one_line(exc))
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
