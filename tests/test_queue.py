"""The queue domain on a bare database: no Flask, no server."""
import threading
from datetime import timedelta

import pytest

from queue_steps import STRICT, call, events, issue
from shared import counters, estimate, hall, queue
from shared.config import Queue, validate
from shared.db import connect, init_database
from shared.errors import Conflict, NotFound, QueueError


def test_numbers_follow_the_field_range_and_restart_each_day(db, clock):
    assert [issue(db, clock)["number"] for _ in range(3)] == ["1001", "1002", "1003"]
    assert issue(db, clock, "CT")["number"] == "2001"
    clock.at += timedelta(days=1)
    assert issue(db, clock)["number"] == "1001"


def test_prefix_and_zero_padding(raw_config, tmp_path, clock):
    raw_config["services"][0].update(prefix="A", start=1, digits=3)
    config = validate(raw_config)
    database = connect(str(tmp_path / "prefix.db"))
    init_database(database, config)
    assert [issue(database, clock)["number"] for _ in range(2)] == ["A001", "A002"]


def test_new_day_clears_yesterdays_queue(db, clock):
    serving, waiting = issue(db, clock), issue(db, clock)
    call(db, clock)
    clock.at += timedelta(days=1)
    fresh = issue(db, clock)
    assert queue.get_ticket(db, serving["id"])["status"] == "done"
    assert queue.get_ticket(db, waiting["id"])["status"] == "cancelled"
    assert call(db, clock)["id"] == fresh["id"]
    assert len(events(db, "day_closed")) == 1


def test_unknown_and_closed_fields_are_refused(db, clock):
    with pytest.raises(QueueError) as exc:
        issue(db, clock, "NOPE")
    assert exc.value.code == "unknown_service" and type(exc.value) is QueueError
    db.execute("UPDATE services SET open = 0 WHERE code = 'HT'")
    with pytest.raises(Conflict) as exc:
        issue(db, clock)
    assert exc.value.code == "service_closed"


def test_daily_cap_stops_issue_without_skipping_numbers(db, clock):
    db.execute("UPDATE services SET daily_cap = 2 WHERE code = 'HT'")
    assert [issue(db, clock)["number"] for _ in range(2)] == ["1001", "1002"]
    for _ in range(2):
        with pytest.raises(Conflict) as exc:
            issue(db, clock)
        assert exc.value.code == "daily_cap_reached"
    db.execute("UPDATE services SET daily_cap = 3 WHERE code = 'HT'")
    assert issue(db, clock)["number"] == "1003"


def test_call_next_takes_the_oldest_of_the_counters_fields(db, clock):
    other = issue(db, clock, "DD")
    first, second = issue(db, clock), issue(db, clock)
    assert call(db, clock)["id"] == first["id"]
    assert call(db, clock)["id"] == second["id"]
    assert call(db, clock) is None  # counter 1 serves HT only; DD waits for counter 4
    assert call(db, clock, counter_id=4)["id"] == other["id"]


def test_after_closing_the_counter_calls_only_the_numbers_the_kiosk_did_not_warn(db, clock):
    """The kiosk's "có thể không kịp" is kept: before closing the queue order is the only
    rule; from closing on, "Gọi tiếp" skips a warned number (a call by number still reaches it)."""
    warned_early, promised, warned_late = issue(db, clock), issue(db, clock), issue(db, clock)
    for ticket in (warned_early, warned_late):
        estimate.record(db, ticket["id"], "kiosk", {"minutes": None, "late": True, "reason": None}, clock.at)
    closing = clock.at + timedelta(minutes=5)
    before = queue.call_next(db, 1, clock.tick(), STRICT, closing=closing)[0]
    assert before["id"] == warned_early["id"]           # reached before closing: called
    clock.at = closing
    queue.transfer(db, 1, "CT", clock.tick())           # mid-service, sent on after closing: still called
    assert queue.call_next(db, 3, clock.tick(), STRICT, closing=closing)[0]["id"] == warned_early["id"]
    assert queue.next_number(db, 1, clock.at, STRICT, closing) == {
        "number": promised["number"], "warned": 1, "warned_next": {"id": warned_late["id"], "number": warned_late["number"]}}
    assert queue.call_next(db, 1, clock.tick(), STRICT, closing=closing)[0]["id"] == promised["id"]
    assert queue.call_next(db, 1, clock.tick(), STRICT, closing=closing)[0] is None
    assert queue.get_ticket(db, warned_late["id"])["status"] == "waiting"
    assert queue.next_number(db, 1, clock.at, STRICT)["warned"] == 0   # no closing set: no such rule
    assert queue.call_ticket(db, 1, warned_late["id"], clock.tick())["status"] == "called"


def test_call_next_finishes_the_current_citizen(db, clock):
    first = issue(db, clock)
    issue(db, clock)
    call(db, clock)
    call(db, clock)
    assert queue.get_ticket(db, first["id"])["status"] == "done"
    assert len(events(db, "finished")) == 1


def test_strict_priority_goes_first(db, clock):
    normal = issue(db, clock)
    elderly = issue(db, clock, priority=True)
    assert normal["ahead"] == 0 and elderly["ahead"] == 0
    assert queue.get_ticket(db, normal["id"])["ahead"] == 1
    assert call(db, clock)["id"] == elderly["id"]
    assert call(db, clock)["id"] == normal["id"]


def test_interleave_calls_one_priority_every_n(db, clock):
    policy = Queue(priority_policy="interleave")
    for _ in range(6):
        issue(db, clock)
        issue(db, clock, priority=True)
    kinds = [call(db, clock, policy=policy)["priority"] for _ in range(9)]
    assert kinds == [True, False, False, True, False, False, True, False, False]
    # Once normal tickets run out, the remaining priority tickets are called.
    assert [call(db, clock, policy=policy)["priority"] for _ in range(3)] == [True, True, True]


def test_after_makes_call_next_idempotent_for_double_clicks(db, clock):
    first, second = issue(db, clock), issue(db, clock)
    ticket, moved = queue.call_next(db, 1, clock.tick(), STRICT, after=None)
    assert (ticket["id"], moved) == (first["id"], True)
    ticket, moved = queue.call_next(db, 1, clock.tick(), STRICT, after=None)  # the double click
    assert (ticket["id"], moved) == (first["id"], False)
    assert queue.get_ticket(db, second["id"])["status"] == "waiting"
    ticket, moved = queue.call_next(db, 1, clock.tick(), STRICT, after=first["id"])
    assert (ticket["id"], moved) == (second["id"], True)


def test_recall_finish_and_no_show(db, clock):
    first, second = issue(db, clock), issue(db, clock)
    call(db, clock)
    assert queue.recall(db, 1, clock.tick())["recalls"] == 1
    assert queue.finish(db, 1, clock.tick())["status"] == "done"
    with pytest.raises(Conflict) as exc:
        queue.recall(db, 1, clock.tick())
    assert exc.value.code == "no_current_ticket"
    call(db, clock)
    assert queue.no_show(db, 1, clock.tick())["status"] == "no_show"
    assert hall.counter(db, 1)["current"] is None
    assert [len(events(db, k)) for k in ("recalled", "finished", "no_show")] == [1, 1, 1]
    assert first["id"] != second["id"]


def test_a_no_show_who_comes_back_can_be_called(db, clock):
    ticket = issue(db, clock)
    call(db, clock)
    missed = queue.no_show(db, 1, clock.tick())
    assert missed["counter"] == {"id": 1, "name": "Quầy 1"}  # where to ask to be called back
    back = queue.call_ticket(db, 2, ticket["id"], clock.tick())
    assert back["status"] == "called" and back["counter"]["id"] == 2
    queue.finish(db, 2, clock.tick())
    with pytest.raises(Conflict):
        queue.call_ticket(db, 2, ticket["id"], clock.tick())
    with pytest.raises(NotFound):
        queue.call_ticket(db, 2, 9999, clock.tick())


def test_transfer_keeps_number_and_place_by_arrival(db, clock):
    moved = issue(db, clock, "HT")
    later = issue(db, clock, "CT")
    call(db, clock)
    ticket = queue.transfer(db, 1, "CT", clock.tick())
    assert (ticket["number"], ticket["service"], ticket["status"]) == (moved["number"], "CT", "waiting")
    assert ticket["issued_at"] == moved["issued_at"]
    assert call(db, clock, counter_id=3)["id"] == moved["id"]  # arrived before `later`
    assert call(db, clock, counter_id=3)["id"] == later["id"]
    with pytest.raises(QueueError):
        queue.transfer(db, 3, "NOPE", clock.tick())


def test_paused_and_closed_counters_do_not_call(db, clock):
    issue(db, clock)
    queue.set_paused(db, 1, True, clock.tick())
    with pytest.raises(Conflict) as exc:
        call(db, clock)
    assert exc.value.code == "counter_paused"
    queue.set_paused(db, 1, False, clock.tick())
    assert call(db, clock) is not None
    counters.update_counter(db, 2, {"open": False}, clock.tick())
    with pytest.raises(Conflict) as exc:
        call(db, clock, counter_id=2)
    assert exc.value.code == "counter_closed"
    with pytest.raises(NotFound):
        call(db, clock, counter_id=99)


def test_every_change_is_in_the_audit_log(db, clock):
    issue(db, clock)
    call(db, clock)
    queue.recall(db, 1, clock.tick())
    queue.finish(db, 1, clock.tick())
    kinds = [row["kind"] for row in db.execute("SELECT kind FROM audit ORDER BY id")]
    assert kinds == ["issued", "called", "recalled", "finished"]


def test_eight_kiosks_issue_800_tickets_unique_and_consecutive(config, db, clock):
    """8 threads x 100 tickets, each thread on its own connection, all pressing at once."""
    numbers, errors = [], []
    start = threading.Barrier(8)
    at = clock.tick()

    def kiosk():
        own = connect(config["database"]["path"], busy_timeout_s=60)  # uniqueness is tested here, not waits
        start.wait()
        try:
            for _ in range(100):
                numbers.append(int(queue.issue_ticket(own, "HT", False, at)["number"]))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        own.conn.close()

    threads = [threading.Thread(target=kiosk) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(numbers) == list(range(1001, 1801))


def test_fourteen_counters_calling_at_once_never_share_a_ticket(config, db, clock):
    for i in range(8, 15):
        counters.add_counter(db, f"Quầy {i}", ["HT"], clock.tick())
    for counter_id in range(1, 8):
        counters.update_counter(db, counter_id, {"services": ["HT"]}, clock.tick())
    for _ in range(300):
        issue(db, clock)
    at = clock.tick()
    calls, errors = [], []
    start = threading.Barrier(14)

    def counter(counter_id):
        own = connect(config["database"]["path"], busy_timeout_s=60)  # uniqueness is tested here, not waits
        start.wait()
        try:
            while True:
                ticket, _ = queue.call_next(own, counter_id, at, STRICT)
                if ticket is None:
                    break
                calls.append(ticket["id"])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        own.conn.close()

    threads = [threading.Thread(target=counter, args=(i,)) for i in range(1, 15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert len(calls) == len(set(calls)) == 300
    called_events = db.execute("SELECT count(*) FROM audit WHERE kind = 'called'").fetchone()[0]
    assert called_events == 300


def test_a_field_closed_for_the_day_opens_again_the_next_morning(db, clock):
    from shared.dashboard import set_service_open

    set_service_open(db, "DD", {"open": False}, clock.tick())
    with pytest.raises(Conflict):
        issue(db, clock, "DD")
    db.execute("UPDATE services SET open = 0 WHERE code = 'CU'")  # closed in config, not for the day
    clock.at += timedelta(days=1)
    assert issue(db, clock, "DD")["number"] == "3001"
    with pytest.raises(Conflict):
        issue(db, clock, "CU")
    assert [r["kind"] for r in db.execute("SELECT kind FROM audit WHERE service = 'DD' ORDER BY id")][-2:] \
        == ["service_opened", "issued"]
