"""Reports for a day or a range of days: counts, waiting and service times, satisfaction.

No Flask here; the days come from shared/report_dates.py, the tables and exports are in
shared/report_tables.py, the page's charts in shared/report_charts.py. Everything is computed from three stored sources, so a report
can be rebuilt at any time and checked against the audit log:

- `tickets`: the field at the end of the day (after transfers), priority,
  final status, issue time. A ticket belongs to the days of the range by its
  `day` (the center's local date it was issued on).
- `audit` (`called`, `finished`, `no_show`): the first call (wait ends), and
  the counter and officer (`actor`, "role:id:name") of the ticket's final
  outcome, i.e. the event that gave it its final status.
- `ratings`.

Definitions (docs/reports.md and the page's help, /reports/help, say the same for supervisors):

- wait = first `called` event - `issued_at`, for every ticket that was called
  at least once (a transferred ticket's wait ends at its first call).
- service = `finished_at` - `called_at` (the last call) for tickets finished
  by an officer; tickets closed by the end-of-day clean-up have no service time.
- average is the arithmetic mean; median and 90th percentile use linear
  interpolation between closest ranks (R type 7, Excel PERCENTILE.INC, NumPy's
  default): sort the n values x[0..n-1], h = (n - 1) * p, the value is
  x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]). So the
  median is the usual one (mean of the two middle values when n is even).
- hour rows group tickets by the local hour they were issued in.
"""
import math
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from . import hours
from .hours import Week


def percentile(values: list[float], p: float) -> float | None:
    """The p-th quantile (0 <= p <= 1) by linear interpolation (R type 7); None for no values."""
    if not values:
        return None
    xs = sorted(values)
    h = (len(xs) - 1) * p
    low = math.floor(h)
    high = min(low + 1, len(xs) - 1)
    return xs[low] + (h - low) * (xs[high] - xs[low])


def summarize(values: list[float]) -> dict:
    """Count, mean, median and 90th percentile of durations in seconds (None when empty)."""
    return {
        "count": len(values),
        "avg": sum(values) / len(values) if values else None,
        "median": percentile(values, 0.5),
        "p90": percentile(values, 0.9),
    }


def _when(text: str | None, tz: ZoneInfo) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(tz) if text else None


def _officer(actor: str | None) -> str:
    """The name part of "role:id:name", or the actor as stored."""
    parts = (actor or "").split(":", 2)
    return parts[2] if len(parts) == 3 else (actor or "(không rõ)")


def load(db, first: date, last: date, tz: ZoneInfo, counter_hours: Week | None = None) -> list[dict]:
    """One record per ticket of the range, with what the reports group and measure
    (`counter_hours`: center.counter_hours, whose day's end is the counters' closing)."""
    end = (last + timedelta(days=1)).isoformat()
    first_call, outcome = {}, {}
    # A ticket's events all fall on its own day (tickets cannot be called on a
    # later day), so the indexed `at` range finds them.
    for e in db.execute(
        """SELECT ticket_id, kind, at, counter_id, actor FROM audit
           WHERE at >= ? AND at < ? AND kind IN ('called', 'finished', 'no_show') ORDER BY id""",
        (first.isoformat(), end),
    ):
        if e["kind"] == "called":
            first_call.setdefault(e["ticket_id"], e["at"])
        else:
            outcome[e["ticket_id"]] = e
    rated = {
        r["ticket_id"]: r for r in db.execute(
            "SELECT ticket_id, score, label, satisfied FROM ratings WHERE day BETWEEN ? AND ?",
            (first.isoformat(), last.isoformat()),
        )
    }
    booked = {r[0] for r in db.execute(
        "SELECT ticket_id FROM bookings WHERE day BETWEEN ? AND ? AND ticket_id IS NOT NULL",
        (first.isoformat(), last.isoformat()))}
    promised = {}  # the kiosk's promise at issue (the first one kept for the ticket)
    for p in db.execute(
        """SELECT p.ticket_id, p.minutes, p.late FROM promises p JOIN tickets t ON t.id = p.ticket_id
           WHERE t.day BETWEEN ? AND ? AND p.source = 'kiosk' ORDER BY p.id""", (first.isoformat(), last.isoformat())):
        promised.setdefault(p["ticket_id"], p)
    records = []
    for t in db.execute(
        "SELECT * FROM tickets WHERE day BETWEEN ? AND ? ORDER BY id", (first.isoformat(), last.isoformat())
    ):
        issued = _when(t["issued_at"], tz)
        # A booked ticket waits from its slot's start (its place in the queue) when it
        # checked in early: coming early is the citizen's choice, not the center's delay.
        waits_from = max(issued, _when(t["arrived_at"], tz)) if t["id"] in booked else issued
        called = _when(first_call.get(t["id"]), tz)
        end_event = outcome.get(t["id"])
        # Only the event that set the final status names who dealt with the ticket.
        final = end_event if end_event is not None and (t["status"], end_event["kind"]) in (
            ("done", "finished"), ("no_show", "no_show")) else None
        service_time = None
        if t["status"] == "done" and final is not None and t["called_at"]:
            service_time = (_when(final["at"], tz) - _when(t["called_at"], tz)).total_seconds()
        rating = rated.get(t["id"])
        promise = promised.get(t["id"])
        closing = hours.closing(counter_hours or {}, issued)
        records.append({
            "id": t["id"], "field": t["service"], "priority": bool(t["priority"]), "status": t["status"],
            "day": t["day"], "hour": issued.hour,
            "wait": max(0.0, (called - waits_from).total_seconds()) if called else None,
            # Promise and outcome, both from the issue: {"promised_s", "late", "wait_s",
            # "after_closing_s"} (see accuracy).
            "promise": None if promise is None else {
                "promised_s": None if promise["minutes"] is None else promise["minutes"] * 60,
                "late": bool(promise["late"]),
                "wait_s": max(0.0, (called - issued).total_seconds()) if called else None,
                "after_closing_s": (called - closing).total_seconds() if called and closing and called >= closing
                else None},
            "booked": t["id"] in booked,
            "service_time": service_time,
            "counter": final["counter_id"] if final else None,
            "officer": final["actor"] if final else None,
            "score": rating["score"] if rating else None,
            "label": rating["label"] if rating else None,
            "satisfied": bool(rating["satisfied"]) if rating else None,
        })
    return records


# Accuracy of waits (docs/reports.md): a promise is kept when the actual wait is within
# max(5 min, 25 % of the promise) of it.
TOLERANCE_S, TOLERANCE_SHARE = 300, 0.25


def tolerance(promised_s: float) -> float:
    return max(TOLERANCE_S, TOLERANCE_SHARE * promised_s)


def accuracy(rows: list[dict]) -> dict:
    """How well promises were kept. rows: {"promised_s" (None: no figure shown), "late"
    (warned "may not be served today"), "wait_s" (issue to first call; None: never called),
    "after_closing_s" (optional: how long after the counters' closing the first call came)}.

    Kept: a figure within tolerance, or a warning that came true (share of all citizens).
    Among citizens given a figure: too short (waited more than
    5 min longer than promised, never called counting as too short), too long (waited
    more than 5 min less); median and P90 of the absolute error of those called. Among
    the warned: how many were served after all. Never called without a warning: missed.
    Called after closing: what keeping the kiosk's promises cost the counters that day."""
    figure = [r for r in rows if r["promised_s"] is not None and not r["late"]]
    called = [r for r in figure if r["wait_s"] is not None]
    errors = [abs(r["wait_s"] - r["promised_s"]) for r in called]
    kept = sum(1 for r in called if abs(r["wait_s"] - r["promised_s"]) <= tolerance(r["promised_s"]))
    kept += sum(1 for r in rows if r["late"] and r["wait_s"] is None)  # the warning came true
    short = sum(1 for r in figure if r["wait_s"] is None or r["wait_s"] - r["promised_s"] > TOLERANCE_S)
    long_ = sum(1 for r in called if r["promised_s"] - r["wait_s"] > TOLERANCE_S)
    warned = [r for r in rows if r["late"]]
    never = [r for r in rows if r["wait_s"] is None]
    n = len(rows)
    share = (lambda k, d: None if not d else round(100 * k / d, 1))
    after = [r["after_closing_s"] for r in rows if r.get("after_closing_s") is not None]
    return {
        "citizens": n,
        "kept_pct": share(kept, n),
        "no_figure_pct": share(sum(1 for r in rows if r["promised_s"] is None and not r["late"]), n),
        "too_short_pct": share(short, n),
        "too_long_pct": share(long_, n),
        "error_median_min": None if not errors else round(percentile(errors, 0.5) / 60, 1),
        "error_p90_min": None if not errors else round(percentile(errors, 0.9) / 60, 1),
        "bias_min": None if not called else round(sum(r["wait_s"] - r["promised_s"] for r in called) / len(called) / 60, 1),
        "warned": len(warned),
        "warned_served_pct": share(sum(1 for r in warned if r["wait_s"] is not None), len(warned)),
        "not_served": len(never),
        "not_served_unwarned": sum(1 for r in never if not r["late"]),
        "after_closing": len(after),
        "after_closing_last_min": round(max(after) / 60, 1) if after else None,
    }


def figures(records: list[dict]) -> dict:
    """The figures of one row of any table: counts, wait and service times, satisfaction."""
    status = [r["status"] for r in records]
    rated = [r for r in records if r["score"] is not None]
    satisfied = sum(1 for r in rated if r["satisfied"])
    return {
        "issued": len(records),
        "served": status.count("done"),
        "no_show": status.count("no_show"),
        "cancelled": status.count("cancelled"),
        "open": status.count("waiting") + status.count("called"),
        "wait": summarize([r["wait"] for r in records if r["wait"] is not None]),
        "service": summarize([r["service_time"] for r in records if r["service_time"] is not None]),
        "rated": len(rated),
        "satisfied": satisfied,
        "satisfied_pct": 100 * satisfied / len(rated) if rated else None,
    }


def _groups(records, key) -> dict:
    groups = {}
    for r in records:
        groups.setdefault(key(r), []).append(r)
    return groups


def bookings(db, first: date, last: date, names: dict) -> list[dict]:
    """Per field, the online bookings of the range's days: made, checked in, cancelled,
    no-shows (still booked once the day is over or its window passed) and the rates."""
    rows = db.execute(
        "SELECT service, status, count(*) AS n FROM bookings WHERE day BETWEEN ? AND ? GROUP BY service, status",
        (first.isoformat(), last.isoformat())).fetchall()
    per_field: dict[str, dict] = {}
    for r in rows:
        per_field.setdefault(r["service"], {"booked": 0, "checked_in": 0, "cancelled": 0})[r["status"]] = r["n"]
    result = []
    for code in [c for c in names if c in per_field] + sorted(set(per_field) - set(names)):
        counts = per_field[code]
        kept = counts["booked"] + counts["checked_in"]  # not cancelled
        result.append({"code": code, "name": names.get(code, code), "made": kept + counts["cancelled"],
                       "checked_in": counts["checked_in"], "no_show": counts["booked"], "cancelled": counts["cancelled"],
                       "checked_in_pct": 100 * counts["checked_in"] / kept if kept else None,
                       "no_show_pct": 100 * counts["booked"] / kept if kept else None})
    return result


def build(db, first: date, last: date, tz_name: str, scale: list[str] | None = None,
          counter_hours: Week | None = None) -> dict:
    """The whole report for the days first..last (inclusive) in the center's time zone."""
    tz = ZoneInfo(tz_name)
    records = load(db, first, last, tz, counter_hours)
    names = {r["code"]: r["name"] for r in db.execute("SELECT code, name FROM services ORDER BY position, code")}
    counter_names = dict(db.execute("SELECT id, name FROM counters ORDER BY position, id").fetchall())

    by_field = _groups(records, lambda r: r["field"])
    fields = [{"code": code, "name": name, **figures(by_field.get(code, []))} for code, name in names.items()]
    fields += [{"code": code, "name": code, **figures(rs)} for code, rs in by_field.items() if code not in names]

    handled = [r for r in records if r["counter"] is not None]
    by_counter = _groups(handled, lambda r: r["counter"])
    order = [c for c in counter_names if c in by_counter] + sorted(set(by_counter) - set(counter_names))
    counters = [{"id": cid, "name": counter_names.get(cid, f"#{cid}"), **figures(by_counter[cid])} for cid in order]

    by_officer = _groups(handled, lambda r: r["officer"])
    officers = sorted(
        ({"actor": actor, "name": _officer(actor), **figures(rs)} for actor, rs in by_officer.items()),
        key=lambda o: (o["name"], o["actor"] or ""),
    )

    by_hour = _groups(records, lambda r: r["hour"])
    hours = [{"hour": h, **figures(by_hour.get(h, []))}
             for h in (range(min(by_hour), max(by_hour) + 1) if by_hour else [])]

    # Accuracy of the kiosk's promises: tickets whose outcome is known (not still waiting).
    known = [r for r in records if r["promise"] is not None and r["status"] != "waiting"]
    by_day_field = _groups(known, lambda r: (r["day"], r["field"]))
    accuracy_rows = [{"name": "Tất cả", "day": None, "code": None, **accuracy([r["promise"] for r in known])}]
    accuracy_rows += [{"name": names.get(code, code), "day": day, "code": code,
                       **accuracy([r["promise"] for r in rs])}
                      for (day, code), rs in sorted(by_day_field.items(),
                                                    key=lambda kv: (kv[0][0], list(names).index(kv[0][1])
                                                                    if kv[0][1] in names else len(names)))]

    rated = [r for r in records if r["score"] is not None]
    labels = Counter((r["score"], r["label"]) for r in rated)
    for i, label in enumerate(scale or [], 1):  # every answer of the scale gets a row, even at 0
        labels.setdefault((i, label), 0)
    total = figures(records)
    return {
        "from": first.isoformat(), "to": last.isoformat(), "timezone": tz_name,
        "days": sorted({r["day"] for r in records}),
        "summary": total,
        "priority": [{"priority": p, "name": "Ưu tiên" if p else "Thường",
                      **figures([r for r in records if r["priority"] == p])} for p in (True, False)],
        "booked": [{"booked": b, "name": "Đặt lịch trực tuyến" if b else "Không đặt lịch",
                    **figures([r for r in records if r["booked"] == b])} for b in (True, False)],
        "bookings": bookings(db, first, last, names),
        "fields": fields,
        "counters": counters,
        "officers": officers,
        "hours": hours,
        "accuracy": accuracy_rows,
        "ratings": {
            "answers": [{"score": s, "label": lab, "count": n,
                         "pct": 100 * n / len(rated) if rated else None}
                        for (s, lab), n in sorted(labels.items())],
            "rated": total["rated"], "satisfied": total["satisfied"], "satisfied_pct": total["satisfied_pct"],
            "rated_pct_of_served": 100 * total["rated"] / total["served"] if total["served"] else None,
        },
    }


# Columns whose "Tất cả" row is the sum of the other rows; times and rates are taken over all tickets.

# name -> (Vietnamese title, where the rows are, first column, the other columns)


