"""Reports on a generated peak day, checked figure by figure against the simulation's own record.

The peak day (650 tickets, 7 counters raised to 14 at 07:25, a morning rush)
is made by driving the real domain functions with a hand-moved clock and
seeded randomness. The simulation writes down what it did (`truth`), and the
expected figures are computed from that record with the statistics module,
never from the database the report reads.
"""
import csv
import heapq
import io
import random
import statistics
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from conftest import TZ, Clock, demo_raw
from shared import hall, queue, ratings, report_charts, report_tables, reports
from shared.hours import parse_hours
from shared.auth import create_token
from shared.config import Queue, validate
from shared.counters import add_counter, update_counter
from shared.db import connect, init_database
from shared.errors import Conflict

DAY = date(2026, 11, 23)
WEIGHTS = {"HT": 22, "CT": 25, "DD": 10, "DKKD": 7, "LDXH": 8, "BHYT": 10, "CU": 10, "TKQ": 8}
SERVICE_MIN = {"HT": 9, "CT": 4, "DD": 14, "DKKD": 12, "LDXH": 8, "BHYT": 6, "CU": 7, "TKQ": 3}
EXTRA = [("Quầy 8", ["HT"]), ("Quầy 9", ["CT"]), ("Quầy 10", ["CT", "HT"]), ("Quầy 11", ["DD"]),
         ("Quầy 12", ["BHYT", "CU"]), ("Quầy 13", ["CU", "LDXH"]), ("Quầy 14", ["TKQ", "DKKD"])]
SESSIONS = [(7 * 3600 + 1800, 11 * 3600 + 1800), (13 * 3600 + 1800, 17 * 3600)]
EXTRA_CLOSE = 15 * 3600 + 1800
POLICY = Queue()


def at(seconds: int) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, tzinfo=TZ) + timedelta(seconds=seconds)


def arrival_times(rng, n=650) -> list[int]:
    """A morning rush: early birds from 06:00, a peak around 08:15, a second one mid-morning,
    a flatter afternoon."""
    times = []
    while len(times) < n:
        pick = rng.random()
        if pick < 0.06:
            t = rng.uniform(6 * 3600, 7.5 * 3600)
        elif pick < 0.52:
            t = rng.gauss(8.25 * 3600, 40 * 60)
        elif pick < 0.72:
            t = rng.gauss(9.75 * 3600, 45 * 60)
        else:
            t = rng.gauss(14.5 * 3600, 60 * 60)
        if 6 * 3600 <= t <= 16.75 * 3600 and not 11.5 * 3600 <= t < 13.25 * 3600:
            times.append(int(t))
    return sorted(times)


def officer_of(counter_id: int, seconds: int) -> str:
    """Who works where: some officers change counters, or hand over, at lunch."""
    afternoon = seconds >= 12 * 3600
    if afternoon and counter_id == 5:
        return "officer:21:Lê Thị Mai"
    if afternoon and counter_id == 12:
        return "officer:5:Cán bộ 5"  # officer 5 moves from counter 5 to counter 12
    if afternoon and counter_id == 3:
        return "officer:20:Phạm Văn Nam"
    return f"officer:{counter_id}:Cán bộ {counter_id}"


def generate_peak_day(path, seed=20261123):
    """Build the peak day in the database at `path`; return (config, truth, rating log)."""
    rng = random.Random(seed)
    config = validate(demo_raw(path))
    settings = config["reports"]
    db = connect(config["database"]["path"])
    db.execute("PRAGMA synchronous = OFF")  # a test database: speed over durability
    init_database(db, config)
    clock = Clock()
    clock.at = at(7 * 3600 + 25 * 60)
    for name, fields in EXTRA:
        add_counter(db, name, fields, clock(), actor="supervisor:99:Trần Văn Hùng")
    counters = {c["id"]: c["services"] for c in hall.counters(db)}
    assert len(counters) == 14

    truth, rating_log = {}, []
    serving = {cid: None for cid in counters}  # cid -> (ticket id, outcome, service seconds)
    last_finish = {}  # cid -> (ticket id, finished second)
    called_since = {}  # cid -> whether the counter called someone after its last finish
    busy = set()
    heap, order = [], [0]

    def push(seconds, kind, data):
        order[0] += 1
        heapq.heappush(heap, (seconds, order[0], kind, data))

    def in_session(s, cid=None):
        """The extra counters close at 15:30, when the rush is over."""
        if cid is not None and cid > 7 and s >= EXTRA_CLOSE:
            return False
        return any(a <= s < b for a, b in SESSIONS)

    def wake(field, s):
        for cid, fields in counters.items():
            if field in fields and cid not in busy and in_session(s, cid):
                busy.add(cid)
                push(s, "act", cid)

    for s in arrival_times(rng):
        push(s, "arrive", None)
    for start, _end in SESSIONS + [(EXTRA_CLOSE, None)]:
        push(start, "session", None)

    while heap:
        s, _, kind, data = heapq.heappop(heap)
        clock.at = at(s)
        if kind == "arrive":
            field = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
            priority = rng.random() < 0.08
            ticket = queue.issue_ticket(db, field, priority, clock())
            truth[ticket["id"]] = {"field": field, "priority": priority, "issued": s, "first_called": None,
                                   "called": None, "finished": None, "status": "waiting",
                                   "counter": None, "officer": None, "score": None}
            wake(field, s)
        elif kind == "session":  # idle counters start again, or close (a busy one closes when done)
            for cid in counters:
                if cid not in busy and (in_session(s, cid) or cid > 7 and s >= EXTRA_CLOSE):
                    busy.add(cid)
                    push(s, "act", cid)
        elif kind == "rate":
            cid, tid, score = data
            expected = (last_finish.get(cid, (None,))[0] == tid and s - last_finish[cid][1] < 120
                        and not called_since[cid])  # the next citizen at the desk ends it
            try:
                ratings.rate(db, cid, tid, score, clock(), settings)
                accepted = True
                truth[tid]["score"] = score
            except Conflict as exc:
                assert exc.code == "not_rateable"
                accepted = False
            assert accepted == expected, (cid, tid, s)
            rating_log.append((tid, score, accepted))
        elif kind == "act":
            cid, actor = data, officer_of(data, s)
            current = serving[cid]
            implicit = False
            if current is not None:
                tid, outcome, _ = current
                rec = truth[tid]
                serving[cid] = None
                if outcome == "transfer":
                    new_field = rng.choice([f for f in WEIGHTS if f != rec["field"]])
                    queue.transfer(db, cid, new_field, clock(), actor)
                    rec.update(field=new_field, status="waiting", counter=None, officer=None, called=None)
                    wake(new_field, s)
                elif outcome == "no_show":
                    queue.no_show(db, cid, clock(), actor)
                    rec.update(status="no_show", counter=cid, officer=actor, finished=s)
                else:
                    implicit = in_session(s, cid) and rng.random() < 0.5  # "call next" finishes it
                    roll = rng.random()
                    rates = roll < 0.72  # most citizens rate within seconds
                    implicit = implicit and not rates
                    if not implicit:
                        queue.finish(db, cid, clock(), actor)
                    rec.update(status="done", counter=cid, officer=actor, finished=s)
                    last_finish[cid], called_since[cid] = (tid, s), False
                    if rates:  # the counter holds its next call for the rating (docs/reports.md)
                        score = rng.choices([1, 2, 3], weights=[60, 33, 7])[0]
                        wait = min(rng.randint(2, 40), 12)  # within the counter's 15 s hold
                        push(s + wait, "rate", (cid, tid, score))
                        push(s + wait, "act", cid)
                        continue
                    if roll < 0.75:  # a late press, after the window
                        push(s + 200, "rate", (cid, tid, 1))
            if not in_session(s, cid):
                busy.discard(cid)
                if cid > 7 and s >= EXTRA_CLOSE:
                    update_counter(db, cid, {"open": False}, clock(), "supervisor:99:Trần Văn Hùng")
                    continue
                later = [a for a, _ in SESSIONS if a > s]
                if later:
                    busy.add(cid)
                    push(later[0], "act", cid)
                continue
            ticket, _moved = queue.call_next(db, cid, clock(), POLICY, actor=actor)
            if ticket is None:
                assert not implicit or _moved
                busy.discard(cid)
                continue
            called_since[cid] = True
            rec = truth[ticket["id"]]
            if rec["first_called"] is None:
                rec["first_called"] = s
            rec.update(status="called", called=s, counter=cid)
            roll = rng.random()
            outcome = "no_show" if roll < 0.05 else "transfer" if roll < 0.07 else "done"
            mean = SERVICE_MIN[rec["field"]] * 60
            seconds = 60 if outcome == "no_show" else max(30, int(rng.gauss(mean, mean * 0.4)))
            serving[cid] = (ticket["id"], outcome, seconds)
            push(s + seconds, "act", cid)

    # The next morning's first ticket closes the day: whoever still waits is cancelled.
    clock.at = at(24 * 3600 + 7 * 3600)
    queue.issue_ticket(db, "HT", False, clock())
    for rec in truth.values():
        if rec["status"] == "waiting":
            rec["status"] = "cancelled"
        assert rec["status"] in ("done", "no_show", "cancelled")
    db.conn.close()
    return config, truth, rating_log


@pytest.fixture(scope="module")
def peak(tmp_path_factory):
    return generate_peak_day(tmp_path_factory.mktemp("peak") / "motcua.db")


@pytest.fixture(scope="module")
def report(peak):
    config, _truth, _log = peak
    db = connect(config["database"]["path"])
    try:
        yield reports.build(db, DAY, DAY, "Asia/Ho_Chi_Minh", config["reports"]["rating_scale"])
    finally:
        db.conn.close()


# --- the independent calculation --------------------------------------------------------------

def p90(values):
    """statistics' "inclusive" quantiles are R type 7, the method docs/reports.md states."""
    return statistics.quantiles(values, n=10, method="inclusive")[8] if len(values) > 1 else values[0]


def expected(recs) -> dict:
    waits = [r["first_called"] - r["issued"] for r in recs if r["first_called"] is not None]
    services = [r["finished"] - r["called"] for r in recs if r["status"] == "done"]
    rated = [r for r in recs if r["score"] is not None]
    happy = sum(1 for r in rated if r["score"] <= 2)
    out = {
        "issued": len(recs),
        "served": sum(r["status"] == "done" for r in recs),
        "no_show": sum(r["status"] == "no_show" for r in recs),
        "cancelled": sum(r["status"] == "cancelled" for r in recs),
        "open": 0,
        "rated": len(rated), "satisfied": happy,
        "satisfied_pct": 100 * happy / len(rated) if rated else None,
    }
    for key, values in (("wait", waits), ("service", services)):
        out[key] = {"count": len(values),
                    "avg": statistics.fmean(values) if values else None,
                    "median": statistics.median(values) if values else None,
                    "p90": p90(values) if values else None}
    return out


def same(actual: dict, want: dict):
    """Counts exactly, averages and percentiles to floating-point precision."""
    for key, value in want.items():
        if isinstance(value, dict):
            same(actual[key], value)
        elif isinstance(value, float):
            assert actual[key] == pytest.approx(value, rel=1e-12), key
        else:
            assert actual[key] == value, key


def test_the_generated_day_is_a_realistic_peak(peak, report):
    _config, truth, log = peak
    assert len(truth) == 650
    hours = statistics.multimode([reports_hour(r) for r in truth.values()])
    assert set(hours) <= {7, 8, 9}, "the rush is in the morning"
    assert len(report["counters"]) == 14
    served = sum(r["status"] == "done" for r in truth.values())
    assert 500 < served < 650
    assert any(not accepted for _t, _s, accepted in log) and sum(a for _t, _s, a in log) > 300
    assert report["days"] == [DAY.isoformat()]


def reports_hour(rec) -> int:
    return at(rec["issued"]).hour


def test_summary_and_priority_figures(peak, report):
    truth = peak[1].values()
    same(report["summary"], expected(list(truth)))
    for row in report["priority"]:
        same(row, expected([r for r in truth if r["priority"] == row["priority"]]))
    assert report["summary"]["cancelled"] > 0 and report["summary"]["no_show"] > 0


def test_per_field_figures(peak, report):
    truth = peak[1].values()
    assert [f["code"] for f in report["fields"]] == list(WEIGHTS)
    for row in report["fields"]:
        same(row, expected([r for r in truth if r["field"] == row["code"]]))
    assert sum(f["issued"] for f in report["fields"]) == 650


def test_per_counter_and_per_officer_figures(peak, report):
    truth = peak[1].values()
    handled = [r for r in truth if r["status"] in ("done", "no_show")]
    for row in report["counters"]:
        same(row, expected([r for r in handled if r["counter"] == row["id"]]))
    assert sum(c["served"] for c in report["counters"]) == report["summary"]["served"]
    officers = {o["actor"]: o for o in report["officers"]}
    assert set(officers) == {r["officer"] for r in handled}
    for actor, row in officers.items():
        same(row, expected([r for r in handled if r["officer"] == actor]))
    assert officers["officer:5:Cán bộ 5"]["name"] == "Cán bộ 5"
    assert "officer:21:Lê Thị Mai" in officers  # the afternoon hand-over is credited to her


def test_per_hour_figures(peak, report):
    truth = peak[1].values()
    by_hour = {row["hour"]: row for row in report["hours"]}
    assert min(by_hour) == 6 and max(by_hour) == 16
    for hour, row in by_hour.items():
        same(row, expected([r for r in truth if reports_hour(r) == hour]))


def test_satisfaction_counts(peak, report):
    truth = peak[1].values()
    scores = [r["score"] for r in truth if r["score"] is not None]
    answers = {a["label"]: a for a in report["ratings"]["answers"]}
    assert list(answers) == ["Rất hài lòng", "Hài lòng", "Không hài lòng"]
    for score, label in enumerate(answers, 1):
        assert answers[label]["count"] == scores.count(score)
        assert answers[label]["pct"] == pytest.approx(100 * scores.count(score) / len(scores))
    served = sum(r["status"] == "done" for r in truth)
    assert report["ratings"]["rated_pct_of_served"] == pytest.approx(100 * len(scores) / served)
    assert report["ratings"]["satisfied_pct"] == pytest.approx(
        100 * sum(s <= 2 for s in scores) / len(scores))


def test_percentile_method():
    """R type 7 by hand: h = (n - 1) p, interpolate between the neighbours."""
    assert reports.percentile([], 0.9) is None
    assert reports.percentile([5], 0.9) == 5
    assert reports.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert reports.percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9) == pytest.approx(91)
    assert reports.percentile([3, 1, 2], 0.9) == pytest.approx(2.8)


# --- exports and the API ------------------------------------------------------------------------

def staff_client(config):
    """A test client the morning after the peak day, with supervisor and officer headers."""
    from shared.app import create_app

    app = create_app(config)
    clock = Clock()
    clock.at = at(24 * 3600 + 9 * 3600)
    app.config["CLOCK"] = clock
    db = connect(config["database"]["path"])
    token = create_token(db, "supervisor", "Trần Văn Hùng", clock())
    officer = create_token(db, "officer", "Cán bộ", clock())
    db.conn.close()
    return app.test_client(), {"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {officer}"}


@pytest.fixture(scope="module")
def peak_client(peak):
    return staff_client(peak[0])


def minutes_close(cell, seconds):
    """An exported minute figure (one decimal) against the exact value in seconds."""
    assert cell == pytest.approx(seconds / 60, abs=0.05 + 1e-9)


def test_xlsx_export_holds_the_same_numbers(peak, peak_client):
    client, supervisor, _ = peak_client
    response = client.get(f"/api/reports/all.xlsx?from={DAY}&to={DAY}", headers=supervisor)
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Tổng hợp", "Theo lĩnh vực", "Theo quầy", "Theo cán bộ", "Theo giờ lấy số",
                               "Đặt lịch và không đặt lịch", "Đặt lịch trực tuyến", "Độ chính xác thời gian chờ",
                               "Mức độ hài lòng"]
    truth = list(peak[1].values())

    sheet = book["Theo lĩnh vực"]
    headers = [c.value for c in sheet[2]]
    assert headers[:7] == ["Lĩnh vực", "Số phát", "Đã phục vụ", "Vắng mặt", "Hủy cuối ngày", "Chưa xong",
                           "Chờ trung bình (phút)"]
    rows = {row[0]: dict(zip(headers, row)) for row in sheet.iter_rows(min_row=3, values_only=True)}
    names = {"HT": "Hộ tịch", "CT": "Chứng thực", "DD": "Đất đai - Xây dựng"}
    for code, name in names.items():
        want = expected([r for r in truth if r["field"] == code])
        row = rows[name]
        assert (row["Số phát"], row["Đã phục vụ"], row["Vắng mặt"], row["Hủy cuối ngày"]) == (
            want["issued"], want["served"], want["no_show"], want["cancelled"])
        minutes_close(row["Chờ trung bình (phút)"], want["wait"]["avg"])
        minutes_close(row["Một nửa số người chờ không quá (phút)"], want["wait"]["median"])
        minutes_close(row["9 trong 10 người chờ không quá (phút)"], want["wait"]["p90"])
        minutes_close(row["9 trong 10 lượt phục vụ không quá (phút)"], want["service"]["p90"])
        assert row["Tỷ lệ hài lòng (%)"] == pytest.approx(want["satisfied_pct"], abs=0.05 + 1e-9)

    total = dict(zip([c.value for c in book["Tổng hợp"][2]], next(book["Tổng hợp"].iter_rows(min_row=3, values_only=True))))
    want = expected(truth)
    assert total["Nhóm"] == "Tất cả" and total["Số phát"] == 650 and total["Đã phục vụ"] == want["served"]
    minutes_close(total["Phục vụ trung bình (phút)"], want["service"]["avg"])

    hours = {row[0]: row[1] for row in book["Theo giờ lấy số"].iter_rows(min_row=3, values_only=True)}
    assert hours["08:00-09:00"] == sum(reports_hour(r) == 8 for r in truth)
    assert sum(hours.values()) == 650
    ratings_sheet = {row[0]: row[1] for row in book["Mức độ hài lòng"].iter_rows(min_row=3, values_only=True)}
    assert ratings_sheet["Không hài lòng"] == sum(r["score"] == 3 for r in truth)


def test_every_table_exports_as_csv_and_xlsx_like_the_json(peak_client):
    client, supervisor, _ = peak_client
    report = client.get(f"/api/reports?from={DAY}", headers=supervisor).get_json()
    for name in report_tables.TABLES:
        _title, headers, rows = report_tables.table(report, name)
        response = client.get(f"/api/reports/{name}.csv?from={DAY}&to={DAY}", headers=supervisor)
        assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
        parsed = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        assert parsed[0] == headers
        assert parsed[1:] == [["" if v is None else str(v) for v in row] for row in rows]
        book = load_workbook(io.BytesIO(client.get(f"/api/reports/{name}.xlsx?from={DAY}",
                                                   headers=supervisor).data))
        sheet = book.worksheets[0]
        assert [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)] == [headers] + rows


def test_report_api_rules(peak_client):
    client, supervisor, officer = peak_client
    assert client.get("/api/reports").status_code == 401
    assert client.get("/api/reports", headers=officer).status_code == 403
    assert client.get("/api/reports/fields.csv", headers=officer).status_code == 403
    bad = client.get("/api/reports?from=23-11-2026", headers=supervisor)
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_date"
    bad = client.get(f"/api/reports?from={DAY}&to=2026-11-01", headers=supervisor)
    assert bad.get_json()["error"] == "invalid_range"
    assert client.get("/api/reports/nope.csv", headers=supervisor).get_json()["error"] == "report_not_found"
    assert client.get("/api/reports/all.csv", headers=supervisor).status_code == 404
    # Today (the day after the peak) holds the one ticket that closed the peak day.
    today = client.get("/api/reports", headers=supervisor).get_json()
    assert today["from"] == "2026-11-24" and today["summary"]["issued"] == 1
    week = client.get("/api/reports?from=2026-11-17&to=2026-11-24", headers=supervisor).get_json()
    assert week["summary"]["issued"] == 651 and week["days"] == ["2026-11-23", "2026-11-24"]


def test_reports_page_shows_tables_and_charts(peak_client):
    client, supervisor, _ = peak_client
    assert 'id="login-form"' in client.get("/reports").text
    token = supervisor["Authorization"][7:]
    with client.session_transaction() as s:
        s.clear()
    client.post("/api/login", json={"token": token})
    page = client.get(f"/reports?from={DAY}&to={DAY}&plan=2026-11-30").text
    assert page.count("<svg") == 2 and "Theo cán bộ" in page and "Đề xuất số quầy" in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing from the internet
    assert f"/api/reports/fields.xlsx?from={DAY}&amp;to={DAY}" in page
    bad = client.get("/reports?from=2026-13-01&plan=x").text
    assert "Ngày phải có dạng ngày/tháng/năm, ví dụ 30/11/2026." in bad and 'id="summary"' in bad  # today's report, and why
    assert client.get("/reports?from=23/11/2026").text.count('value="23/11/2026"') == 4  # from and to, in both forms
    assert client.get("/reports/help").status_code == 200
    client.post("/api/logout", json={})
    assert 'id="login-form"' in client.get("/reports").text


def test_charts_are_plain_svg(report):
    hours, wait = report_charts.hours_chart(report), report_charts.wait_chart(report)
    assert hours.startswith("<svg") and hours.count("<rect") >= 2 * len(report["hours"])
    assert "Hộ tịch" in wait and "<script" not in hours + wait
    empty = {"hours": [], "fields": []}
    assert "Không có số" in report_charts.hours_chart(empty)


def test_names_that_look_like_formulas_stay_text_in_exports(app, client, supervisor, officer, db):
    """A counter named like a formula became a live formula in all.xlsx and raw text in the CSV."""
    trap = '=HYPERLINK("http://x.vn","Bấm")'
    counter = client.post("/api/counters", headers=supervisor, json={"name": trap, "services": ["HT"]}).get_json()
    for name in ("+1+1", "-2+3", "@SUM(A1)"):
        client.post("/api/counters", headers=supervisor, json={"name": name, "services": ["CT"]})
    client.post("/api/tickets", json={"service": "HT"})
    client.post(f"/api/counters/{counter['id']}/call-next", headers=officer, json={})
    client.post(f"/api/counters/{counter['id']}/finish", headers=officer, json={})
    day = db.execute("SELECT day FROM tickets").fetchone()[0]
    csv_text = client.get(f"/api/reports/counters.csv?from={day}", headers=supervisor).data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert ["'" + trap] == [r[0] for r in rows if "HYPERLINK" in r[0]]
    book = load_workbook(io.BytesIO(client.get(f"/api/reports/all.xlsx?from={day}", headers=supervisor).data))
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    trapped = [c for c in cells if "HYPERLINK" in c.value]
    assert trapped and all(c.data_type == "s" and c.value == "'" + trap for c in trapped)
    assert not any(c.data_type == "f" for c in cells)


def test_booked_and_walk_in_tickets_and_booking_rates(db, raw_config):
    """A booking checked in 10 minutes early waits from its slot's start; a walk-in from its issue."""
    from shared import booking

    raw_config["center"]["hours"] = {"mon-fri": ["07:30-11:30"]}
    raw_config["booking"] = {"enabled": True, "max_per_address_hour": 0}
    config = validate(raw_config)
    early = datetime(2026, 11, 23, 7, 0, tzinfo=TZ)

    def book(phone, slot, service="HT"):
        return booking.book(db, config, early, {"service": service, "day": "2026-11-23", "slot": slot,
                                                "name": "Đỗ Thị Giang", "phone": phone}, "10.0.0.1", "")

    came = book("0911000001", "08:00")
    book("0911000002", "08:00")                      # never comes: a no-show
    gone = book("0911000003", "08:30", "CT")
    booking.cancel_by_citizen(db, config, gone["token"], early)
    booking.check_in(db, config, early.replace(hour=7, minute=50), came["code"])
    walk_in = queue.issue_ticket(db, "HT", False, early.replace(hour=7, minute=55))
    policy = config["queue"]
    queue.call_next(db, 1, early.replace(hour=8, minute=5), policy)    # the walk-in: arrived first
    queue.call_next(db, 1, early.replace(hour=8, minute=9), policy)    # the booking: 9 min after its slot
    report = reports.build(db, date(2026, 11, 23), date(2026, 11, 23), "Asia/Ho_Chi_Minh")
    booked, walk_ins = report["booked"]
    assert (booked["issued"], walk_ins["issued"]) == (1, 1)
    assert booked["wait"]["avg"] == 9 * 60 and walk_ins["wait"]["avg"] == 10 * 60
    assert walk_in["booked"] is False
    assert report["bookings"] == [
        {"code": "HT", "name": "Hộ tịch", "made": 2, "checked_in": 1, "no_show": 1, "cancelled": 0,
         "checked_in_pct": 50.0, "no_show_pct": 50.0},
        {"code": "CT", "name": "Chứng thực", "made": 1, "checked_in": 0, "no_show": 0, "cancelled": 1,
         "checked_in_pct": None, "no_show_pct": None}]
    title, _headers, rows = report_tables.table(report, "bookings")
    assert title == "Đặt lịch trực tuyến" and rows[0][:5] == ["Hộ tịch", 2, 1, 1, 0]
    _title, _headers, rows = report_tables.table(report, "booked")
    assert [row[:2] for row in rows] == [["Đặt lịch trực tuyến", 1], ["Không đặt lịch", 1]]


def test_accuracy_counts_both_sides_and_the_warnings():
    rows = [{"promised_s": 600, "late": False, "wait_s": 700},      # kept
            {"promised_s": 600, "late": False, "wait_s": 1300},     # too short by 11.7 min
            {"promised_s": 3600, "late": False, "wait_s": 2400},    # too long, out of 15 min tolerance
            {"promised_s": None, "late": True, "wait_s": None},     # warned, not served: kept
            {"promised_s": None, "late": True, "wait_s": 5000},     # warned in vain
            {"promised_s": 600, "late": False, "wait_s": None}]     # never called, no warning
    a = reports.accuracy(rows)
    assert (a["kept_pct"], a["too_short_pct"], a["too_long_pct"]) == (33.3, 33.3, 16.7)
    assert (a["warned"], a["warned_served_pct"], a["not_served"], a["not_served_unwarned"]) == (2, 50.0, 2, 1)
    assert (a["after_closing"], a["after_closing_last_min"]) == (0, None)
    rows[0]["after_closing_s"], rows[1]["after_closing_s"] = 120, 750  # called after the counters' closing
    a = reports.accuracy(rows)
    assert (a["after_closing"], a["after_closing_last_min"]) == (2, 12.5)


def test_reports_show_per_day_and_field_how_well_the_kiosks_promises_were_kept(db, clock):
    from shared import estimate

    def issue(field, minutes, late=False):
        ticket = queue.issue_ticket(db, field, False, clock.tick())
        estimate.record(db, ticket["id"], "kiosk", {"minutes": minutes, "late": late, "reason": None}, clock.at)
        return ticket["id"]

    kept, short = issue("HT", 10), issue("HT", 10)
    issue("CT", None, late=True)      # warned, and indeed not served
    issue("CT", 5)                    # promised 5 min, never called
    start = clock.at
    queue.call_next(db, 1, start + timedelta(minutes=12), POLICY)       # kept: 12 for 10
    queue.call_next(db, 1, start + timedelta(minutes=30), POLICY)       # 30 for 10: too short
    estimate.record(db, short, "phone", {"minutes": 25, "late": False, "reason": None}, clock.at)  # not the kiosk's
    queue.start_day(db, clock.at + timedelta(days=1))                   # the CT tickets are cancelled
    report = reports.build(db, clock.at.date(), clock.at.date(), "Asia/Ho_Chi_Minh")
    rows = {r["code"]: r for r in report["accuracy"]}
    assert [(r["day"], r["name"]) for r in report["accuracy"]] == [
        (None, "Tất cả"), ("2026-11-23", "Hộ tịch"), ("2026-11-23", "Chứng thực")]
    assert (rows[None]["citizens"], rows[None]["kept_pct"], rows[None]["too_short_pct"]) == (4, 50.0, 50.0)
    assert (rows["HT"]["kept_pct"], rows["HT"]["too_short_pct"], rows["HT"]["error_median_min"]) == (50.0, 50.0, 11.0)
    assert (rows["CT"]["warned"], rows["CT"]["warned_served_pct"], rows["CT"]["not_served_unwarned"]) == (1, 0.0, 1)
    _title, headers, table_rows = report_tables.table(report, "accuracy")
    assert headers[:3] == ["Ngày · Lĩnh vực", "Số người", "Đúng hẹn (%)"] and table_rows[1][:3] == [
        "23/11/2026 · Hộ tịch", 2, 50.0]
    assert rows[None]["after_closing"] == 0     # no counter_hours given: no closing to count from
    end = (start + timedelta(minutes=20)).replace(second=0, microsecond=0)   # the short one was called at +30
    closing = parse_hours({"mon-fri": [f"07:00-{end:%H:%M}"]})
    after = round((start + timedelta(minutes=30) - end).total_seconds() / 60, 1)
    late = reports.build(db, clock.at.date(), clock.at.date(), "Asia/Ho_Chi_Minh", counter_hours=closing)["accuracy"]
    assert [(r["code"], r["after_closing"], r["after_closing_last_min"]) for r in late] == [
        (None, 1, after), ("HT", 1, after), ("CT", 0, None)]
    headers = report_tables.table(report, "accuracy")[1]
    assert headers[-2:] == ["Gọi sau giờ làm việc", "Lần gọi cuối sau giờ (phút)"]


def test_the_reports_page_counts_the_calls_after_the_counters_closing(raw_config):
    """/api/reports counts from center.counter_hours' closing: one citizen called at 17:05."""
    from conftest import _token, bearer, enrolled_client, opened, staff
    from shared.app import create_app
    from shared.config import validate

    raw_config["center"]["counter_hours"] = {"mon-fri": ["07:30-11:30", "13:30-17:00"]}
    config = validate(raw_config)
    app, clock = create_app(config), Clock()
    app.config["CLOCK"] = clock
    client, officer = enrolled_client(app, config), bearer(_token(config, "officer"))
    supervisor = bearer(_token(config, "supervisor"))
    clock.at = clock.at.replace(hour=16, minute=58)
    with opened(config) as db:
        staff(db, clock.at, 1)
    client.post("/api/tickets", json={"service": "HT", "priority": False})
    clock.at = clock.at.replace(hour=17, minute=5)
    assert client.post("/api/counters/1/call-next", headers=officer, json={}).get_json()["called"] is True
    day = clock.at.date().isoformat()
    total = client.get(f"/api/reports?from={day}&to={day}", headers=supervisor).get_json()["accuracy"][0]
    assert (total["after_closing"], total["after_closing_last_min"]) == (1, 5.0)


def test_heavy_reports_run_a_few_at_once(peak_client):
    """Issue 24, low 16: ten parallel 366-day XLSX exports took 63 s each and 2.9 GB.
    While REPORTS_AT_ONCE reports are being computed, another is refused at once
    (429 reports_busy, Retry-After) instead of piling up."""
    from supervisor import reports as report_views

    client, supervisor, _officer = peak_client
    for _ in range(report_views.REPORTS_AT_ONCE):  # as if two exports were running now
        assert report_views.RUNNING.acquire(blocking=False)
    try:
        for path in ("/api/reports", "/api/reports/all.xlsx", "/api/reports/capacity"):
            busy = client.get(path, headers=supervisor)
            assert busy.status_code == 429 and busy.get_json()["error"] == "reports_busy", path
            assert busy.headers["Retry-After"] == "10"
    finally:
        for _ in range(report_views.REPORTS_AT_ONCE):
            report_views.RUNNING.release()
    assert client.get("/api/reports/all.xlsx", headers=supervisor).status_code == 200
    assert client.get("/api/reports", headers=supervisor).status_code == 200  # the slots were given back
