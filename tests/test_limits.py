"""Failure limits: per key, sliding, and bounded in memory whatever the flood."""
from shared.limits import FailureLimit


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_key_is_blocked_after_its_failures_until_the_window_passes():
    clock = Clock()
    limit = FailureLimit(limit=3, window_s=60, clock=clock)
    for _ in range(3):
        assert limit.blocked_for("10.0.0.9") == 0
        limit.failed("10.0.0.9")
        clock.now += 10
    assert limit.blocked_for("10.0.0.9") == 30  # the first failure leaves the window in 30 s
    assert limit.blocked_for("10.0.0.10") == 0  # others are not affected
    clock.now += 30
    assert limit.blocked_for("10.0.0.9") == 0


def test_twenty_thousand_addresses_cost_a_bounded_memory():
    limit = FailureLimit(limit=10, window_s=300, max_keys=1000, clock=Clock())
    for i in range(20_000):
        limit.failed(f"10.{i // 65536}.{i // 256 % 256}.{i % 256}")
    assert len(limit) == 1000
    for _ in range(50):
        limit.failed("10.0.0.1")
    assert max(len(v) for v in limit._failures.values()) == 10
