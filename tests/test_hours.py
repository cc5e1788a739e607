"""Working hours: parsing, open or not, and the next opening."""
from datetime import datetime

import pytest

from shared.hours import closed_notice, closing, is_open, next_opening, parse_hours
from conftest import TZ

WEEK = parse_hours({"mon-fri": ["07:30-11:30", "13:30-17:00"], "sat": ["07:30-11:30"]})


@pytest.mark.parametrize("moment, open_", [
    ((2026, 11, 23, 7, 29), False), ((2026, 11, 23, 7, 30), True), ((2026, 11, 23, 11, 30), False),
    ((2026, 11, 23, 13, 45), True), ((2026, 11, 28, 9, 0), True), ((2026, 11, 29, 9, 0), False),
])
def test_is_open(moment, open_):
    assert is_open(WEEK, datetime(*moment, tzinfo=TZ)) is open_


def test_closing_is_the_end_of_the_days_last_period():
    assert closing(WEEK, datetime(2026, 11, 23, 9, 0, tzinfo=TZ)) == datetime(2026, 11, 23, 17, 0, tzinfo=TZ)
    assert closing(WEEK, datetime(2026, 11, 28, 18, 0, tzinfo=TZ)) == datetime(2026, 11, 28, 11, 30, tzinfo=TZ)
    assert closing(WEEK, datetime(2026, 11, 29, 9, 0, tzinfo=TZ)) is None   # Sunday: no periods
    assert closing({}, datetime(2026, 11, 23, 9, 0, tzinfo=TZ)) is None     # no hours: never closes


def test_next_opening_skips_closed_days():
    assert next_opening(WEEK, datetime(2026, 11, 28, 12, 0, tzinfo=TZ)) == datetime(2026, 11, 30, 7, 30, tzinfo=TZ)
    assert next_opening(WEEK, datetime(2026, 11, 23, 6, 0, tzinfo=TZ)) == datetime(2026, 11, 23, 7, 30, tzinfo=TZ)
    assert next_opening({}, datetime(2026, 11, 23, 6, 0, tzinfo=TZ)) is None
    assert is_open({}, datetime(2026, 11, 29, 3, 0, tzinfo=TZ))


def test_serve_says_when_it_starts_while_the_center_is_closed():
    """A Sunday try-out of the demo: `serve` says the kiosk is closed until Monday, and how to try it now."""
    sunday = closed_notice(WEEK, datetime(2026, 11, 29, 15, 0, tzinfo=TZ))
    assert "07:30 Mon 30/11" in sunday and "remove center.hours" in sunday
    assert closed_notice(WEEK, datetime(2026, 11, 30, 8, 0, tzinfo=TZ)) is None
    assert closed_notice({}, datetime(2026, 11, 29, 15, 0, tzinfo=TZ)) is None


@pytest.mark.parametrize("raw", [["07:30-11:30"], {"mon-xyz": []}, {"fri-mon": ["07:00-08:00"]},
                                 {"mon": "07:30-11:30"}, {"mon": ["7:30-11:30"]}, {"mon": ["11:30-07:30"]}])
def test_bad_hours_name_the_key(raw):
    with pytest.raises(ValueError, match=r"^center\.hours"):
        parse_hours(raw)


def test_counter_hours_are_checked_like_the_kiosks_and_default_to_them(raw_config):
    from shared.config import ConfigError, validate

    raw_config["center"]["hours"] = {"mon-fri": ["07:00-17:00"]}
    assert validate(raw_config).center.counter_hours == parse_hours({"mon-fri": ["07:00-17:00"]})
    raw_config["center"]["counter_hours"] = {"mon": ["11:30-07:30"]}
    with pytest.raises(ConfigError, match=r"^center\.counter_hours\.mon: '11:30-07:30' must end after it starts"):
        validate(raw_config)
