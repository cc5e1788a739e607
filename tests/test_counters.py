"""Counter administration on a bare database: no Flask, no server."""
import pytest

from queue_steps import call, issue
from shared import counters, hall, queue
from shared.errors import Conflict, QueueError


def test_closing_a_busy_counter_puts_its_citizen_back_first(db, clock):
    ticket = issue(db, clock)
    issue(db, clock)
    call(db, clock)
    counters.update_counter(db, 1, {"open": False}, clock.tick())
    assert queue.get_ticket(db, ticket["id"])["status"] == "waiting"
    assert call(db, clock, counter_id=2)["id"] == ticket["id"]


def test_supervisor_goes_from_7_to_14_counters_live(db, clock):
    for i in range(8, 15):
        counters.add_counter(db, f"Quầy {i}", ["HT", "CT"], clock.tick())
    assert len([c for c in hall.counters(db) if c["open"]]) == 14
    ticket = issue(db, clock, "CT")
    assert call(db, clock, counter_id=14)["id"] == ticket["id"]
    counters.update_counter(db, 14, {"services": ["DD"], "name": "Quầy 14 - Đất đai"}, clock.tick())
    assert hall.counter(db, 14)["services"] == ["DD"]
    assert hall.counter(db, 14)["name"] == "Quầy 14 - Đất đai"


@pytest.mark.parametrize("change", [{}, {"colour": "red"}, {"open": "yes"}, {"services": "HT"},
                                    {"services": ["NOPE"]}, {"name": ""}, {"name": "x" * 41}])
def test_bad_counter_changes_are_refused(db, clock, change):
    with pytest.raises(QueueError):
        counters.update_counter(db, 1, change, clock.tick())


def test_two_counters_never_share_a_name(db, clock):
    """Two identical tiles on the hall's TV would send citizens to the wrong desk."""
    assert hall.counter(db, counters.add_counter(db, "  Quầy   15 ", ["HT"], clock.tick()))["name"] == "Quầy 15"
    for name in ("Quầy 15", "quầy 15", "QUẦY  15"):
        with pytest.raises(Conflict) as exc:
            counters.add_counter(db, name, ["HT"], clock.tick())
        assert exc.value.code == "counter_name_taken" and "Quầy 15" in exc.value.message
    with pytest.raises(Conflict):
        counters.update_counter(db, 2, {"name": "quầy 1"}, clock.tick())
    counters.update_counter(db, 1, {"name": "Quầy 1", "open": False}, clock.tick())  # its own name is fine
    assert [c["name"] for c in hall.counters(db)].count("Quầy 15") == 1


def test_a_counter_serves_at_least_one_field(db, clock):
    for attempt in (lambda: counters.add_counter(db, "Quầy 8", [], clock.tick()),
                    lambda: counters.update_counter(db, 1, {"services": []}, clock.tick())):
        with pytest.raises(QueueError) as exc:
            attempt()
        assert exc.value.code == "no_services"
    assert len(hall.counters(db)) == 7 and hall.counter(db, 1)["services"] == ["HT"]
