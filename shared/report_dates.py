"""The days a report covers, as a request gives them (?from=&to=, dd/mm/yyyy or ISO):
read and checked here, so a bad date is a clear 400, not a 500."""
from datetime import date

from .errors import QueueError


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
