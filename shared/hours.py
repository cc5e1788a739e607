"""Working hours: when the kiosk hands out numbers, and when it next opens.

Config gives periods per weekday, e.g. {"mon-fri": ["07:30-11:30", "13:30-17:00"],
"sat": ["07:30-11:30"]}. No hours configured means always open.
"""
import re
from datetime import datetime, timedelta

from .errors import Conflict

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PERIOD = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")
#: Weekday (0 = Monday) -> sorted (open, close) minutes: center.hours as parsed once at load.
Week = dict[int, list[tuple[int, int]]]


def parse_hours(raw, name: str = "center.hours") -> Week:
    """Weekday (0 = Monday) -> sorted (open, close) minutes; ValueError names the key."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ValueError(f"{name}: must be a mapping such as {{mon-fri: [\"07:30-11:30\"]}}")
    week: Week = {}
    for spec, periods in raw.items():
        key = f"{name}.{spec}"
        first, _, last = str(spec).partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"{key}: days are mon..sun or a range such as mon-fri")
        days = range(DAYS.index(first), DAYS.index(last or first) + 1)
        if not days:
            raise ValueError(f"{key}: the range runs backwards")
        if not isinstance(periods, list):
            raise ValueError(f"{key}: must be a list of periods such as \"07:30-11:30\"")
        for period in periods:
            match = PERIOD.match(period) if isinstance(period, str) else None
            if not match:
                raise ValueError(f"{key}: {period!r} is not a period such as \"07:30-11:30\"")
            h1, m1, h2, m2 = map(int, match.groups())
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if end <= start or end > 24 * 60:
                raise ValueError(f"{key}: {period!r} must end after it starts, by 24:00")
            for day in days:
                week.setdefault(day, []).append((start, end))
    return {day: sorted(periods) for day, periods in week.items()}


def is_open(week: Week, at: datetime) -> bool:
    if not week:
        return True
    minute = at.hour * 60 + at.minute
    return any(start <= minute < end for start, end in week.get(at.weekday(), []))


def period_start(week: Week, at: datetime) -> datetime | None:
    """When the working period `at` falls in began (midnight when no hours are set: always
    open); None outside working hours."""
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if not week:
        return midnight
    minute = at.hour * 60 + at.minute
    return next((midnight + timedelta(minutes=start) for start, end in week.get(at.weekday(), [])
                 if start <= minute < end), None)


def periods(week: Week, at: datetime) -> list[tuple[datetime, datetime]]:
    """Today's periods of a `center.hours`-like setting, as moments (none set: the whole day)."""
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if not week:
        return [(midnight, midnight + timedelta(days=1))]
    return [(midnight + timedelta(minutes=a), midnight + timedelta(minutes=b)) for a, b in week.get(at.weekday(), [])]


def closing(week: Week, at: datetime) -> datetime | None:
    """When the last period of `at`'s day ends (None: no hours set, or none that day): after
    it the counters call only the numbers the kiosk did not warn (shared/queue.py)."""
    today = periods(week, at) if week else []
    return today[-1][1] if today else None


def next_opening(week: Week, at: datetime) -> datetime | None:
    """The next moment a period starts after `at` (None when no hours are set)."""
    if not week:
        return None
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in range(8):
        day = midnight + timedelta(days=offset)
        for start, _end in week.get(day.weekday(), []):
            moment = day + timedelta(minutes=start)
            if moment > at:
                return moment
    return None


WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def status(week: Week, at: datetime) -> dict:
    """What a kiosk shows: open now or not, and when it next opens."""
    opening = next_opening(week, at)
    return {"open": is_open(week, at), "next_open": opening.isoformat(timespec="minutes") if opening else None}


def closed_notice(week: Week, at: datetime) -> str | None:
    """What `serve` prints when it starts outside center.hours (a newcomer trying the demo on
    a Sunday evening would otherwise meet a kiosk whose fields are all greyed out)."""
    if is_open(week, at):
        return None
    opening = next_opening(week, at)
    return (f"  the center is closed now (center.hours): the kiosk hands out numbers again at "
            f"{opening:%H:%M} {WEEKDAYS_EN[opening.weekday()]} {opening:%d/%m}. To try it now, remove center.hours from the config "
            f"(or add this day's hours) and start again.")


def require_open(week: Week, at: datetime) -> None:
    """Numbers are handed out only in working hours; the refusal says when to come back."""
    if is_open(week, at):
        return
    opening = next_opening(week, at)
    when = f" Trung tâm mở cửa lúc {opening:%H:%M} {WEEKDAYS_VI[opening.weekday()]} {opening:%d/%m}." if opening else ""
    raise Conflict("Ngoài giờ làm việc." + when, "outside_hours")
