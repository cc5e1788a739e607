"""Bounded counting of failed attempts, so a script cannot guess or grow memory.

Keyed by what the client cannot choose (its address). At most `max_keys`
addresses are remembered; the least recently seen is forgotten first, so a
flood of addresses costs a fixed amount of memory.
"""
import threading
import time
from collections import OrderedDict


class FailureLimit:
    """At most `limit` failures per key in any `window_s` seconds."""

    def __init__(self, limit: int, window_s: float, max_keys: int = 4096, clock=time.monotonic):
        self.limit, self.window_s, self.max_keys, self.clock = limit, window_s, max_keys, clock
        self._failures: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: str, moment: float) -> list[float]:
        return [t for t in self._failures.get(key, ()) if moment - t < self.window_s]

    def blocked_for(self, key: str) -> int:
        """Seconds until `key` may try again (0: it may now)."""
        moment = self.clock()
        with self._lock:
            recent = self._recent(key, moment)
        if len(recent) < self.limit:
            return 0
        return max(1, int(recent[-self.limit] + self.window_s - moment + 0.999))

    def failed(self, key: str) -> None:
        moment = self.clock()
        with self._lock:
            recent = self._recent(key, moment)
            recent.append(moment)
            self._failures[key] = recent[-self.limit:]
            self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def __len__(self) -> int:
        return len(self._failures)
