"""Device reports (shared/devices.py): only trusted pages report, in small doses, and the
supervisor sees every device's state and the hall displays' alerts."""
import json
from shared import devices, health
from shared.events import socketio

from conftest import enrolled_client, opened


def report(page, data):
    return page.emit("report", data, callback=True)


def test_an_enrolled_display_reports_and_a_phone_cannot(app, config, clock):
    tv = enrolled_client(app, config, "display", "Sảnh tầng 1")
    assert tv.get("/display", follow_redirects=False).status_code == 200
    display = socketio.test_client(app, flask_test_client=tv, auth={"page": "display"})
    phone = socketio.test_client(app, auth={"page": "display"})            # no enrolment: not a display
    kiosk = socketio.test_client(app, flask_test_client=enrolled_client(app, config), auth={"page": "display"})
    assert report(phone, {"sound": "ok"}) == {"error": "forbidden"}
    assert report(kiosk, {"sound": "ok"}) == {"error": "forbidden"}           # a kiosk is not a display
    assert report(display, {"sound": "blocked", "nope": 1}) == {"error": "invalid_report"}
    assert report(display, {"screen": [1, 2, 3]}) == {"error": "invalid_report"}
    assert report(display, {"sound": "blocked", "version": health.version(), "lag_s": 45.0,
                            "screen": [1920, 1080]}) == {"ok": True}
    assert report(display, {"sound": "ok"}) == {"error": "too_fast"}          # 2 s between reports
    with opened(config) as db:
        rows = db.execute("SELECT kind, report FROM screens").fetchall()
        assert [(r["kind"], json.loads(r["report"])["sound"]) for r in rows] == [("display", "blocked")]
        states = devices.states(db, clock(), health.version(), 30, 10)
        tv_state = next(d for d in states if d["kind"] == "display")
        assert tv_state["online"] and tv_state["problems"] == ["sound_blocked", "lagging"]
        kinds = [a["kind"] for a in devices.alerts(states, clock(), True, 30, 30, 10)]
        assert kinds == ["display_sound", "display_lag"]
    display.disconnect()
    with opened(config) as db:
        states = devices.states(db, clock.tick(31), health.version(), 30, 10)
        tv_state = next(d for d in states if d["kind"] == "display")
        assert not tv_state["online"] and tv_state["problems"] == ["offline"]
        alerts = devices.alerts(states, clock(), True, 30, 30, 10)
        assert [a["kind"] for a in alerts] == ["display_offline"]
        assert devices.alerts(states, clock(), False, 30, 30, 10) == []     # outside working hours
    phone.disconnect()
    kiosk.disconnect()


def test_a_display_that_missed_a_call_is_named(app, config, clock, client, officer):
    tv = enrolled_client(app, config, "display", "Sảnh")
    tv.get("/display")
    display = socketio.test_client(app, flask_test_client=tv, auth={"page": "display"})
    client.post("/api/tickets", json={"service": "HT"})
    client.post("/api/counters/1/call-next", headers=officer, json={})
    clock.tick(15)
    assert report(display, {"sound": "ok"}) == {"ok": True}               # heard nothing of that call
    with opened(config) as db:
        states = devices.states(db, clock(), health.version(), 30, 10)
        assert next(d for d in states if d["kind"] == "display")["problems"] == ["missed"]
        latest = devices.latest_call(db, clock())
    clock.tick(3)
    assert report(display, {"sound": "ok", "last_call_at": latest["at"], "late_s": 0.2}) == {"ok": True}
    with opened(config) as db:
        states = devices.states(db, clock(), health.version(), 30, 10)
        assert next(d for d in states if d["kind"] == "display")["problems"] == []
    display.disconnect()


def test_a_thousand_reports_from_a_phone_leave_nothing(app, config, clock):
    phone = socketio.test_client(app, auth={"page": "display"})
    with opened(config) as db:
        before = db.execute("SELECT count(*), total(length(report)) FROM screens").fetchone()[:]
    answers = {json.dumps(report(phone, {"sound": "ok", "screen": [1, 1]})) for _ in range(1000)}
    assert answers == {'{"error": "forbidden"}'}
    with opened(config) as db:
        assert db.execute("SELECT count(*), total(length(report)) FROM screens").fetchone()[:] == before
    phone.disconnect()


def test_devices_view_lists_the_live_state(app, config, clock, supervisor, officer):
    tv = enrolled_client(app, config, "display", "Sảnh")
    tv.get("/display")
    display = socketio.test_client(app, flask_test_client=tv, auth={"page": "display"})
    view = app.test_client().get("/api/devices/live", headers=supervisor).get_json()
    assert [(d["kind"], d["name"], d["online"]) for d in view["devices"]] == [("display", "Sảnh", True)]
    assert app.test_client().get("/api/devices/live", headers=officer).status_code == 403
    display.disconnect()
    clock.tick(40)
    board = app.test_client().get("/api/dashboard", headers=supervisor).get_json()
    assert "display_offline" in [a["kind"] for a in board["alerts"]]
