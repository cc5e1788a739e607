"""Satisfaction ratings: one per finished ticket, only just after it was finished at that counter."""
import json

import pytest

from shared import queue, ratings
from shared.config import ConfigError, Queue, validate
from shared.errors import Conflict, NotFound, QueueError

from conftest import enrolled_client

ACTOR = "officer:1:Nguyễn Thị Lan"


def serve(db, clock, counter_id=1, service="HT", seconds=240, finish=True):
    """Issue a ticket, call it at the counter, and (by default) finish it."""
    ticket = queue.issue_ticket(db, service, False, clock())
    queue.call_next(db, counter_id, clock.tick(30), Queue(),
                    actor=ACTOR)
    clock.tick(seconds)
    if finish:
        queue.finish(db, counter_id, clock(), ACTOR)
    return ticket["id"]


# --- the domain, on a bare database --------------------------------------------------------------

def test_rating_is_stored_with_its_event(db, config, clock):
    settings = config["reports"]
    ticket = serve(db, clock)
    clock.tick(5)
    now = ratings.rateable(db, 1, clock(), settings)
    assert now["ticket"]["id"] == ticket and now["expires_in"] == pytest.approx(115)
    assert [s["label"] for s in now["scale"]] == ["Rất hài lòng", "Hài lòng", "Không hài lòng"]
    rating = ratings.rate(db, 1, ticket, 2, clock(), settings)
    assert rating == {"id": 1, "ticket": ticket, "score": 2, "label": "Hài lòng", "satisfied": True}
    row = dict(db.execute("SELECT * FROM ratings").fetchone())
    assert row["counter_id"] == 1 and row["day"] == "2026-11-23" and row["satisfied"] == 1
    event = db.execute("SELECT * FROM audit WHERE kind = 'rated'").fetchone()
    assert (event["ticket_id"], event["counter_id"], event["service"], event["actor"]) == (ticket, 1, "HT", "public")
    assert json.loads(event["data"]) == {"score": 2, "label": "Hài lòng"}
    assert ratings.rateable(db, 1, clock(), settings)["ticket"] is None


def test_once_per_ticket(db, config, clock):
    ticket = serve(db, clock)
    ratings.rate(db, 1, ticket, 1, clock(), config["reports"])
    with pytest.raises(Conflict) as exc:
        ratings.rate(db, 1, ticket, 3, clock.tick(), config["reports"])
    assert exc.value.code == "already_rated"
    assert db.execute("SELECT count(*) FROM ratings").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM audit WHERE kind = 'rated'").fetchone()[0] == 1


def refused(db, config, clock, counter_id, ticket, code="not_rateable"):
    with pytest.raises(QueueError) as exc:
        ratings.rate(db, counter_id, ticket, 1, clock(), config["reports"])
    assert exc.value.code == code


def test_nothing_to_rate_without_a_finish(db, config, clock):
    assert ratings.rateable(db, 1, clock(), config["reports"])["ticket"] is None
    ticket = serve(db, clock, finish=False)  # still at the counter
    refused(db, config, clock, 1, ticket)
    assert ratings.rateable(db, 1, clock(), config["reports"])["ticket"] is None
    queue.no_show(db, 1, clock(), ACTOR)  # a no-show is not a finished service
    refused(db, config, clock, 1, ticket)
    second = serve(db, clock, finish=False)
    queue.transfer(db, 1, "CT", clock(), ACTOR)  # sent on to another field: not finished either
    refused(db, config, clock, 1, second)


def test_only_within_the_window(db, config, clock):
    ticket = serve(db, clock)
    clock.tick(config["reports"]["rating_window_s"] - 1)
    assert ratings.rateable(db, 1, clock(), config["reports"])["expires_in"] == 1
    clock.tick(1)
    assert ratings.rateable(db, 1, clock(), config["reports"])["ticket"] is None
    refused(db, config, clock, 1, ticket)


def test_only_at_the_counter_that_finished_it(db, config, clock):
    ticket = serve(db, clock, counter_id=1)
    refused(db, config, clock, 2, ticket)
    assert ratings.rateable(db, 1, clock(), config["reports"])["ticket"]["id"] == ticket


def test_only_the_counters_latest_finish(db, config, clock):
    first = serve(db, clock)
    second = serve(db, clock, seconds=20)
    refused(db, config, clock, 1, first)
    ratings.rate(db, 1, second, 1, clock(), config["reports"])


def test_a_call_at_the_counter_ends_the_previous_citizens_rating(db, config, clock):
    """Once the next citizen is called, the person facing the tablet is someone else."""
    first = serve(db, clock, finish=False)
    queue.issue_ticket(db, "HT", False, clock())
    queue.call_next(db, 1, clock.tick(), Queue(), actor=ACTOR)
    assert ratings.rateable(db, 1, clock.tick(2), config["reports"])["ticket"] is None  # "Xong và gọi tiếp"
    refused(db, config, clock, 1, first)
    second = db.execute("SELECT id FROM tickets WHERE status = 'called'").fetchone()[0]
    queue.finish(db, 1, clock.tick(60), ACTOR)
    assert ratings.rateable(db, 1, clock.tick(2), config["reports"])["ticket"]["id"] == second
    queue.issue_ticket(db, "HT", False, clock())
    queue.call_next(db, 1, clock.tick(), Queue(), actor=ACTOR)
    refused(db, config, clock, 1, second)  # finish, then a call: closed as well
    queue.no_show(db, 1, clock.tick(), ACTOR)
    refused(db, config, clock, 1, second)  # and it stays closed when that citizen does not come


def test_the_counter_holds_its_call_only_for_a_present_tablet(db, config, clock):
    settings = config["reports"]
    assert settings["rating_hold_s"] == 15
    serve(db, clock)
    clock.tick(5)
    assert ratings.rateable(db, 1, clock(), settings)["hold_in"] == 0  # no tablet: call at once
    ratings.tablet_seen(db, 1, clock())
    held = ratings.rateable(db, 1, clock(), settings)
    assert held["tablet"] is True and held["hold_in"] == 10
    clock.tick(11)
    late = ratings.rateable(db, 1, clock(), settings)
    assert late["hold_in"] == 0 and late["ticket"] is not None  # the hold is over, rating still open
    ticket = serve(db, clock)
    ratings.tablet_seen(db, 1, clock())
    ratings.rate(db, 1, ticket, 1, clock.tick(3), settings)
    assert ratings.rateable(db, 1, clock(), settings)["hold_in"] == 0  # rated: go on


def test_a_tablet_is_present_while_it_keeps_asking(db, clock):
    assert not ratings.tablet_present(db, 1, clock())
    ratings.tablet_seen(db, 1, clock())
    assert ratings.tablet_present(db, 1, clock.tick(11)) and not ratings.tablet_present(db, 2, clock())
    assert not ratings.tablet_present(db, 1, clock.tick(1))  # switched off or asleep: no holding for it
    before = db.conn.total_changes
    for _ in range(10):  # asking every second (pushes): a write every few seconds, not each time
        ratings.tablet_seen(db, 1, clock.tick(1))
    assert ratings.tablet_present(db, 1, clock())
    assert db.conn.total_changes - before == 3
    assert ratings.tablet_present(db, 1, clock.tick(8)) and not ratings.tablet_present(db, 1, clock.tick(4))


def test_bad_input(db, config, clock):
    ticket = serve(db, clock)
    for score in (0, 4, "1", True, None, 1.0):
        with pytest.raises(QueueError) as exc:
            ratings.rate(db, 1, ticket, score, clock(), config["reports"])
        assert exc.value.code == "invalid_score"
    with pytest.raises(QueueError) as exc:
        ratings.rate(db, 1, str(ticket), 1, clock(), config["reports"])
    assert exc.value.code == "invalid_ticket"
    with pytest.raises(NotFound) as exc:
        ratings.rate(db, 1, 999, 1, clock(), config["reports"])
    assert exc.value.code == "ticket_not_found"
    with pytest.raises(NotFound) as exc:
        ratings.rate(db, 99, ticket, 1, clock(), config["reports"])
    assert exc.value.code == "counter_not_found"
    assert db.execute("SELECT count(*) FROM ratings").fetchone()[0] == 0


def test_a_five_point_scale(raw_config, db, clock):
    raw_config["reports"] = {"rating_scale": ["Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng",
                                              "Rất không hài lòng"], "rating_window_s": 30}
    settings = validate(raw_config)["reports"]
    assert settings["rating_satisfied"] == 2 and settings["rating_window_s"] == 30
    ticket = serve(db, clock)
    assert ratings.rate(db, 1, ticket, 3, clock(), settings) == {
        "id": 1, "ticket": ticket, "score": 3, "label": "Bình thường", "satisfied": False}


@pytest.mark.parametrize("reports, key", [
    ({"rating_scale": ["Tốt"]}, "reports.rating_scale"),
    ({"rating_scale": "Tốt, Xấu"}, "reports.rating_scale"),
    ({"rating_scale": ["Tốt", ""]}, "reports.rating_scale[1]"),
    ({"rating_scale": ["Tốt", "Tốt"]}, "reports.rating_scale"),
    ({"rating_satisfied": 3}, "reports.rating_satisfied"),
    ({"rating_window_s": 5}, "reports.rating_window_s"),
    ({"rating_hold_s": 61}, "reports.rating_hold_s"),
    ({"rating_window_s": 10, "rating_hold_s": 11}, "reports.rating_hold_s"),
    ({"rating_hold_s": -1}, "reports.rating_hold_s"),
    ({"wait_target_min": 0}, "reports.wait_target_min"),
    ({"capacity_weeks": "4"}, "reports.capacity_weeks"),
    ({"colour": 1}, "reports.colour"),
])
def test_config_errors_name_the_key(raw_config, reports, key):
    raw_config["reports"] = reports
    with pytest.raises(ConfigError) as exc:
        validate(raw_config)
    assert str(exc.value).startswith(key + ":")


# --- through the API -----------------------------------------------------------------------------

def test_rating_through_the_api(app, config, client, officer, clock):
    tablet = enrolled_client(app, config, "rating", "Quầy 1", 1)
    assert tablet.get("/api/counters/1/rating").get_json()["ticket"] is None
    nothing = tablet.post("/api/counters/1/rating", json={"ticket": 1, "score": 1})
    assert nothing.status_code == 404  # no ticket 1 yet
    ticket = client.post("/api/tickets", json={"service": "HT"}).get_json()
    refused = tablet.post("/api/counters/1/rating", json={"ticket": ticket["id"], "score": 1})
    assert refused.status_code == 409 and refused.get_json()["error"] == "not_rateable"
    client.post("/api/counters/1/call-next", headers=officer, json={})
    clock.tick(180)
    client.post("/api/counters/1/finish", headers=officer, json={})
    clock.tick(3)
    now = tablet.get("/api/counters/1/rating").get_json()
    assert now["ticket"]["number"] == ticket["number"] and now["counter"] == {"id": 1, "name": "Quầy 1"}
    assert "token" not in now["ticket"]
    bad = tablet.post("/api/counters/1/rating", json={"ticket": ticket["id"], "score": 7})
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_score"
    assert tablet.post("/api/counters/1/rating", data="x", content_type="application/json"
                       ).get_json()["error"] == "invalid_json"
    # Only this counter's enrolled tablet may rate: not a phone, not a kiosk, not another counter's tablet.
    other = enrolled_client(app, config, "rating", "Quầy 2", 2)
    for stranger, code in ((app.test_client(), "device_not_enrolled"), (client, "device_not_enrolled"),
                           (other, "wrong_counter")):
        forged = stranger.post("/api/counters/1/rating", json={"ticket": ticket["id"], "score": 3})
        assert forged.status_code == 403 and forged.get_json()["error"] == code
    done = tablet.post("/api/counters/1/rating", json={"ticket": ticket["id"], "score": 1})
    assert done.status_code == 201 and done.get_json()["label"] == "Rất hài lòng"
    again = tablet.post("/api/counters/1/rating", json={"ticket": ticket["id"], "score": 1})
    assert again.status_code == 409 and again.get_json()["error"] == "already_rated"
    assert tablet.get("/api/counters/1/rating").get_json()["ticket"] is None
    assert tablet.get("/api/counters/42/rating").get_json()["error"] == "counter_not_found"


def test_the_tablet_marks_itself_present_and_a_rating_pushes_state(app, config, client, officer, clock):
    from shared.events import socketio

    ticket = client.post("/api/tickets", json={"service": "HT"}).get_json()
    client.post("/api/counters/1/call-next", headers=officer, json={})
    client.post("/api/counters/1/finish", headers=officer, json={})
    assert client.get("/api/counters/1/rating").get_json()["tablet"] is False  # the counter page asking
    enrolled_client(app, config, "rating", "Quầy 2", 2).get("/api/counters/1/rating")  # another counter's
    assert client.get("/api/counters/1/rating").get_json()["tablet"] is False
    tablet = enrolled_client(app, config, "rating", "Quầy 1", 1)
    tablet.get("/api/counters/1/rating")
    clock.tick(4)
    desk = client.get("/api/counters/1/rating").get_json()
    assert desk["tablet"] is True and desk["hold_in"] == 11
    assert client.get("/api/counters/2/rating").get_json()["tablet"] is False

    live = socketio.test_client(app)
    live.get_received()
    assert tablet.post("/api/counters/1/rating", json={"ticket": ticket["id"], "score": 1}).status_code == 201
    states = []
    for _ in range(150):
        states = [m for m in live.get_received() if m["name"] == "state"]
        if states:
            break
        socketio.sleep(0.02)
    live.disconnect()
    assert states  # the counter holding its call learns of the rating at once
    assert client.get("/api/counters/1/rating").get_json()["hold_in"] == 0


def test_the_server_holds_the_next_call_while_the_tablet_waits_for_a_rating(app, config, client, officer, clock):
    """The hold is the server's rule: any client calling during it is answered 409 with
    when it may call; the officer may still call at once, saying so (`now`)."""
    first, second, third = (client.post("/api/tickets", json={"service": "HT"}).get_json() for _ in range(3))
    tablet = enrolled_client(app, config, "rating", "Quầy 1", 1)
    tablet.get("/api/counters/1/rating")
    assert client.post("/api/counters/1/call-next", headers=officer, json={}).get_json()["ticket"]["id"] == first["id"]
    clock.tick(60)
    tablet.get("/api/counters/1/rating")  # on and asking, as it does every 3 s
    held = client.post("/api/counters/1/call-next", headers=officer, json={"after": first["id"]})
    body = held.get_json()
    assert held.status_code == 409 and body["error"] == "rating_hold" and body["hold_in"] == 15
    assert body["ticket"]["id"] == first["id"] and body["message"]
    assert client.get("/api/tickets?status=called").get_json() == []  # 1001 finished, nobody called
    assert [t["id"] for t in client.get("/api/tickets?status=done").get_json()] == [first["id"]]
    clock.tick(5)
    again = client.post("/api/counters/1/call-next", headers=officer, json={})
    assert again.status_code == 409 and again.get_json()["hold_in"] == 10
    assert tablet.post("/api/counters/1/rating", json={"ticket": first["id"], "score": 1}).status_code == 201
    rated = client.post("/api/counters/1/call-next", headers=officer, json={})
    assert rated.get_json()["ticket"]["id"] == second["id"]  # the rating lets the call go

    clock.tick(60)
    tablet.get("/api/counters/1/rating")
    assert client.post("/api/counters/1/call-next", headers=officer, json={}).status_code == 409
    bad = client.post("/api/counters/1/call-next", headers=officer, json={"now": 1})
    assert bad.status_code == 400 and bad.get_json()["error"] == "invalid_now"
    at_once = client.post("/api/counters/1/call-next", headers=officer, json={"now": True})
    assert at_once.get_json()["ticket"]["id"] == third["id"]


def test_rate_page_needs_the_counters_tablet(app, config, client):
    page = enrolled_client(app, config, "rating", "Quầy 3", 3).get("/rate/3")
    assert page.status_code == 200 and 'data-counter="3"' in page.text and "rate.js" in page.text
    for stranger in (app.test_client(), client):
        page = stranger.get("/rate/3")
        assert "chưa được đăng ký" in page.text and "rate.js" not in page.text
