"""The queue domain on a bare database: no Flask, no server."""
import threading
from datetime import timedelta

import pytest

from shared import presence, queue
from shared.db import connect, init_database
from shared.queue import Conflict, NotFound, QueueError

from conftest import staff

STRICT = {"priority_policy": "strict", "priority_every": 3}


def issue(db, clock, service="HT", priority=False):
    return queue.issue_ticket(db, service, priority, clock.tick())


def call(db, clock, counter_id=1, policy=STRICT):
    ticket, _moved = queue.call_next(db, counter_id, clock.tick(), policy)
    return ticket


def events(db, kind):
    return db.execute("SELECT * FROM events WHERE kind = ? ORDER BY id", (kind,)).fetchall()


def test_numbers_follow_the_field_range_and_restart_each_day(db, clock):
    assert [issue(db, clock)["number"] for _ in range(3)] == ["1001", "1002", "1003"]
    assert issue(db, clock, "CT")["number"] == "2001"
    clock.at += timedelta(days=1)
    assert issue(db, clock)["number"] == "1001"


def test_prefix_and_zero_padding(config, tmp_path, clock):
    config["services"][0].update(prefix="A", start=1, digits=3)
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


def test_state_never_shows_yesterdays_numbers_as_current(db, clock):
    issue(db, clock)
    call(db, clock)
    assert queue.state(db, clock.tick(), recent=5)["counters"][0]["current"] is not None
    clock.at += timedelta(days=1)
    state = queue.state(db, clock.tick(), recent=5)
    assert state["counters"][0]["current"] is None and state["recent"] == []


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
    policy = {"priority_policy": "interleave", "priority_every": 3}
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
    assert queue.counter(db, 1)["current"] is None
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
    queue.update_counter(db, 2, {"open": False}, clock.tick())
    with pytest.raises(Conflict) as exc:
        call(db, clock, counter_id=2)
    assert exc.value.code == "counter_closed"
    with pytest.raises(NotFound):
        call(db, clock, counter_id=99)


def test_closing_a_busy_counter_puts_its_citizen_back_first(db, clock):
    ticket = issue(db, clock)
    issue(db, clock)
    call(db, clock)
    queue.update_counter(db, 1, {"open": False}, clock.tick())
    assert queue.get_ticket(db, ticket["id"])["status"] == "waiting"
    assert call(db, clock, counter_id=2)["id"] == ticket["id"]


def test_supervisor_goes_from_7_to_14_counters_live(db, clock):
    for i in range(8, 15):
        queue.add_counter(db, f"Quầy {i}", ["HT", "CT"], clock.tick())
    assert len([c for c in queue.counters(db) if c["open"]]) == 14
    ticket = issue(db, clock, "CT")
    assert call(db, clock, counter_id=14)["id"] == ticket["id"]
    queue.update_counter(db, 14, {"services": ["DD"], "name": "Quầy 14 - Đất đai"}, clock.tick())
    assert queue.counter(db, 14)["services"] == ["DD"]
    assert queue.counter(db, 14)["name"] == "Quầy 14 - Đất đai"


@pytest.mark.parametrize("change", [{}, {"colour": "red"}, {"open": "yes"}, {"services": "HT"},
                                    {"services": ["NOPE"]}, {"name": ""}, {"name": "x" * 41}])
def test_bad_counter_changes_are_refused(db, clock, change):
    with pytest.raises(QueueError):
        queue.update_counter(db, 1, change, clock.tick())


def test_two_counters_never_share_a_name(db, clock):
    """Two identical tiles on the hall's TV would send citizens to the wrong desk."""
    assert queue.counter(db, queue.add_counter(db, "  Quầy   15 ", ["HT"], clock.tick()))["name"] == "Quầy 15"
    for name in ("Quầy 15", "quầy 15", "QUẦY  15"):
        with pytest.raises(Conflict) as exc:
            queue.add_counter(db, name, ["HT"], clock.tick())
        assert exc.value.code == "counter_name_taken" and "Quầy 15" in exc.value.message
    with pytest.raises(Conflict):
        queue.update_counter(db, 2, {"name": "quầy 1"}, clock.tick())
    queue.update_counter(db, 1, {"name": "Quầy 1", "open": False}, clock.tick())  # its own name is fine
    assert [c["name"] for c in queue.counters(db)].count("Quầy 15") == 1


def test_a_counter_serves_at_least_one_field(db, clock):
    for attempt in (lambda: queue.add_counter(db, "Quầy 8", [], clock.tick()),
                    lambda: queue.update_counter(db, 1, {"services": []}, clock.tick())):
        with pytest.raises(QueueError) as exc:
            attempt()
        assert exc.value.code == "no_services"
    assert len(queue.counters(db)) == 7 and queue.counter(db, 1)["services"] == ["HT"]


def test_every_change_is_in_the_audit_log(db, clock):
    issue(db, clock)
    call(db, clock)
    queue.recall(db, 1, clock.tick())
    queue.finish(db, 1, clock.tick())
    kinds = [row["kind"] for row in db.execute("SELECT kind FROM events ORDER BY id")]
    assert kinds == ["issued", "called", "recalled", "finished"]


def test_state_is_small_and_complete(db, clock):
    issue(db, clock)
    called = call(db, clock)
    state = queue.state(db, clock.tick(), recent=5)
    assert [c["id"] for c in state["counters"]] == list(range(1, 8))
    assert state["counters"][0]["current"]["number"] == called["number"]
    assert state["recent"][0]["number"] == called["number"]
    assert {s["code"]: s["waiting"] for s in state["services"]}["HT"] == 0


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
        queue.add_counter(db, f"Quầy {i}", ["HT"], clock.tick())
    for counter_id in range(1, 8):
        queue.update_counter(db, counter_id, {"services": ["HT"]}, clock.tick())
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
    called_events = db.execute("SELECT count(*) FROM events WHERE kind = 'called'").fetchone()[0]
    assert called_events == 300


def test_wait_estimate_is_honest_without_enough_data(db, clock):
    staff(db, clock(), 1, 2)
    for _ in range(6):
        issue(db, clock)
    estimate = queue.wait_estimate(db, "HT", 3, clock.tick())
    assert estimate["minutes"] is None and estimate["reason"] == "not_enough_data"
    assert estimate["counters"] == 2  # Quầy 1 and Quầy 2 serve Hộ tịch
    assert queue.wait_estimate(db, "HT", 0, clock.tick())["minutes"] == 0


def test_wait_estimate_uses_todays_service_times_and_open_counters(db, clock):
    staff(db, clock(), 1, 2)
    for _ in range(6):
        issue(db, clock)
    for _ in range(3):
        call(db, clock, 1)
        clock.tick(240)
        queue.finish(db, 1, clock.tick(0))
    estimate = queue.wait_estimate(db, "HT", 3, clock.tick())
    assert estimate == {"minutes": 6, "samples": 3, "counters": 2, "reason": None}
    queue.set_paused(db, 2, True, clock.tick())
    assert queue.wait_estimate(db, "HT", 3, clock.tick())["minutes"] == 12
    queue.update_counter(db, 1, {"open": False}, clock.tick())
    assert queue.wait_estimate(db, "HT", 3, clock.tick())["reason"] == "no_counter"


def test_wait_estimate_counts_only_counters_with_an_officer(db, clock):
    """Open is not served: Quầy 2 is open for Hộ tịch but nobody is at it."""
    for _ in range(6):
        issue(db, clock)
    staff(db, clock(), 1)
    for _ in range(3):
        call(db, clock, 1)
        clock.tick(240)
        queue.finish(db, 1, clock.tick(0))
    assert queue.wait_estimate(db, "HT", 3, clock.tick()) == {"minutes": 12, "samples": 3, "counters": 1,
                                                             "reason": None}
    queue.set_paused(db, 1, True, clock.tick())
    estimate = queue.wait_estimate(db, "HT", 3, clock.tick())
    assert (estimate["minutes"], estimate["counters"], estimate["reason"]) == (None, 0, "no_officer")
    assert presence.serving_counters(db, clock()) == {1: {
        "actor": presence.present(db, clock())[1]["actor"], "since": presence.present(db, clock())[1]["since"],
        "paused": True, "services": ["HT"]}}


def test_service_caps_show_full_fields(config, tmp_path, clock):
    config["services"][0]["daily_cap"] = 2
    db = connect(str(tmp_path / "caps.db"))
    init_database(db, config)
    assert queue.service_caps(db, clock.tick())["HT"] == {"cap": 2, "issued": 0, "full": False}
    issue(db, clock)
    issue(db, clock)
    assert queue.service_caps(db, clock.tick())["HT"] == {"cap": 2, "issued": 2, "full": True}


def test_notice_line_is_set_cleaned_and_logged(db, clock):
    assert queue.notice(db) == ""
    assert queue.set_notice(db, "  Sáng thứ Bảy   làm việc\n7:30-11:30 ", clock.tick()) == "Sáng thứ Bảy làm việc 7:30-11:30"
    assert queue.notice(db) == "Sáng thứ Bảy làm việc 7:30-11:30"
    assert len(events(db, "notice_set")) == 1
    with pytest.raises(QueueError):
        queue.set_notice(db, "x" * 301, clock.tick())
    with pytest.raises(QueueError):
        queue.set_notice(db, None, clock.tick())
    queue.set_notice(db, "", clock.tick())
    assert queue.notice(db) == ""


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
    assert [r["kind"] for r in db.execute("SELECT kind FROM events WHERE service = 'DD' ORDER BY id")][-2:] \
        == ["service_opened", "issued"]
