"""Reports for a day or a range of days: counts, waiting and service times, satisfaction.

No Flask here. Everything is computed from three stored sources, so a report
can be rebuilt at any time and checked against the audit log:

- `tickets`: the field at the end of the day (after transfers), priority,
  final status, issue time. A ticket belongs to the days of the range by its
  `day` (the center's local date it was issued on).
- `events` (`called`, `finished`, `no_show`): the first call (wait ends), and
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
import csv
import io
import math
from collections import Counter
from datetime import date, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from .queue import QueueError

MAX_DAYS = 366
FIRST_YEAR, LAST_YEAR = 2000, 2999  # a date outside is a typo, and 9999-12-31 + 1 day overflows


def parse_day(text: str) -> date:
    """A date as the page's fields show it (dd/mm/yyyy) or as the API's ISO form (YYYY-MM-DD)."""
    try:
        if "/" in text:
            day, month, year = text.strip().split("/")
            return date(int(year), int(month), int(day))
        return date.fromisoformat(text)
    except ValueError:
        raise QueueError("Ngày phải có dạng ngày/tháng/năm, ví dụ 30/11/2026.", "invalid_date") from None


def parse_range(start: str | None, end: str | None, today: date) -> tuple[date, date]:
    """Validated (from, to) dates; both default to today, `to` defaults to `from`."""
    first = parse_day(start) if start else today
    last = parse_day(end) if end else first
    if not (FIRST_YEAR <= first.year and last.year <= LAST_YEAR):
        raise QueueError(f"Ngày phải trong các năm {FIRST_YEAR} đến {LAST_YEAR}.", "invalid_date")
    if last < first or (last - first).days >= MAX_DAYS:
        raise QueueError(f"Khoảng ngày phải từ 1 đến {MAX_DAYS} ngày.", "invalid_range")
    return first, last


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


def load(db, first: date, last: date, tz: ZoneInfo) -> list[dict]:
    """One record per ticket of the range, with what the reports group and measure."""
    end = (last + timedelta(days=1)).isoformat()
    first_call, outcome = {}, {}
    # A ticket's events all fall on its own day (tickets cannot be called on a
    # later day), so the indexed `at` range finds them.
    for e in db.execute(
        """SELECT ticket_id, kind, at, counter_id, actor FROM events
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
        service = None
        if t["status"] == "done" and final is not None and t["called_at"]:
            service = (_when(final["at"], tz) - _when(t["called_at"], tz)).total_seconds()
        rating = rated.get(t["id"])
        records.append({
            "id": t["id"], "field": t["service"], "priority": bool(t["priority"]), "status": t["status"],
            "day": t["day"], "hour": issued.hour,
            "wait": max(0.0, (called - waits_from).total_seconds()) if called else None,
            "booked": t["id"] in booked,
            "service": service,
            "counter": final["counter_id"] if final else None,
            "officer": final["actor"] if final else None,
            "score": rating["score"] if rating else None,
            "label": rating["label"] if rating else None,
            "satisfied": bool(rating["satisfied"]) if rating else None,
        })
    return records


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
        "service": summarize([r["service"] for r in records if r["service"] is not None]),
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


def build(db, first: date, last: date, tz_name: str, scale: list[str] | None = None) -> dict:
    """The whole report for the days first..last (inclusive) in the center's time zone."""
    tz = ZoneInfo(tz_name)
    records = load(db, first, last, tz)
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
        "ratings": {
            "answers": [{"score": s, "label": lab, "count": n,
                         "pct": 100 * n / len(rated) if rated else None}
                        for (s, lab), n in sorted(labels.items())],
            "rated": total["rated"], "satisfied": total["satisfied"], "satisfied_pct": total["satisfied_pct"],
            "rated_pct_of_served": 100 * total["rated"] / total["served"] if total["served"] else None,
        },
    }


# --- Tables: the same rows for the page, CSV and XLSX --------------------------------------------

def minutes(seconds: float | None) -> float | None:
    """Durations are shown and exported in minutes, to one decimal."""
    return None if seconds is None else round(seconds / 60, 1)


def pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


COUNTS = [("Số phát", lambda r: r["issued"]), ("Đã phục vụ", lambda r: r["served"]),
          ("Vắng mặt", lambda r: r["no_show"]), ("Hủy cuối ngày", lambda r: r["cancelled"]),
          ("Chưa xong", lambda r: r["open"])]
HANDLED = [("Đã phục vụ", lambda r: r["served"]), ("Vắng mặt", lambda r: r["no_show"])]


def _times(kind: str, titles: tuple[str, str, str]):
    """Average, median and 90th percentile, headed in plain words (the help page says how)."""
    return [(title, lambda r, q=q: minutes(r[kind][q])) for title, q in zip(titles, ("avg", "median", "p90"))]


WAIT = _times("wait", ("Chờ trung bình (phút)", "Một nửa số người chờ không quá (phút)",
                       "9 trong 10 người chờ không quá (phút)"))
SERVICE = _times("service", ("Phục vụ trung bình (phút)", "Một nửa số lượt phục vụ không quá (phút)",
                             "9 trong 10 lượt phục vụ không quá (phút)"))
RATED = [("Lượt đánh giá", lambda r: r["rated"]), ("Hài lòng", lambda r: r["satisfied"]),
         ("Tỷ lệ hài lòng (%)", lambda r: pct(r["satisfied_pct"]))]
# Columns whose "Tất cả" row is the sum of the other rows; times and rates are taken over all tickets.
ADDS_UP = {title for title, _ in COUNTS + HANDLED + RATED[:2]}

# name -> (Vietnamese title, where the rows are, first column, the other columns)
TABLES = {
    "summary": ("Tổng hợp", lambda rep: [{"name": "Tất cả", **rep["summary"]}] + rep["priority"],
                ("Nhóm", lambda r: r["name"]), COUNTS + WAIT + SERVICE + RATED),
    "fields": ("Theo lĩnh vực", lambda rep: rep["fields"],
               ("Lĩnh vực", lambda r: r["name"]), COUNTS + WAIT + SERVICE + RATED),
    "counters": ("Theo quầy", lambda rep: rep["counters"],
                 ("Quầy", lambda r: r["name"]), HANDLED + SERVICE + RATED),
    "officers": ("Theo cán bộ", lambda rep: rep["officers"],
                 ("Cán bộ", lambda r: r["name"]), HANDLED + SERVICE + RATED),
    "hours": ("Theo giờ lấy số", lambda rep: rep["hours"],
              ("Giờ", lambda r: f"{r['hour']:02d}:00-{r['hour'] + 1:02d}:00"), COUNTS + WAIT),
    "booked": ("Đặt lịch và không đặt lịch", lambda rep: rep["booked"],
               ("Nhóm", lambda r: r["name"]), COUNTS + WAIT + SERVICE + RATED),
    "bookings": ("Đặt lịch trực tuyến", lambda rep: rep["bookings"], ("Lĩnh vực", lambda r: r["name"]),
                 [("Tổng số lịch đặt", lambda r: r["made"]), ("Đã đến", lambda r: r["checked_in"]),
                  ("Không đến", lambda r: r["no_show"]), ("Đã huỷ", lambda r: r["cancelled"]),
                  ("Tỷ lệ đến (%)", lambda r: pct(r["checked_in_pct"])),
                  ("Tỷ lệ không đến (%)", lambda r: pct(r["no_show_pct"]))]),
    "ratings": ("Mức độ hài lòng", lambda rep: rep["ratings"]["answers"],
                ("Đánh giá", lambda r: r["label"]),
                [("Số lượt", lambda r: r["count"]), ("Tỷ lệ (%)", lambda r: pct(r["pct"]))]),
}


def table(report: dict, name: str) -> tuple[str, list[str], list[list]]:
    """(title, headers, rows) of one report table, in display units (minutes, percent)."""
    title, rows, first, columns = TABLES[name]
    headers = [first[0]] + [c[0] for c in columns]
    return title, headers, [[first[1](r)] + [c[1](r) for c in columns] for r in rows(report)]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value):
    """A name typed by staff (a counter, an officer) must stay text in a spreadsheet:
    one starting like a formula gets a leading apostrophe, which Excel and
    LibreOffice show as plain text instead of running it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(report: dict, name: str) -> bytes:
    """UTF-8 with a byte order mark, so Excel shows the Vietnamese headers correctly."""
    _title, headers, rows = table(report, name)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows([["" if v is None else as_text(v) for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: dict, names: list[str], center: str) -> bytes:
    """One sheet per table, headers in Vietnamese, numbers stored as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    period = report["from"] if report["from"] == report["to"] else f"{report['from']} đến {report['to']}"
    for name in names:
        title, headers, rows = table(report, name)
        sheet = book.create_sheet(title[:31])
        sheet.append([f"{center} · {title} · {period}"])
        sheet.append(headers)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([as_text(v) for v in row])
        for cells in sheet.iter_rows():  # text stays text: never a formula cell
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        sheet.column_dimensions["A"].width = 32
        sheet.freeze_panes = "B3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- On the page: Vietnamese number and date format ----------------------------------------------

def vn(value, places: int = 1) -> str:
    """A number as a Vietnamese reader expects it: decimal comma, a dash for none."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{places}f}".replace(".", ",")
    return str(value)


def vn_day(iso: str) -> str:
    """"2026-11-23" as 23/11/2026."""
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


# --- Charts: inline SVG, drawn here so the page needs no script or internet ----------------------

def _svg(width: int, height: int, body: list[str], label: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(label)}" class="chart">' + "".join(body) + "</svg>")


def _nice(top: float) -> float:
    """A round axis maximum at or above `top`."""
    if top <= 0:
        return 1
    step = 10 ** math.floor(math.log10(top))
    return next(m * step for m in (1, 2, 2.5, 5, 10) if m * step >= top)


def hours_chart(report: dict) -> str:
    """Tickets issued and served, by the hour they were issued in: grouped vertical bars."""
    rows = report["hours"]
    width, height, left, bottom, top = 720, 260, 44, 30, 28
    if not rows:
        return _svg(width, 60, ['<text x="10" y="35">Không có số nào trong khoảng này.</text>'], "Số theo giờ")
    peak = _nice(max(r["issued"] for r in rows))
    slot = (width - left - 10) / len(rows)
    scale = (height - bottom - top) / peak
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#8895a2"/>']
    for tick in (0, peak / 2, peak):
        y = height - bottom - tick * scale
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
                    f'{vn(tick) if tick % 1 else int(tick)}</text>')
    for i, r in enumerate(rows):
        x = left + i * slot
        for j, (key, color) in enumerate((("issued", "#0b5cad"), ("served", "#12733a"))):
            h = r[key] * scale
            body.append(f'<rect x="{x + 4 + j * (slot - 8) / 2:.1f}" y="{height - bottom - h:.1f}" '
                        f'width="{(slot - 8) / 2:.1f}" height="{h:.1f}" fill="{color}">'
                        f'<title>{r["hour"]:02d}h: {r[key]}</title></rect>')
        body.append(f'<text x="{x + slot / 2:.1f}" y="{height - 10}" text-anchor="middle" font-size="11">'
                    f'{r["hour"]:02d}h</text>')
    body.append(f'<rect x="{left}" y="6" width="12" height="12" fill="#0b5cad"/>'
                f'<text x="{left + 16}" y="16" font-size="12">Số phát</text>'
                f'<rect x="{left + 90}" y="6" width="12" height="12" fill="#12733a"/>'
                f'<text x="{left + 106}" y="16" font-size="12">Đã phục vụ</text>')
    return _svg(width, height, body, "Số phát và đã phục vụ theo giờ lấy số")


def wait_chart(report: dict) -> str:
    """Average and 90th-percentile wait per field, in minutes: horizontal bars."""
    rows = [r for r in report["fields"] if r["wait"]["count"]]
    width, row_h, left, top = 720, 34, 230, 28
    if not rows:
        return _svg(width, 60, ['<text x="10" y="35">Chưa có số nào được gọi.</text>'], "Thời gian chờ")
    height = top + row_h * len(rows) + 10
    peak = _nice(max(r["wait"]["p90"] for r in rows) / 60)
    scale = (width - left - 60) / peak
    body = [f'<rect x="{left}" y="6" width="12" height="12" fill="#0b5cad"/>'
            f'<text x="{left + 16}" y="16" font-size="12">Chờ trung bình</text>'
            f'<rect x="{left + 130}" y="6" width="12" height="12" fill="#a15c00"/>'
            f'<text x="{left + 146}" y="16" font-size="12">9 trong 10 người chờ không quá (phút)</text>']
    for i, r in enumerate(rows):
        y = top + i * row_h
        body.append(f'<text x="{left - 8}" y="{y + 20}" text-anchor="end" font-size="12">{escape(r["name"])}</text>')
        for j, (key, color) in enumerate((("avg", "#0b5cad"), ("p90", "#a15c00"))):
            value = r["wait"][key] / 60
            body.append(f'<rect x="{left}" y="{y + 4 + j * 13}" width="{value * scale:.1f}" height="12" '
                        f'fill="{color}"><title>{escape(r["name"])}: {vn(value)} phút</title></rect>'
                        f'<text x="{left + value * scale + 4:.1f}" y="{y + 14 + j * 13}" font-size="11">'
                        f'{vn(value)}</text>')
    return _svg(width, height, body, "Thời gian chờ theo lĩnh vực")
