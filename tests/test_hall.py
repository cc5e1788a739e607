"""The hall's read models on a bare database: no Flask, no server."""
from datetime import timedelta

import pytest

from queue_steps import call, events, issue
from shared import hall
from shared.config import validate
from shared.db import connect, init_database
from shared.errors import QueueError


def test_state_never_shows_yesterdays_numbers_as_current(db, clock):
    issue(db, clock)
    call(db, clock)
    assert hall.state(db, clock.tick(), recent=5)["counters"][0]["current"] is not None
    clock.at += timedelta(days=1)
    state = hall.state(db, clock.tick(), recent=5)
    assert state["counters"][0]["current"] is None and state["recent"] == []


def test_state_is_small_and_complete(db, clock):
    issue(db, clock)
    called = call(db, clock)
    state = hall.state(db, clock.tick(), recent=5)
    assert [c["id"] for c in state["counters"]] == list(range(1, 8))
    assert state["counters"][0]["current"]["number"] == called["number"]
    assert state["recent"][0]["number"] == called["number"]
    assert {s["code"]: s["waiting"] for s in state["services"]}["HT"] == 0


def test_service_caps_show_full_fields(raw_config, tmp_path, clock):
    raw_config["services"][0]["daily_cap"] = 2
    config = validate(raw_config)
    db = connect(str(tmp_path / "caps.db"))
    init_database(db, config)
    assert hall.service_caps(db, clock.tick())["HT"] == {"cap": 2, "issued": 0, "full": False}
    issue(db, clock)
    issue(db, clock)
    assert hall.service_caps(db, clock.tick())["HT"] == {"cap": 2, "issued": 2, "full": True}


def test_notice_line_is_set_cleaned_and_logged(db, clock):
    assert hall.notice(db) == ""
    assert hall.set_notice(db, "  Sáng thứ Bảy   làm việc\n7:30-11:30 ", clock.tick()) == "Sáng thứ Bảy làm việc 7:30-11:30"
    assert hall.notice(db) == "Sáng thứ Bảy làm việc 7:30-11:30"
    assert len(events(db, "notice_set")) == 1
    with pytest.raises(QueueError):
        hall.set_notice(db, "x" * 301, clock.tick())
    with pytest.raises(QueueError):
        hall.set_notice(db, None, clock.tick())
    hall.set_notice(db, "", clock.tick())
    assert hall.notice(db) == ""
