"""A report as tables: the same rows for the page, the CSV and the XLSX exports."""
import csv
import io

from .report_charts import vn_day


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


SERVICE_TIME = _times("service", ("Phục vụ trung bình (phút)", "Một nửa số lượt phục vụ không quá (phút)",
                             "9 trong 10 lượt phục vụ không quá (phút)"))


RATED = [("Lượt đánh giá", lambda r: r["rated"]), ("Hài lòng", lambda r: r["satisfied"]),
         ("Tỷ lệ hài lòng (%)", lambda r: pct(r["satisfied_pct"]))]


ADDS_UP = {title for title, _ in COUNTS + HANDLED + RATED[:2]}


TABLES = {
    "summary": ("Tổng hợp", lambda rep: [{"name": "Tất cả", **rep["summary"]}] + rep["priority"],
                ("Nhóm", lambda r: r["name"]), COUNTS + WAIT + SERVICE_TIME + RATED),
    "fields": ("Theo lĩnh vực", lambda rep: rep["fields"],
               ("Lĩnh vực", lambda r: r["name"]), COUNTS + WAIT + SERVICE_TIME + RATED),
    "counters": ("Theo quầy", lambda rep: rep["counters"],
                 ("Quầy", lambda r: r["name"]), HANDLED + SERVICE_TIME + RATED),
    "officers": ("Theo cán bộ", lambda rep: rep["officers"],
                 ("Cán bộ", lambda r: r["name"]), HANDLED + SERVICE_TIME + RATED),
    "hours": ("Theo giờ lấy số", lambda rep: rep["hours"],
              ("Giờ", lambda r: f"{r['hour']:02d}:00-{r['hour'] + 1:02d}:00"), COUNTS + WAIT),
    "booked": ("Đặt lịch và không đặt lịch", lambda rep: rep["booked"],
               ("Nhóm", lambda r: r["name"]), COUNTS + WAIT + SERVICE_TIME + RATED),
    "bookings": ("Đặt lịch trực tuyến", lambda rep: rep["bookings"], ("Lĩnh vực", lambda r: r["name"]),
                 [("Tổng số lịch đặt", lambda r: r["made"]), ("Đã đến", lambda r: r["checked_in"]),
                  ("Không đến", lambda r: r["no_show"]), ("Đã huỷ", lambda r: r["cancelled"]),
                  ("Tỷ lệ đến (%)", lambda r: pct(r["checked_in_pct"])),
                  ("Tỷ lệ không đến (%)", lambda r: pct(r["no_show_pct"]))]),
    "accuracy": ("Độ chính xác thời gian chờ", lambda rep: rep["accuracy"],
                 ("Ngày · Lĩnh vực", lambda r: r["name"] if r["day"] is None else f"{vn_day(r['day'])} · {r['name']}"),
                 [("Số người", lambda r: r["citizens"]),
                  ("Đúng hẹn (%)", lambda r: r["kept_pct"]),
                  ("Hẹn ngắn hơn thực tế quá 5 phút (%)", lambda r: r["too_short_pct"]),
                  ("Hẹn dài hơn thực tế quá 5 phút (%)", lambda r: r["too_long_pct"]),
                  ("Không có số phút (%)", lambda r: r["no_figure_pct"]),
                  ("Sai lệch trung vị (phút)", lambda r: r["error_median_min"]),
                  ("9 trong 10 sai lệch không quá (phút)", lambda r: r["error_p90_min"]),
                  ("Đã báo có thể không kịp", lambda r: r["warned"]),
                  ("Đã báo nhưng vẫn được phục vụ (%)", lambda r: r["warned_served_pct"]),
                  ("Không được phục vụ, không được báo", lambda r: r["not_served_unwarned"]),
                  ("Gọi sau giờ làm việc", lambda r: r["after_closing"]),
                  ("Lần gọi cuối sau giờ (phút)", lambda r: r["after_closing_last_min"])]),
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
