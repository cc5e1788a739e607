"""Waiting for a server process the benchmarks and tests start: one loop for all of them."""
import time
from pathlib import Path

import requests


def wait_until_serving(url: str, path: str, proc, log: Path | None = None, timeout_s: float = 30) -> None:
    """Return once GET url+path answers 2xx; RuntimeError (with the server's log, when it
    has one) if the process exits or `timeout_s` passes first."""
    said = lambda: f": {log.read_text()}" if log else ""  # noqa: E731
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}{said()}")
        try:
            if requests.get(url + path, timeout=1).ok:
                return
        except (requests.ConnectionError, requests.Timeout):
            # A refused connect costs little; every test waits for a start. A first answer
            # slower than a second (a busy machine, a start still importing) is asked again.
            time.sleep(0.02)
    raise RuntimeError(f"server did not start{said()}")
