"""Reports and capacity advice for supervisors: the /reports page, JSON, CSV and XLSX."""
import functools
import threading
from datetime import timedelta

from flask import Response, jsonify, render_template, request

from shared import blocking, capacity, report_charts, report_dates, report_tables, reports
from shared.errors import QueueError
from shared.web import config, error, get_db, now, slow_down

from . import bp

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Reports computed at once by this process: a year's XLSX takes a minute and a few hundred
# MB, so ten at once (a double-clicking supervisor, a script) would starve the server.
REPORTS_AT_ONCE = 2
RUNNING = threading.BoundedSemaphore(REPORTS_AT_ONCE)


def few_at_once(view):
    """Refuse a report while REPORTS_AT_ONCE others are being computed: 429 reports_busy."""
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not RUNNING.acquire(blocking=False):
            return slow_down("reports_busy", "Đang tính báo cáo khác. Xin thử lại sau ít giây.", 10)
        try:
            return view(*args, **kwargs)
        finally:
            RUNNING.release()
    return wrapped


def _report():
    """A year's report takes seconds: it runs off the event loop (shared/blocking.py)."""
    cfg = config()
    first, last = report_dates.parse_range(request.args.get("from"), request.args.get("to"), now().date())
    db = get_db()
    return blocking.run(lambda: reports.build(db, first, last, cfg.center.timezone,
                                              cfg.reports.rating_scale, cfg.center.counter_hours))


def _capacity():
    cfg = config()
    plan = request.args.get("day") or request.args.get("plan")
    day, _ = report_dates.parse_range(plan, None, now().date() + timedelta(days=1))
    target = request.args.get("target") or cfg.reports.wait_target_min
    try:
        target = float(target)
    except ValueError:
        target = 0
    if not 1 <= target <= 240:
        raise QueueError("Thời gian chờ mục tiêu phải từ 1 đến 240 phút.", "invalid_target")
    basis = None
    if request.args.get("basis_from"):
        basis = report_dates.parse_range(request.args.get("basis_from"), request.args.get("basis_to"), day)
    db = get_db()
    return blocking.run(lambda: capacity.advise(db, day, cfg.center.timezone, target,
                                                cfg.reports.capacity_weeks, basis))


@bp.get("/api/reports")
@few_at_once
def report_json():
    return jsonify(_report())


@bp.get("/api/reports/capacity")
@few_at_once
def capacity_json():
    return jsonify(_capacity())


@bp.get("/api/reports/<name>.<fmt>")
@few_at_once
def report_export(name, fmt):
    """One table as CSV or XLSX; `all.xlsx` is every table, one sheet each."""
    names = list(report_tables.TABLES) if name == "all" and fmt == "xlsx" else [name]
    if fmt not in ("csv", "xlsx") or any(n not in report_tables.TABLES for n in names):
        return error(404, "report_not_found", "Không có báo cáo này.")
    report = _report()
    filename = f"bao-cao-{name}-{report['from']}_{report['to']}.{fmt}"
    if fmt == "csv":
        body, mimetype = report_tables.to_csv(report, name), "text/csv; charset=utf-8"
    else:
        center = config().center.name
        body, mimetype = blocking.run(lambda: report_tables.to_xlsx(report, names, center)), XLSX
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/reports")
def reports_page():
    """Server-rendered, so tables and charts show without any script."""
    center = config().center
    problem = None
    try:
        report = _report()
    except QueueError as exc:
        problem = exc.message
        today = now().date()
        report = reports.build(get_db(), today, today, center.timezone, config().reports.rating_scale,
                               center.counter_hours)
    try:
        advice = _capacity()
    except QueueError as exc:
        problem, advice = exc.message, None
    tables = {name: report_tables.table(report, name) for name in report_tables.TABLES}
    return render_template(
        "reports.html", center=center, report=report, tables=tables, advice=advice,
        problem=problem, fmt=report_charts.vn, day=report_charts.vn_day, adds_up=report_tables.ADDS_UP,
        hours_chart=report_charts.hours_chart(report), wait_chart=report_charts.wait_chart(report),
        target=request.args.get("target") or config().reports.wait_target_min,
    )


@bp.get("/reports/help")
def reports_help():
    """What each figure means, in plain words (for supervisors, like every page here)."""
    return render_template("reports_help.html", center=config().center,
                           weeks=config().reports.capacity_weeks)
