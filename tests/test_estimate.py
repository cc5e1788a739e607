"""Wait estimates on a bare database: no Flask, no server."""
from queue_steps import call, issue
from shared import counters, queue
from shared.estimate import wait_estimate


def test_wait_estimate_is_honest_without_enough_data(db, clock):
    for _ in range(6):
        issue(db, clock)
    estimate = wait_estimate(db, "HT", 3, clock.tick())
    assert estimate["minutes"] is None and estimate["reason"] == "not_enough_data"
    assert estimate["counters"] == 2  # Quầy 1 and Quầy 2 serve Hộ tịch
    assert wait_estimate(db, "HT", 0, clock.tick())["minutes"] == 0


def test_wait_estimate_uses_todays_service_times_and_open_counters(db, clock):
    for _ in range(6):
        issue(db, clock)
    for _ in range(3):
        call(db, clock, 1)
        clock.tick(240)
        queue.finish(db, 1, clock.tick(0))
    estimate = wait_estimate(db, "HT", 3, clock.tick())
    assert estimate == {"minutes": 6, "samples": 3, "counters": 2, "reason": None}
    queue.set_paused(db, 2, True, clock.tick())
    assert wait_estimate(db, "HT", 3, clock.tick())["minutes"] == 12
    counters.update_counter(db, 1, {"open": False}, clock.tick())
    assert wait_estimate(db, "HT", 3, clock.tick())["reason"] == "no_counter"
