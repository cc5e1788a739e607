"""Where blocking work runs: inline, unless the server entry point says otherwise.

Under eventlet one green thread that blocks in C (an SQLite lock wait, a year's
report, libusb) freezes every screen. shared/server.py, the only module that
touches eventlet, sets `run` to its thread pool; everywhere else, and in
threading mode, a call is just a call.
"""
from typing import Callable, TypeVar

T = TypeVar("T")


def _inline(job: Callable[[], T]) -> T:
    return job()


run: Callable[[Callable[[], T]], T] = _inline
