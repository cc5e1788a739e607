"""Kiosk API: fields and ticket issue, including every kind of bad input."""
import pytest

from conftest import enrolled_client


def test_services_list_fields_with_waiting_counts(client):
    client.post("/api/tickets", json={"service": "CT"})
    services = client.get("/api/services").get_json()
    assert len(services) == 8
    assert services[1] == {"code": "CT", "name": "Chứng thực", "name_en": "Certification",
                           "short_name": "Chứng thực", "open": True, "waiting": 1}


def test_kiosk_services_carry_the_wait_a_newcomer_may_expect(client, officer, clock, config, staffed):
    for _ in range(4):
        client.post("/api/tickets", json={"service": "HT"})
    for _ in range(3):  # three served in 6 minutes each, at Quầy 1 (Quầy 1 and 2 serve HT)
        client.post("/api/counters/1/call-next", json={}, headers=officer)
        clock.tick(360)
        client.post("/api/counters/1/finish", json={}, headers=officer)
    fields = {s["code"]: s for s in client.get("/api/kiosk/services").get_json()}
    assert fields["HT"]["estimate"]["minutes"] == 0      # two free counters: the one waiting, then the newcomer
    client.post("/api/counters/2/pause", json={}, headers=officer)
    fields = {s["code"]: s for s in client.get("/api/kiosk/services").get_json()}
    assert fields["HT"]["estimate"]["minutes"] == 7      # one counter: after the one waiting (6 min, + 12 %)
    assert fields["CT"]["estimate"] == {"minutes": 0, "at": clock.at.strftime("%H:%M"), "after": None,
                                        "late": False, "reason": None}


def test_issue_keeps_the_promise_it_shows(client, config, clock, staffed):
    from conftest import opened

    ticket = client.post("/api/tickets", json={"service": "HT"}).get_json()
    assert ticket["estimate"]["minutes"] == 0 and ticket["estimate"]["late"] is False
    with opened(config) as db:
        kept = [dict(r) for r in db.execute("SELECT ticket_id, source, minutes, late FROM promises")]
    assert kept == [{"ticket_id": ticket["id"], "source": "kiosk", "minutes": 0, "late": 0}]


def test_issue_returns_the_ticket(client):
    response = client.post("/api/tickets", json={"service": "HT", "priority": True})
    assert response.status_code == 201
    ticket = response.get_json()
    assert ticket["number"] == "1001" and ticket["status"] == "waiting" and ticket["priority"] is True
    assert ticket["ahead"] == 0 and ticket["issued_at"].startswith("2026-11-23T07:30")
    assert len(ticket["token"]) >= 16
    second = client.post("/api/tickets", json={"service": "HT"}).get_json()
    assert (second["number"], second["ahead"]) == ("1002", 1)


def test_ticket_lookup_hides_the_phone_token(client):
    ticket = client.post("/api/tickets", json={"service": "HT"}).get_json()
    shown = client.get(f"/api/tickets/{ticket['id']}").get_json()
    assert shown["number"] == "1001" and "token" not in shown
    response = client.get("/api/tickets/999")
    assert response.status_code == 404 and response.get_json()["error"] == "ticket_not_found"


@pytest.mark.parametrize("body, code", [
    ({}, "invalid_ticket"),
    ({"service": 5}, "invalid_ticket"),
    ({"service": "HT", "priority": "yes"}, "invalid_ticket"),
    ({"service": "NOPE"}, "unknown_service"),
    ([], "invalid_json"),
])
def test_bad_ticket_requests_get_400(client, body, code):
    response = client.post("/api/tickets", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"] == code
    assert response.get_json()["message"]


@pytest.mark.parametrize("data", ["not json", "{", "\xff"])
def test_malformed_bodies_get_400_json(client, data):
    response = client.post("/api/tickets", data=data, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_json"


def test_oversized_body_gets_413_json(client):
    response = client.post("/api/tickets", data="x" * 100_000, content_type="application/json")
    assert response.status_code == 413 and response.get_json()["error"] == "too_large"


def test_closed_field_and_daily_cap_get_409(client, supervisor, db):
    db.execute("UPDATE services SET open = 0 WHERE code = 'DD'")
    response = client.post("/api/tickets", json={"service": "DD"})
    assert response.status_code == 409 and response.get_json()["error"] == "service_closed"
    db.execute("UPDATE services SET daily_cap = 1 WHERE code = 'HT'")
    assert client.post("/api/tickets", json={"service": "HT"}).status_code == 201
    response = client.post("/api/tickets", json={"service": "HT"})
    assert response.status_code == 409 and response.get_json()["error"] == "daily_cap_reached"


def test_unknown_api_path_and_method_are_json(client):
    assert client.get("/api/nothing").get_json()["error"] == "not_found"
    response = client.delete("/api/tickets/1", json={})
    assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"


def test_kiosk_page_is_served(client):
    page = client.get("/kiosk")
    assert page.status_code == 200 and "Hòa Cường" in page.get_data(as_text=True)


def test_numbers_are_handed_out_only_in_working_hours(raw_config, clock):
    from shared.app import create_app
    from shared.config import validate

    raw_config["center"]["hours"] = {"mon-fri": ["07:30-11:30", "13:30-17:00"], "sat": ["07:30-11:30"]}
    config = validate(raw_config)
    app = create_app(config)
    app.config["CLOCK"] = clock
    client = enrolled_client(app, config)
    assert client.get("/api/hours").get_json()["open"] is True  # Monday 07:30
    assert client.post("/api/tickets", json={"service": "HT"}).status_code == 201
    clock.at = clock.at.replace(hour=12)
    assert client.get("/api/hours").get_json() == {"open": False, "next_open": "2026-11-23T13:30+07:00"}
    response = client.post("/api/tickets", json={"service": "HT"})
    assert response.status_code == 409 and response.get_json()["error"] == "outside_hours"
    assert "13:30 Thứ Hai 23/11" in response.get_json()["message"]
    clock.at = clock.at.replace(day=28, hour=12)  # Saturday after the morning session
    assert client.get("/api/hours").get_json()["next_open"] == "2026-11-30T07:30+07:00"


def test_one_kiosk_cannot_issue_a_pile_of_tickets(raw_config, clock):
    """The limit is the enrolled kiosk's, counted in the database; it says when to try again."""
    from shared.app import create_app
    from shared.config import validate

    raw_config["kiosk"] = {"max_tickets_per_minute": 3}
    config = validate(raw_config)
    app = create_app(config)
    app.config["CLOCK"] = clock
    first, second = enrolled_client(app, config, name="A"), enrolled_client(app, config, name="B")
    statuses = []
    for _ in range(5):
        statuses.append(first.post("/api/tickets", json={"service": "HT"}).status_code)
        clock.tick(10)
    assert statuses == [201, 201, 201, 429, 429]
    refused = first.post("/api/tickets", json={"service": "HT"})
    body = refused.get_json()
    assert body["error"] == "too_many_tickets" and body["retry_after"] == 10  # the first was 50 s ago
    assert refused.headers["Retry-After"] == "10" and "10 giây" in body["message"]
    assert second.post("/api/tickets", json={"service": "HT"}).status_code == 201
    clock.tick(10)
    assert first.post("/api/tickets", json={"service": "HT"}).status_code == 201


def test_only_enrolled_kiosks_issue_tickets(app, config, kiosk):
    """A phone on the hall network has no credential: no tickets, no priority."""
    stranger = app.test_client()
    for headers in ({}, {"Authorization": "Bearer made-up"}):
        refused = stranger.post("/api/tickets", json={"service": "HT", "priority": True}, headers=headers)
        assert refused.status_code == 403 and refused.get_json()["error"] == "device_not_enrolled"
    assert "chưa được đăng ký" in stranger.get("/kiosk").get_data(as_text=True)
    tablet = enrolled_client(app, config, "rating", "Quầy 1", 1)  # enrolled, but not as a kiosk
    assert tablet.post("/api/tickets", json={"service": "HT"}).status_code == 403
    assert stranger.post("/api/tickets", json={"service": "HT"}, headers=kiosk).status_code == 201


def test_the_kiosk_name_comes_from_its_enrolment_not_the_request(client):
    """Picking a new name per request was how one phone emptied a field's day."""
    response = client.post("/api/tickets", json={"service": "HT", "kiosk": "fresh name"})
    assert response.status_code == 400 and response.get_json()["error"] == "unknown_field"
    assert 'data-kiosk="Sảnh"' in client.get("/kiosk").get_data(as_text=True)


def test_the_phone_follows_the_queue_and_each_change_of_its_estimate_is_kept(client, config, clock, officer,
                                                                              supervisor, staffed):
    from conftest import opened

    for _ in range(4):
        client.post("/api/tickets", json={"service": "HT"})
    ticket = client.post("/api/tickets", json={"service": "HT"}).get_json()
    promised = ticket["estimate"]["minutes"]        # Quầy 1 and 2: 2 rounds of 8 min ahead (nothing known yet)
    again = client.get(f"/api/t/{ticket['token']}").get_json()["estimate"]
    assert again["minutes"] == promised             # the same: no second record
    client.patch("/api/counters/2", json={"open": False}, headers=supervisor)
    later = client.get(f"/api/t/{ticket['token']}").get_json()["estimate"]
    assert later["minutes"] > promised + 5          # one counter left: the phone says so at once
    with opened(config) as db:
        kept = [(r["source"], r["minutes"]) for r in db.execute(
            "SELECT source, minutes FROM promises WHERE ticket_id = ? ORDER BY id", (ticket["id"],))]
    assert kept == [("kiosk", promised), ("phone", later["minutes"])]


def test_estimates_run_in_a_worker_thread_without_the_request(client, supervisor, monkeypatch, staffed):
    """Under eventlet the projection runs on tpool's threads (shared/blocking.py), where there is
    no app or request context: the kiosk, the phone and the dashboard must work from there."""
    import threading

    from shared import blocking

    def worker(job):
        out = {}
        thread = threading.Thread(target=lambda: out.update(value=job()))
        thread.start()
        thread.join()
        return out["value"]  # a KeyError if the job raised

    monkeypatch.setattr(blocking, "run", worker)
    ticket = client.post("/api/tickets", json={"service": "HT"})
    assert ticket.status_code == 201 and ticket.get_json()["estimate"]["minutes"] == 0
    assert client.get(f"/api/t/{ticket.get_json()['token']}").get_json()["estimate"]["minutes"] == 0
    assert client.get("/api/kiosk/services").status_code == 200
    assert client.get("/api/dashboard", headers=supervisor).status_code == 200
