"""Capacity advice: how many counters each field needs, hour by hour, for a chosen day.

No Flask here. The model is M/M/c (Erlang C), one independent queue per field
and per clock hour:

- arrivals are Poisson with rate lambda = the average number of tickets of the
  field issued in that clock hour on the basis days (the same weekday in the
  `reports.capacity_weeks` weeks before the day; when none of those has
  tickets, every day of those weeks that has some; or a range chosen by hand);
- service times are exponential with mean 1/mu = the field's mean service
  time (finished - called) over the basis days, pooled over all hours
  (hours alone hold too few samples); a field with no finished ticket takes
  the mean of all fields, and says so;
- c identical counters serve the field, first come first served, nobody
  leaves, and each hour is treated as if it were in steady state.

With offered load a = lambda / mu and c > a, the probability that a citizen
has to wait is Erlang C,

    C(c, a) = (a^c / c! * c / (c - a)) / (sum_{k<c} a^k / k! + a^c / c! * c / (c - a)),

and the mean wait in the queue is Wq = C(c, a) / (c * mu - lambda). The advice
is the smallest c with Wq <= the target. Known limits: a counter serving
several fields pools their queues (the sum per field then overstates the
need), morning crowds that arrive before opening and the queue carried from
one hour to the next are not steady state (the advice then understates the
first hour), and priority tickets are not modelled separately.
"""
import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from . import presence
from .reports import load


def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in M/M/c with offered load a (Erlangs); 1 when c <= a.

    Computed through the Erlang B recursion B(k) = a B(k-1) / (k + a B(k-1)),
    which never overflows, then C = c B / (c - a (1 - B)).
    """
    if a <= 0:
        return 0.0
    if c <= a:
        return 1.0
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return c * b / (c - a * (1 - b))


def mean_wait(c: int, arrivals: float, service_rate: float) -> float:
    """Mean wait in the queue Wq (in the unit of 1 / rates); infinite when c counters cannot keep up."""
    if arrivals <= 0:
        return 0.0
    if c * service_rate <= arrivals:
        return math.inf
    return erlang_c(c, arrivals / service_rate) / (c * service_rate - arrivals)


def counters_needed(arrivals: float, service_rate: float, target: float, limit: int = 200) -> int:
    """The fewest counters keeping the mean wait at or under `target` (same time unit as the rates)."""
    if arrivals <= 0:
        return 0
    c = max(1, math.floor(arrivals / service_rate) + 1)  # fewer cannot keep up
    while c < limit and mean_wait(c, arrivals, service_rate) > target:
        c += 1
    return c


def basis_days(db, day: date, weeks: int) -> list[str]:
    """The past days to learn from: the same weekday in the weeks before, else every day with tickets."""
    first = (day - timedelta(weeks=weeks)).isoformat()
    days = [row[0] for row in db.execute(
        "SELECT DISTINCT day FROM tickets WHERE day >= ? AND day < ? ORDER BY day", (first, day.isoformat()))]
    same = [d for d in days if date.fromisoformat(d).weekday() == day.weekday()]
    return same or days


def advise(db, day: date, tz_name: str, target_min: float, weeks: int,
           basis: tuple[date, date] | None = None) -> dict:
    """Counters needed per field and hour for `day`, beside the counters open now and on that day."""
    tz = ZoneInfo(tz_name)
    if basis:
        days = [row[0] for row in db.execute(
            "SELECT DISTINCT day FROM tickets WHERE day BETWEEN ? AND ? ORDER BY day",
            (basis[0].isoformat(), basis[1].isoformat()))]
    else:
        days = basis_days(db, day, weeks)
    records = [r for d in days for r in load(db, date.fromisoformat(d), date.fromisoformat(d), tz)]
    all_service = [r["service_time"] for r in records if r["service_time"] is not None]
    pooled = sum(all_service) / len(all_service) if all_service else None

    fields_served = {}
    for row in db.execute("SELECT cs.service, c.id FROM counter_services cs JOIN counters c ON c.id = cs.counter_id"
                          " WHERE c.open = 1"):
        fields_served.setdefault(row[0], set()).add(row[1])
    staffed = presence.serving_counters(db, datetime.now(tz))  # open and an officer there, now
    active = {}  # (field, hour) -> counters that called its tickets in that hour of `day`; (None, hour): any field
    for row in db.execute(
        """SELECT t.service, e.at, e.counter_id FROM audit e JOIN tickets t ON t.id = e.ticket_id
           WHERE e.kind = 'called' AND e.at >= ? AND e.at < ?""",
        (day.isoformat(), (day + timedelta(days=1)).isoformat()),
    ):
        hour = datetime.fromisoformat(row["at"]).astimezone(tz).hour
        active.setdefault((row["service"], hour), set()).add(row["counter_id"])
        active.setdefault((None, hour), set()).add(row["counter_id"])

    # Without past tickets, or without a single finished one, there is no rate or service time
    # to model: the advice says so instead of "0 counters".
    shortage = "no_tickets" if not records else ("no_service_times" if pooled is None else None)
    fields, totals = [], {}
    for code, name in db.execute("SELECT code, name FROM services ORDER BY position, code").fetchall():
        mine = [r for r in records if r["field"] == code]
        samples = [r["service_time"] for r in mine if r["service_time"] is not None]
        mean_s = sum(samples) / len(samples) if samples else pooled
        hours = []
        for hour in sorted({r["hour"] for r in mine}):
            arrivals = sum(1 for r in mine if r["hour"] == hour) / len(days)
            rate = 3600 / mean_s if mean_s else None
            needed = counters_needed(arrivals, rate, target_min / 60) if rate else None
            wait = mean_wait(needed, arrivals, rate) * 60 if needed else None
            hours.append({"hour": hour, "arrivals": round(arrivals, 3),
                          "load": round(arrivals / rate, 3) if rate else None,
                          "needed": needed, "wait_min": None if wait is None else round(wait, 2),
                          "active": len(active.get((code, hour), ()))})
            totals[hour] = totals.get(hour, 0) + (needed or 0)
        fields.append({
            "code": code, "name": name,
            "service_min": None if mean_s is None else round(mean_s / 60, 2),
            "service_estimated": not samples and mean_s is not None,
            "samples": len(samples),
            "tickets": len(mine),
            "hours": hours,
            "peak_needed": max((h["needed"] or 0 for h in hours), default=0),
            "open_now": len(fields_served.get(code, ())),
            "staffed_now": sum(1 for c in staffed.values() if code in c["services"]),
        })
    hours_seen = sorted(set(totals) | {hour for field, hour in active if field is None})
    by_hour = [{"hour": h, "needed": totals.get(h, 0), "active": len(active.get((None, h), ()))}
               for h in hours_seen]
    return {
        "day": day.isoformat(), "target_min": target_min, "basis_days": days,
        "basis": "chosen" if basis else ("same_weekday" if days and all(
            date.fromisoformat(d).weekday() == day.weekday() for d in days) else "recent_days"),
        "weeks": weeks, "enough_data": shortage is None, "shortage": shortage,
        "model": "M/M/c (Erlang C), một hàng đợi cho mỗi lĩnh vực và mỗi giờ",
        "fields": fields,
        "hours": by_hour,
        "peak_needed": max((h["needed"] for h in by_hour), default=0),
        "open_now": db.execute("SELECT count(*) FROM counters WHERE open = 1").fetchone()[0],
        "staffed_now": len(staffed),
    }
