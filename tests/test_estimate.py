"""Wait estimates on a bare database: no Flask, no server."""
from conftest import staff
from queue_steps import call, issue
from shared import counters, presence, queue
from shared.estimate import wait_estimate


def test_wait_estimate_is_honest_without_enough_data(db, clock):
    staff(db, clock(), 1, 2)
    for _ in range(6):
        issue(db, clock)
    estimate = wait_estimate(db, "HT", 3, clock.tick())
    assert estimate["minutes"] is None and estimate["reason"] == "not_enough_data"
    assert estimate["counters"] == 2  # Quầy 1 and Quầy 2 serve Hộ tịch
    assert wait_estimate(db, "HT", 0, clock.tick())["minutes"] == 0


def test_wait_estimate_uses_todays_service_times_and_open_counters(db, clock):
    staff(db, clock(), 1, 2)
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


def test_wait_estimate_counts_only_counters_with_an_officer(db, clock):
    """Open is not served: Quầy 2 is open for Hộ tịch but nobody is at it."""
    for _ in range(6):
        issue(db, clock)
    staff(db, clock(), 1)
    for _ in range(3):
        call(db, clock, 1)
        clock.tick(240)
        queue.finish(db, 1, clock.tick(0))
    assert wait_estimate(db, "HT", 3, clock.tick()) == {"minutes": 12, "samples": 3, "counters": 1, "reason": None}
    queue.set_paused(db, 1, True, clock.tick())
    estimate = wait_estimate(db, "HT", 3, clock.tick())
    assert (estimate["minutes"], estimate["counters"], estimate["reason"]) == (None, 0, "no_officer")
    here = presence.present(db, clock())[1]
    assert presence.serving_counters(db, clock()) == {1: {"actor": here["actor"], "since": here["since"],
                                                          "paused": True, "services": ["HT"]}}
