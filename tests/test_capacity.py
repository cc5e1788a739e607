"""Capacity advice: Erlang C against values worked out by hand, and the advice on the peak day."""
import math
import statistics
from datetime import date

import pytest

from shared import capacity
from shared.db import connect
from test_reports import DAY, at, generate_peak_day, staff_client

# Worked by hand from C(c, a) = (a^c/c! * c/(c-a)) / (sum_{k<c} a^k/k! + a^c/c! * c/(c-a)):
#   a=1, c=2: (1/2 * 2) / (1 + 1 + 1) = 1/3
#   a=2, c=3: (8/6 * 3) / (1 + 2 + 2 + 4) = 4/9
#   a=3, c=4: (81/24 * 4) / (1 + 3 + 4.5 + 4.5 + 13.5) = 13.5/26.5
#   a=2.5, c=3: 15.625 / (6.625 + 15.625) = 0.7022472
#   a=2.5, c=4: 4.3402778 / (9.2291667 + 4.3402778) = 0.3198567
#   a=2.5, c=5: 1.6276042 / (10.8567708 + 1.6276042) = 1.6276042 / 12.484375 = 0.1303713
HAND = [(2, 1, 1 / 3), (3, 2, 4 / 9), (4, 3, 13.5 / 26.5), (3, 2.5, 0.7022472), (4, 2.5, 0.3198567),
        (5, 2.5, 0.1303713)]


@pytest.mark.parametrize("c, a, want", HAND)
def test_erlang_c_by_hand(c, a, want):
    assert capacity.erlang_c(c, a) == pytest.approx(want, abs=1e-7)


def test_mean_wait_and_counters_needed_by_hand():
    """10 citizens an hour, 15 minutes each (mu = 4 an hour, a = 2.5 Erlangs).

    Wq = C / (c mu - lambda): 3 counters 0.7022472 / 2 h = 21.07 min; 4 counters
    0.3198567 / 6 h = 3.199 min; 5 counters 0.1303713 / 10 h = 0.782 min.
    """
    assert capacity.mean_wait(3, 10, 4) * 60 == pytest.approx(21.0674, abs=1e-3)
    assert capacity.mean_wait(4, 10, 4) * 60 == pytest.approx(3.1986, abs=1e-3)
    assert capacity.mean_wait(5, 10, 4) * 60 == pytest.approx(0.7823, abs=1e-3)
    assert capacity.mean_wait(2, 10, 4) == math.inf  # 2 counters serve 8 an hour: the queue grows
    assert capacity.counters_needed(10, 4, 25 / 60) == 3
    assert capacity.counters_needed(10, 4, 15 / 60) == 4
    assert capacity.counters_needed(10, 4, 2 / 60) == 5
    assert capacity.counters_needed(0, 4, 15 / 60) == 0
    assert capacity.counters_needed(0.5, 4, 15 / 60) == 1


def direct_erlang_c(c, a):
    """The textbook formula with factorials, to check the recursion on bigger loads."""
    top = a ** c / math.factorial(c) * c / (c - a)
    return top / (sum(a ** k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.parametrize("c, a", [(1, 0.5), (7, 6.2), (14, 11.3), (40, 35.5)])
def test_recursion_matches_the_formula(c, a):
    assert capacity.erlang_c(c, a) == pytest.approx(direct_erlang_c(c, a), rel=1e-9)
    assert capacity.erlang_c(c, c) == 1 and capacity.erlang_c(c, 0) == 0
    assert 0 < capacity.erlang_c(300, 280) < 1  # no overflow on big centers


@pytest.fixture(scope="module")
def peak(tmp_path_factory):
    return generate_peak_day(tmp_path_factory.mktemp("peak") / "motcua.db")


def test_advice_for_next_monday_from_the_peak_day(peak):
    config, truth, _ = peak
    db = connect(config["database"]["path"])
    advice = capacity.advise(db, date(2026, 11, 30), "Asia/Ho_Chi_Minh", 15, 4)
    db.conn.close()
    assert advice["basis_days"] == [DAY.isoformat()]  # the same weekday; not the Tuesday after
    assert advice["open_now"] == 7  # the extra counters closed at 15:30
    fields = {f["code"]: f for f in advice["fields"]}
    assert fields["HT"]["open_now"] == 2 and fields["CT"]["open_now"] == 2
    total = {}
    for code, field in fields.items():
        mine = [r for r in truth.values() if r["field"] == code]
        services = [r["finished"] - r["called"] for r in mine if r["status"] == "done"]
        mean = statistics.fmean(services)
        assert field["service_min"] == round(mean / 60, 2) and field["samples"] == len(services)
        for row in field["hours"]:
            arrivals = sum(1 for r in mine if at(r["issued"]).hour == row["hour"])
            assert row["arrivals"] == arrivals
            # smallest c with Wq <= 15 min, by the direct formula
            a = arrivals * mean / 3600
            c = math.floor(a) + 1
            while direct_erlang_c(c, a) / (c * 3600 / mean - arrivals) * 60 > 15:
                c += 1
            assert row["needed"] == c, (code, row)
            total[row["hour"]] = total.get(row["hour"], 0) + c
        assert field["peak_needed"] == max(h["needed"] for h in field["hours"])
    assert {h["hour"]: h["needed"] for h in advice["hours"]} == total
    assert advice["peak_needed"] == max(total.values())
    assert advice["peak_needed"] > 14, "the peak day's morning needed more than the 14 counters it had"
    assert (advice["enough_data"], advice["shortage"], advice["basis"]) == (True, None, "same_weekday")


def test_advice_says_when_it_has_nothing_to_learn_from(peak):
    db = connect(peak[0]["database"]["path"])
    before = capacity.advise(db, DAY, "Asia/Ho_Chi_Minh", 15, 4)          # no day before the peak day
    unserved = capacity.advise(db, date(2026, 12, 1), "Asia/Ho_Chi_Minh", 15, 4)  # 24/11: one ticket, never served
    db.conn.close()
    assert (before["enough_data"], before["shortage"], before["basis_days"]) == (False, "no_tickets", [])
    assert (unserved["enough_data"], unserved["shortage"]) == (False, "no_service_times")
    assert unserved["basis_days"] == ["2026-11-24"] and unserved["basis"] == "same_weekday"
    assert {f["code"]: f["tickets"] for f in unserved["fields"]}["HT"] == 1


def test_actual_counters_on_the_day(peak):
    config = peak[0]
    db = connect(config["database"]["path"])
    advice = capacity.advise(db, DAY, "Asia/Ho_Chi_Minh", 15, 4, basis=(DAY, DAY))
    db.conn.close()
    active = {h["hour"]: h["active"] for h in advice["hours"]}
    assert active[9] == 14 and active[16] <= 7  # 14 open in the rush, the extra ones closed at 15:30
    assert advice["basis_days"] == [DAY.isoformat()]


def test_capacity_api(peak):
    client, headers, _ = staff_client(peak[0])
    assert client.get("/api/reports/capacity").status_code == 401
    advice = client.get("/api/reports/capacity?day=2026-11-30&target=20", headers=headers).get_json()
    assert advice["target_min"] == 20 and advice["basis_days"] == ["2026-11-23"]
    default = client.get("/api/reports/capacity", headers=headers).get_json()
    assert default["day"] == "2026-11-25" and default["target_min"] == 15  # tomorrow, config target
    assert default["basis_days"] == ["2026-11-23", "2026-11-24"]  # no Wednesday yet: every day
    chosen = client.get("/api/reports/capacity?day=2026-12-01&basis_from=2026-11-23", headers=headers).get_json()
    assert chosen["basis_days"] == ["2026-11-23"]  # a hand-picked peak day instead of past Tuesdays
    for bad, code in (("target=0", "invalid_target"), ("target=x", "invalid_target"), ("day=30/11", "invalid_date")):
        response = client.get(f"/api/reports/capacity?{bad}", headers=headers)
        assert response.status_code == 400 and response.get_json()["error"] == code
