"""Presence: a counter is served only while an officer's counter page is there (shared/presence.py)."""
from dataclasses import replace
from datetime import timedelta

from shared import auth, counters, dashboard, presence, queue
from shared.audit import stamp
from shared.events import socketio

from conftest import opened, staff

ACTOR = "officer:{}:Lan"


def officer(db, clock, name="Lan"):
    token = auth.create_token(db, "officer", name, clock())
    return token, auth.identify(db, token)["id"]


def join(db, clock, sid, counter, token_id, session="s1"):
    return presence.counter_page_joined(db, sid, counter, token_id, ACTOR.format(token_id), session, clock())


def test_present_while_connected_and_for_the_grace_after(db, clock):
    _, tid = officer(db, clock)
    assert presence.serving_counters(db, clock()) == {}
    assert join(db, clock, "a", 3, tid)
    started = presence.present(db, clock())[3]["since"]
    assert set(presence.serving_counters(db, clock.tick(60))) == {3}
    presence.screen_left(db, "a", clock(), 20)
    assert set(presence.serving_counters(db, clock.tick(19))) == {3}     # a reload or a blip: still there
    assert join(db, clock, "b", 3, tid)                                   # the page is back
    assert presence.present(db, clock())[3]["since"] == started           # the same presence goes on
    presence.screen_left(db, "b", clock(), 20)
    assert presence.serving_counters(db, clock.tick(21)) == {}            # gone past the grace
    assert presence.left_at(db, 3) == stamp(clock() - timedelta(seconds=1))
    assert not join(db, clock, "c", 99, tid)                              # no such counter


def test_logout_a_revoked_token_and_another_counter_end_it_at_once(db, clock):
    _, lan = officer(db, clock)
    _, binh = officer(db, clock, "Bình")
    join(db, clock, "lan", 1, lan, "lan-session")
    join(db, clock, "binh", 5, binh, "binh-session")
    assert presence.session_ended(db, "lan-session", clock.tick())
    assert set(presence.serving_counters(db, clock())) == {5}
    auth.revoke_token(db, binh, clock.tick())
    assert presence.serving_counters(db, clock()) == {}
    _, minh = officer(db, clock, "Minh")
    join(db, clock, "m1", 2, minh)
    presence.screen_left(db, "m1", clock.tick(), 20)
    join(db, clock, "m2", 4, minh)                                       # moved to Quầy 4
    assert set(presence.serving_counters(db, clock.tick())) == {4}


def test_a_closed_counter_is_not_served_and_a_killed_process_leaves_nobody(db, clock):
    _, tid = officer(db, clock)
    join(db, clock, "a", 1, tid)
    counters.update_counter(db, 1, {"open": False}, clock.tick())
    assert presence.serving_counters(db, clock()) == {} and set(presence.present(db, clock())) == {1}
    db.execute("UPDATE screens SET pid = 2147483646")                    # a process that is gone
    assert presence.present(db, clock()) == {}


def test_screens_and_the_estimate_leave_out_an_open_counter_nobody_is_at(app, client, config, clock, officer):
    """The kiosk's serving counters and "Sắp đến lượt", the phone page and the hall display."""
    ticket = client.post("/api/tickets", json={"service": "HT"}).get_json()
    status = client.get(f"/api/t/{ticket['token']}").get_json()
    assert [(c["name"], c["staffed"]) for c in status["counters"]] == [("Quầy 1", False), ("Quầy 2", False)]
    assert status["estimate"]["reason"] == "no_officer" and status["estimate"]["minutes"] is None
    ht = next(s for s in client.get("/api/kiosk/services").get_json() if s["code"] == "HT")
    assert ht["estimate"]["reason"] == "no_officer"
    assert not any(c["staffed"] for c in client.get("/api/state").get_json()["counters"])
    with opened(config) as database:
        staff(database, clock(), 2)
    status = client.get(f"/api/t/{ticket['token']}").get_json()
    assert [(c["name"], c["staffed"]) for c in status["counters"]] == [("Quầy 1", False), ("Quầy 2", True)]
    assert (status["estimate"]["minutes"], status["estimate"]["reason"]) == (0, None)  # Sắp đến lượt
    assert [c["id"] for c in client.get("/api/state").get_json()["counters"] if c["staffed"]] == [2]


def test_the_counter_page_connection_makes_its_officer_present(app, config, clock, officer):
    """Over Socket.IO, with the session of a login; logout ends it; a page without one is nobody."""
    app.config["MOTCUA"] = replace(config, health=replace(config.health, presence_grace_s=1))
    desk = app.test_client()
    assert desk.post("/api/login", json={"token": officer["Authorization"][7:]}).status_code == 200
    page = socketio.test_client(app, flask_test_client=desk, auth={"page": "counter", "counter": 3})
    stranger = socketio.test_client(app, auth={"page": "counter", "counter": 4})
    with opened(config) as database:
        assert set(presence.serving_counters(database, clock())) == {3}
        page.disconnect()
        assert set(presence.serving_counters(database, clock())) == {3}  # the grace
        clock.tick(2)
        assert presence.serving_counters(database, clock()) == {}
        page = socketio.test_client(app, flask_test_client=desk, auth={"page": "counter", "counter": 3})
        assert set(presence.serving_counters(database, clock())) == {3}
        desk.post("/api/logout", json={})
        assert presence.serving_counters(database, clock()) == {}
    page.disconnect()
    stranger.disconnect()


def test_alerts_no_officer_unstaffed_and_idle(db, clock):
    health = {"no_officer_alert_min": 2, "unstaffed_alert_min": 10, "idle_alert_min": 5}
    week = {0: [(7 * 60 + 30, 11 * 60 + 30)]}                             # Monday 07:30-11:30
    start = clock()
    queue.issue_ticket(db, "CT", False, start)

    def kinds(at):
        board = dashboard.build(db, at, None, 30, 15, None, health=health, week=week)
        return sorted((a["kind"], a.get("service") or a.get("counter")) for a in board["alerts"])

    at = start + timedelta(minutes=3)
    assert ("no_officer", "CT") in kinds(at) and not any(k == "unstaffed" for k, _ in kinds(at))
    at = start + timedelta(minutes=11)
    assert [c for k, c in kinds(at) if k == "unstaffed"] == [1, 2, 3, 4, 5, 6, 7]
    staff(db, at, 3)                                                      # Quầy 3 serves CT
    assert ("no_officer", "CT") not in kinds(at) and ("unstaffed", 3) not in kinds(at)
    assert ("idle", 3) not in kinds(at + timedelta(minutes=4))
    assert ("idle", 3) in kinds(at + timedelta(minutes=6))               # present, not calling, CT waits
    assert not any(k == "unstaffed" for k, _ in kinds(start.replace(hour=12)))  # lunch: none


def test_capacity_advice_counts_the_counters_that_actually_serve(db, clock):
    from datetime import date

    from shared import capacity
    staff(db, clock(), 3)
    advice = capacity.advise(db, date(2026, 11, 30), "Asia/Ho_Chi_Minh", 15, 4)
    ct = next(f for f in advice["fields"] if f["code"] == "CT")
    assert (advice["open_now"], advice["staffed_now"], ct["open_now"], ct["staffed_now"]) == (7, 1, 2, 1)
