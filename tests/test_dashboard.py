"""The supervisor dashboard: every figure against the test's own record of what happened.

The domain tests drive the real queue functions on a bare database with the
hand-moved clock and keep their own account (`Truth`) of each ticket and
counter; the expected figures are computed from that account, never from the
database the dashboard reads.
"""
import dataclasses
import random
from datetime import datetime, timedelta

import pytest
from conftest import TZ

from shared import audit, counters, dashboard, hall, notify, printer_registry, queue
from shared.config import ConfigError, Queue, validate
from shared.hours import parse_hours
from shared.errors import Conflict, NotFound, QueueError
from shared.web import get_db

POLICY = Queue()
OFFICERS = ["officer:3:Nguyễn Thị Lan", "officer:4:Lê Văn Bình", "supervisor:9:Trần Văn Hùng"]


class Truth:
    """What the test did, ticket by ticket and counter by counter."""

    def __init__(self, db):
        self.db = db
        self.tickets = {}
        self.counters = {c["id"]: {"services": c["services"], "open": c["open"], "paused": False,
                                   "current": None, "actor": None, "paused_at": None}
                         for c in hall.counters(db)}

    def issue(self, service, at):
        t = queue.issue_ticket(self.db, service, False, at)
        self.tickets[t["id"]] = {"service": service, "issued_service": service, "issued_at": at,
                                 "arrived_at": at, "status": "waiting", "counter": None,
                                 "first_call": None, "called_at": None}

    def call_next(self, cid, at, actor):
        c = self.counters[cid]
        ticket, _ = queue.call_next(self.db, cid, at, POLICY, actor=actor)
        if c["current"] is not None:
            self.tickets[c["current"]]["status"] = "done"
            c["current"] = None
        if ticket is not None:
            t = self.tickets[ticket["id"]]
            t.update(status="called", counter=cid, called_at=at)
            t["first_call"] = t["first_call"] or at
            c["current"], c["actor"] = ticket["id"], actor

    def end(self, cid, at, status):
        c = self.counters[cid]
        (queue.finish if status == "done" else queue.no_show)(self.db, cid, at, actor="officer:1:x")
        self.tickets[c["current"]]["status"] = status
        c["current"] = None

    def transfer(self, cid, service, at):
        c = self.counters[cid]
        queue.transfer(self.db, cid, service, at, actor="officer:1:x")
        self.tickets[c["current"]].update(status="waiting", service=service, counter=None, called_at=None)
        c["current"] = None

    def pause(self, cid, paused, at):
        queue.set_paused(self.db, cid, paused, at, actor="officer:1:x")
        self.counters[cid].update(paused=paused, paused_at=at if paused else None)


def simulate(db, clock, seed, steps=400):
    rng = random.Random(seed)
    truth = Truth(db)
    codes = [s["code"] for s in hall.services(db, clock())]
    for _ in range(steps):
        at = clock.tick(rng.randint(5, 90) + rng.random())
        roll = rng.random()
        cid = rng.choice(list(truth.counters))
        c = truth.counters[cid]
        if roll < 0.45:
            truth.issue(rng.choice(codes), at)
        elif roll < 0.75 and not c["paused"]:
            truth.call_next(cid, at, rng.choice(OFFICERS))
        elif roll < 0.85 and c["current"] is not None:
            truth.end(cid, at, "done" if rng.random() < 0.8 else "no_show")
        elif roll < 0.88 and c["current"] is not None:
            truth.transfer(cid, rng.choice(codes), at)
        elif roll < 0.95:
            truth.pause(cid, not c["paused"], at)
    return truth


def expected_fields(truth, at):
    result = {}
    for code in {t["service"] for t in truth.tickets.values()} | {t["issued_service"] for t in truth.tickets.values()}:
        waiting = [t for t in truth.tickets.values() if t["status"] == "waiting" and t["service"] == code]
        recent = [(t["first_call"] - t["issued_at"]).total_seconds() for t in truth.tickets.values()
                  if t["issued_service"] == code and t["first_call"] and at - timedelta(hours=1) < t["first_call"] <= at]
        result[code] = {
            "waiting": len(waiting),
            "longest_wait_s": (at - min(t["arrived_at"] for t in waiting)).total_seconds() if waiting else None,
            "called_last_hour": len(recent),
            "avg_wait_last_hour_s": sum(recent) / len(recent) if recent else None,
            "served": sum(t["status"] == "done" and t["service"] == code for t in truth.tickets.values()),
        }
    return result


def close(a, b):
    return a == b if a is None or b is None else abs(a - b) < 0.002


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_figure_matches_the_record(db, clock, seed):
    truth = simulate(db, clock, seed)
    at = clock.tick(37)
    expected = expected_fields(truth, at)
    longest = sorted(e["longest_wait_s"] for e in expected.values() if e["longest_wait_s"])
    wait_min = int(longest[len(longest) // 2] // 60)  # a threshold some fields are over and some not
    board = dashboard.build(db, at, {"kind": "none", "ok": True, "error": None, "at": None}, wait_min, 15)
    assert sum(f["waiting"] for f in board["fields"]) > 0 and sum(f["served"] for f in board["fields"]) > 10
    assert any(f["called_last_hour"] for f in board["fields"])
    for f in board["fields"]:
        want = expected.get(f["code"], {"waiting": 0, "longest_wait_s": None, "called_last_hour": 0,
                                        "avg_wait_last_hour_s": None, "served": 0})
        for key, value in want.items():
            assert close(f[key], value), (f["code"], key, f[key], value)
    for c in board["counters"]:
        t = truth.counters[c["id"]]
        assert c["status"] == ("paused" if t["paused"] else "open")
        assert c["actor"] == t["actor"]
        assert c["officer"] == (t["actor"].split(":", 2)[2] if t["actor"] else None)
        assert c["served"] == sum(x["status"] == "done" and x["counter"] == c["id"] for x in truth.tickets.values())
        if t["current"] is None:
            assert c["current"] is None
        else:
            assert c["current"]["id"] == t["current"]
            assert close(c["current"]["for_s"], (at - truth.tickets[t["current"]]["called_at"]).total_seconds())
        assert close(c["paused_s"], (at - t["paused_at"]).total_seconds() if t["paused"] else None)
        want_alert = t["paused"] and (at - t["paused_at"]).total_seconds() > 15 * 60
        assert any(a["kind"] == "paused" and a["counter"] == c["id"] for a in board["alerts"]) == want_alert
    long_waits = {code for code, e in expected.items() if e["longest_wait_s"] and e["longest_wait_s"] > wait_min * 60}
    assert 0 < len(long_waits) < len(longest)
    assert {a["service"] for a in board["alerts"] if a["kind"] == "wait"} == long_waits


def test_a_small_morning_by_hand(db, clock):
    """The same figures on a day small enough to check by reading it."""
    t0 = clock()
    queue.issue_ticket(db, "HT", False, t0)                                   # 1001 at 07:30
    queue.issue_ticket(db, "HT", False, clock.tick(60))                       # 1002 at 07:31
    queue.issue_ticket(db, "HT", False, clock.tick(60))                       # 1003 at 07:32
    queue.call_next(db, 1, clock.tick(600), POLICY, actor=OFFICERS[0])        # 1001 called 07:42, waited 12 min
    queue.call_next(db, 2, clock.tick(60), POLICY, actor=OFFICERS[1])         # 1002 called 07:43, waited 12 min
    queue.transfer(db, 2, "CT", clock.tick(60), actor=OFFICERS[1])            # 1002 -> CT, arrival 07:31 kept
    queue.finish(db, 1, clock.tick(120), actor=OFFICERS[0])                   # 1001 done 07:46
    at = clock.at = t0 + timedelta(minutes=40)                                # 08:10
    board = dashboard.build(db, at, None, 30, 15)
    ht, ct = board["fields"][0], board["fields"][1]
    assert (ht["waiting"], ht["longest_wait_s"], ht["served"]) == (1, 38 * 60, 1)
    assert (ht["called_last_hour"], ht["avg_wait_last_hour_s"]) == (2, 12 * 60)  # counted where issued
    assert (ct["waiting"], ct["longest_wait_s"], ct["avg_wait_last_hour_s"]) == (1, 39 * 60, None)
    q1, q2 = board["counters"][0], board["counters"][1]
    assert (q1["officer"], q1["current"], q1["served"]) == ("Nguyễn Thị Lan", None, 1)
    assert (q2["officer"], q2["current"]) == ("Lê Văn Bình", None)
    assert [a["service"] for a in board["alerts"]] == ["HT", "CT"] and "38 phút" in board["alerts"][0]["message"]
    assert dashboard.build(db, at, None, 39, 15)["alerts"] == []               # 39 min is not over 39
    # An hour after the calls, they no longer count as "the last hour".
    later = dashboard.build(db, t0 + timedelta(minutes=103), None, 240, 15)["fields"][0]
    assert (later["called_last_hour"], later["avg_wait_last_hour_s"]) == (0, None)


def test_yesterday_does_not_count_today(db, clock):
    yesterday = clock() - timedelta(days=1)
    queue.issue_ticket(db, "HT", False, yesterday)
    queue.call_next(db, 1, yesterday + timedelta(minutes=5), POLICY, actor=OFFICERS[0])
    queue.issue_ticket(db, "HT", False, yesterday + timedelta(minutes=6))      # left waiting overnight
    queue.set_paused(db, 3, True, yesterday + timedelta(minutes=7))           # left paused overnight
    board = dashboard.build(db, clock(), None, 30, 15)
    assert board["fields"][0]["waiting"] == 0 and board["fields"][0]["served"] == 0
    assert board["fields"][0]["longest_wait_s"] is None
    assert board["counters"][0]["officer"] is None and board["counters"][0]["current"] is None
    assert board["counters"][2]["paused_s"] == (24 * 60 - 7) * 60                # still paused: it shows
    assert [a["kind"] for a in board["alerts"]] == ["paused"]


def test_alerts_for_the_printer_and_a_long_pause(db, clock):
    start = clock()
    queue.set_paused(db, 4, True, start, actor=OFFICERS[0])
    printer = {"kind": "network", "ok": False, "error": "không kết nối được", "at": "…"}
    board = dashboard.build(db, start + timedelta(minutes=15), printer, 30, 15)
    assert [a["kind"] for a in board["alerts"]] == ["printer"] and "không kết nối được" in board["alerts"][0]["message"]
    board = dashboard.build(db, start + timedelta(minutes=15, seconds=1), dict(printer, ok=True), 30, 15)
    assert [(a["kind"], a["counter"]) for a in board["alerts"]] == [("paused", 4)]
    assert board["counters"][3]["paused_since"] == audit.stamp(start)
    # Closing the counter ends its pause alert; Đất đai, which only it served, is now unserved.
    counters.update_counter(db, 4, {"open": False}, start + timedelta(minutes=16))
    board = dashboard.build(db, start + timedelta(minutes=40), None, 30, 15)
    assert [(a["kind"], a["service"]) for a in board["alerts"]] == [("unserved", "DD")]
    assert board["counters"][3]["status"] == "closed"


def test_alert_for_notices_the_gateway_refused(db, clock, raw_config):
    raw_config["notify"] = {"kind": "webhook", "url": "http://127.0.0.1:9/sms", "max_attempts": 1}
    config = validate(raw_config)
    assert dashboard.build(db, clock(), None, 30, 15, notify.summary(db))["alerts"] == []
    with db.conn:
        notify.enqueue(db, config.notify, clock(), "booked", None, "0912345678", "Mã ABC234")
    notify.send_due(db, config, clock())  # nothing listens on port 9: failed for good after one attempt
    board = dashboard.build(db, clock(), None, 30, 15, notify.summary(db))
    assert [(a["kind"], a["failed"]) for a in board["alerts"]] == [("notices", 1)]
    assert board["notices"]["failed"] == 1 and "Connection refused" in board["alerts"][0]["message"]


def test_alert_for_a_field_no_open_counter_serves(db, clock):
    """Numbers nobody would call: the field is open, or citizens still wait in it."""
    assert dashboard.build(db, clock(), None, 30, 15)["alerts"] == []
    queue.issue_ticket(db, "DKKD", False, clock())
    queue.set_paused(db, 5, True, clock.tick())          # a pause is not a closed counter
    assert dashboard.build(db, clock.tick(), None, 30, 15)["alerts"] == []
    counters.update_counter(db, 5, {"open": False}, clock.tick())
    [alert] = dashboard.build(db, clock.tick(), None, 30, 15)["alerts"]
    assert (alert["kind"], alert["service"], alert["waiting"]) == ("unserved", "DKKD", 1)
    assert "Đăng ký kinh doanh" in alert["message"] and "1 công dân đang chờ" in alert["message"]
    counters.update_counter(db, 7, {"services": ["TKQ", "CT", "DKKD"]}, clock.tick())  # another counter takes it
    assert dashboard.build(db, clock.tick(), None, 30, 15)["alerts"] == []
    counters.update_counter(db, 7, {"services": ["TKQ", "CT"]}, clock.tick())
    dashboard.set_service_open(db, "DKKD", {"open": False}, clock.tick())
    [alert] = dashboard.build(db, clock.tick(), None, 30, 15)["alerts"]   # closed, but one still waits
    assert alert["kind"] == "unserved" and alert["waiting"] == 1
    queue.call_ticket(db, 3, hall.tickets_today(db, clock(), "waiting")[0]["id"], clock.tick())
    assert dashboard.build(db, clock.tick(), None, 30, 15)["alerts"] == []  # closed and empty: nothing to do


def test_closing_a_field_stops_new_tickets_but_keeps_the_queue(db, clock):
    queue.issue_ticket(db, "DD", False, clock())
    row = dashboard.set_service_open(db, "DD", {"open": False}, clock.tick(), actor="supervisor:9:Hùng")
    assert row["open"] is False and row["waiting"] == 1
    with pytest.raises(Conflict) as refused:
        queue.issue_ticket(db, "DD", False, clock.tick())
    assert refused.value.code == "service_closed"
    ticket, _ = queue.call_next(db, 4, clock.tick(), POLICY)
    assert ticket["service"] == "DD"                     # those who came in time are still served
    dashboard.set_service_open(db, "DD", {"open": False}, clock.tick())  # no change: no second event
    assert dashboard.set_service_open(db, "DD", {"open": True}, clock.tick())["open"] is True
    queue.issue_ticket(db, "DD", False, clock.tick())
    kinds = [(r["kind"], r["service"], r["actor"]) for r in db.execute(
        "SELECT kind, service, actor FROM audit WHERE kind LIKE 'service_%' ORDER BY id")]
    assert kinds == [("service_closed", "DD", "supervisor:9:Hùng"), ("service_opened", "DD", None)]


@pytest.mark.parametrize("changes", [{}, {"open": 1}, {"open": "false"}, {"open": True, "name": "x"}, [True]])
def test_field_changes_are_checked(db, clock, changes):
    with pytest.raises(QueueError) as refused:
        dashboard.set_service_open(db, "HT", changes, clock())
    assert refused.value.code == "invalid_change"
    with pytest.raises(NotFound) as missing:
        dashboard.set_service_open(db, "NOPE", {"open": False}, clock())
    assert missing.value.code == "service_not_found"


def test_alert_thresholds_come_from_config(raw_config):
    config = validate(raw_config)["reports"]
    assert (config["wait_alert_min"], config["pause_alert_min"]) == (30, 15)
    raw_config["reports"] = {"wait_alert_min": 20, "pause_alert_min": 5}
    assert validate(raw_config)["reports"]["wait_alert_min"] == 20
    for key, value in (("wait_alert_min", 0), ("pause_alert_min", "10"), ("pause_alert_min", True)):
        raw_config["reports"] = {key: value}
        with pytest.raises(ConfigError, match=rf"^reports\.{key}:"):
            validate(raw_config)


# The HTTP side: auth, bad input, unknown field, and what the kiosk sees.

def test_dashboard_needs_a_supervisor(client, officer, supervisor):
    assert client.get("/api/dashboard").status_code == 401
    assert client.get("/api/dashboard").get_json()["error"] == "unauthorized"
    assert client.get("/api/dashboard", headers=officer).get_json()["error"] == "forbidden"
    for headers in ({}, officer):
        response = client.patch("/api/services/HT", json={"open": False}, headers=headers)
        assert response.status_code == (403 if headers else 401)
    assert client.post("/api/tickets", json={"service": "HT"}).status_code == 201  # still open


def test_dashboard_over_http(app, client, clock, officer, supervisor):
    client.post("/api/tickets", json={"service": "HT"})
    clock.tick(300)
    client.post("/api/tickets", json={"service": "HT"})
    clock.tick(120)
    client.post("/api/counters/1/call-next", headers=officer, json={})
    clock.tick(90)
    with app.app_context():
        printer_registry.record_health(get_db(), "none", False, "hết giấy", "2026-11-23T07:40:00+07:00")
    board = client.get("/api/dashboard", headers=supervisor).get_json()
    ht = board["fields"][0]
    assert (ht["waiting"], ht["longest_wait_s"], ht["avg_wait_last_hour_s"]) == (1, 210, 420)
    q1 = board["counters"][0]
    assert (q1["status"], q1["officer"], q1["current"]["number"], q1["current"]["for_s"]) == (
        "open", "test officer", "1001", 90)
    # Nobody's counter page is open: Hộ tịch's citizen waits with no officer, every counter is unstaffed.
    assert [a["kind"] for a in board["alerts"]] == ["printer", "no_officer"] + ["unstaffed"] * 6  # Quầy 1 just called
    assert board["thresholds"] == {"wait_alert_min": 30, "pause_alert_min": 15, "presence_grace_s": 20,
                                   "no_officer_alert_min": 2, "unstaffed_alert_min": 10, "idle_alert_min": 5,
                                   "display_offline_s": 30, "late_call_s": 10, "beat_s": 15}


def test_closing_a_field_over_http(client, supervisor, db):
    response = client.patch("/api/services/HT", json={"open": False}, headers=supervisor)
    assert response.status_code == 200 and response.get_json()["open"] is False
    refused = client.post("/api/tickets", json={"service": "HT"})
    assert refused.status_code == 409 and refused.get_json()["error"] == "service_closed"
    assert next(s for s in client.get("/api/state").get_json()["services"] if s["code"] == "HT")["open"] is False
    actor = db.execute("SELECT actor FROM audit WHERE kind = 'service_closed'").fetchone()[0]
    assert actor.startswith("supervisor:") and actor.endswith(":test supervisor")
    assert client.patch("/api/services/HT", json={"open": True}, headers=supervisor).get_json()["open"] is True
    assert client.post("/api/tickets", json={"service": "HT"}).status_code == 201


@pytest.mark.parametrize("body, code", [
    ({"open": "no"}, "invalid_change"), ({}, "invalid_change"), ({"open": False, "x": 1}, "invalid_change"),
    (None, "invalid_json"), ([False], "invalid_json"),
])
def test_bad_field_changes_get_400(client, supervisor, body, code):
    kwargs = {"data": "{not json", "content_type": "application/json"} if body is None else {"json": body}
    response = client.patch("/api/services/HT", headers=supervisor, **kwargs)
    assert response.status_code == 400
    data = response.get_json()
    assert data["error"] == code and data["message"] and data["message"].isascii() is False


def test_unknown_field_gets_404(client, supervisor):
    response = client.patch("/api/services/NOPE", json={"open": False}, headers=supervisor)
    assert response.status_code == 404 and response.get_json()["error"] == "service_not_found"


def test_closing_a_field_pushes_state(app, supervisor):
    from shared.events import socketio

    live = socketio.test_client(app)
    live.get_received()
    client = app.test_client()
    client.patch("/api/services/CU", json={"open": False}, headers=supervisor)
    deadline = datetime.now(TZ) + timedelta(seconds=3)
    states = []
    while not states and datetime.now(TZ) < deadline:
        socketio.sleep(0.02)
        states = [m["args"][0] for m in live.get_received() if m["name"] == "state"]
    assert states and next(s for s in states[-1]["services"] if s["code"] == "CU")["open"] is False
    live.disconnect()


def test_a_field_its_counters_cannot_serve_before_closing_is_flagged_before_the_kiosk_warns(
        app, client, clock, supervisor, staffed):
    hours = parse_hours({"mon-fri": ["07:30-11:30", "13:30-17:00"]})
    motcua = app.config["MOTCUA"]
    app.config["MOTCUA"] = dataclasses.replace(motcua, center=dataclasses.replace(motcua.center, counter_hours=hours))
    clock.at = clock.at.replace(hour=16, minute=0)

    def crowded():
        return [(a["service"], a["unreached"]) for a in client.get("/api/dashboard", headers=supervisor)
                .get_json()["alerts"] if a["kind"] == "crowded"]

    def dd_late():
        return {s["code"]: s for s in client.get("/api/kiosk/services").get_json()}["DD"]["estimate"]["late"]

    assert crowded() == [] and dd_late() is False
    for _ in range(4):  # Đất đai: Quầy 4 alone, 8 min a file (nothing known yet): the next one at 16:32
        client.post("/api/tickets", json={"service": "DD"})
    assert crowded() == [("DD", 0)] and dd_late() is False   # the supervisor hears first
    for _ in range(5):  # nine: the ninth would be called at 17:04, after closing
        client.post("/api/tickets", json={"service": "DD"})
    assert crowded() == [("DD", 1)] and dd_late() is False   # the tenth, at 17:12, is still promised
    for _ in range(2):  # eleven: the twelfth would be called at 17:28, past closing + 25 min
        client.post("/api/tickets", json={"service": "DD"})
    assert crowded() == [("DD", 3)] and dd_late() is True
