"""Counter and supervisor API: every action, its auth and its bad input."""
import pytest

from conftest import _token

ACTIONS = ["call-next", "recall", "finish", "no-show", "pause", "resume", "transfer", "call"]


def issue(client, service="HT", priority=False):
    return client.post("/api/tickets", json={"service": service, "priority": priority}).get_json()


def test_call_next_recall_finish(client, officer):
    ticket = issue(client)
    response = client.post("/api/counters/1/call-next", headers=officer, json={})
    assert response.status_code == 200
    called = response.get_json()
    assert called["called"] is True and called["ticket"]["id"] == ticket["id"]
    assert called["ticket"]["counter"] == {"id": 1, "name": "Quầy 1"}
    assert client.get(f"/api/tickets/{ticket['id']}").get_json()["status"] == "called"
    counter = client.post("/api/counters/1/recall", headers=officer, json={}).get_json()
    assert counter["current"]["id"] == ticket["id"]
    assert client.get(f"/api/tickets/{ticket['id']}").get_json()["recalls"] == 1
    counter = client.post("/api/counters/1/finish", headers=officer, json={}).get_json()
    assert counter["current"] is None
    assert client.get(f"/api/tickets/{ticket['id']}").get_json()["status"] == "done"
    empty = client.post("/api/counters/1/call-next", headers=officer, json={}).get_json()
    assert empty == {"ticket": None, "called": False}


def test_double_click_with_after_calls_once(client, officer):
    first, second = issue(client), issue(client)
    for _ in range(2):
        response = client.post("/api/counters/1/call-next", headers=officer, json={"after": None})
        assert response.get_json()["ticket"]["id"] == first["id"]
    assert client.get(f"/api/tickets/{second['id']}").get_json()["status"] == "waiting"


def test_no_show_then_called_back(client, officer):
    ticket = issue(client)
    client.post("/api/counters/1/call-next", headers=officer, json={})
    assert client.post("/api/counters/1/no-show", headers=officer, json={}).get_json()["current"] is None
    assert client.get(f"/api/tickets/{ticket['id']}").get_json()["status"] == "no_show"
    response = client.post("/api/counters/2/call", headers=officer, json={"ticket": ticket["id"]})
    assert response.status_code == 200 and response.get_json()["ticket"]["counter"]["id"] == 2


def test_transfer_pause_resume(client, officer):
    ticket = issue(client)
    client.post("/api/counters/1/call-next", headers=officer, json={})
    counter = client.post("/api/counters/1/transfer", headers=officer, json={"service": "CT"}).get_json()
    assert counter["current"] is None
    moved = client.get(f"/api/tickets/{ticket['id']}").get_json()
    assert (moved["service"], moved["number"], moved["status"]) == ("CT", "1001", "waiting")
    assert client.post("/api/counters/3/pause", headers=officer, json={}).get_json()["paused"] is True
    response = client.post("/api/counters/3/call-next", headers=officer, json={})
    assert response.status_code == 409 and response.get_json()["error"] == "counter_paused"
    assert client.post("/api/counters/3/resume", headers=officer, json={}).get_json()["paused"] is False
    assert client.post("/api/counters/3/call-next", headers=officer, json={}).get_json()["ticket"]["id"] == ticket["id"]


@pytest.mark.parametrize("action, body, status, code", [
    ("recall", None, 409, "no_current_ticket"),
    ("finish", None, 409, "no_current_ticket"),
    ("no-show", None, 409, "no_current_ticket"),
    ("transfer", {"service": "CT"}, 409, "no_current_ticket"),
    ("transfer", {}, 400, "invalid_service"),
    ("transfer", {"service": "NOPE"}, 409, "no_current_ticket"),
    ("call", {"ticket": "1"}, 400, "invalid_ticket"),
    ("call", {"ticket": True}, 400, "invalid_ticket"),
    ("call", {"ticket": 999}, 404, "ticket_not_found"),
    ("call-next", {"after": "x"}, 400, "invalid_after"),
])
def test_bad_counter_actions(client, officer, action, body, status, code):
    response = client.post(f"/api/counters/1/{action}", headers=officer, json=body if body is not None else {})
    assert response.status_code == status
    assert response.get_json()["error"] == code


def test_unknown_counter_is_404(client, officer):
    response = client.post("/api/counters/99/call-next", headers=officer, json={})
    assert response.status_code == 404 and response.get_json()["error"] == "counter_not_found"


@pytest.mark.parametrize("action", ACTIONS)
def test_officer_actions_need_credentials(client, action):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic x"}):
        response = client.post(f"/api/counters/1/{action}", headers=headers, json={})
        assert response.status_code == 401 and response.get_json()["error"] == "unauthorized"


def test_supervisor_actions_refuse_officers(client, officer):
    response = client.post("/api/counters", headers=officer, json={"name": "Quầy 8", "services": ["HT"]})
    assert response.status_code == 403 and response.get_json()["error"] == "forbidden"
    assert client.patch("/api/counters/1", headers=officer, json={"open": False}).status_code == 403
    assert client.patch("/api/counters/1", json={"open": False}).status_code == 401


def test_supervisor_opens_seven_more_counters_and_reassigns(client, supervisor):
    for i in range(8, 15):
        response = client.post("/api/counters", headers=supervisor, json={"name": f"Quầy {i}", "services": ["HT"]})
        assert response.status_code == 201
        assert response.get_json()["open"] is True
    state = client.get("/api/state").get_json()
    assert len([c for c in state["counters"] if c["open"]]) == 14
    counter = client.patch("/api/counters/14", headers=supervisor, json={"services": ["DD", "CT"]}).get_json()
    assert counter["services"] == ["DD", "CT"]
    counter = client.patch("/api/counters/2", headers=supervisor, json={"open": False}).get_json()
    assert counter["open"] is False
    # Supervisors may also act as officers.
    issue(client, "DD")
    assert client.post("/api/counters/14/call-next", headers=supervisor, json={}).get_json()["called"] is True


@pytest.mark.parametrize("body, code", [
    ({"services": ["HT"]}, "invalid_name"),
    ({"name": "Quầy 9", "services": ["NOPE"]}, "unknown_service"),
    ({"name": "Quầy 9", "services": "HT"}, "invalid_services"),
    ({"name": "Quầy 9", "services": []}, "no_services"),
    ({"name": "Quầy 9"}, "no_services"),
])
def test_bad_new_counters(client, supervisor, body, code):
    response = client.post("/api/counters", headers=supervisor, json=body)
    assert response.status_code == 400 and response.get_json()["error"] == code


def test_a_duplicate_counter_name_is_refused(client, supervisor):
    response = client.post("/api/counters", headers=supervisor, json={"name": "Quầy 3", "services": ["HT"]})
    assert response.status_code == 409
    assert response.get_json() == {"error": "counter_name_taken", "message": 'Đã có quầy tên "Quầy 3": chọn tên khác.'}
    renamed = client.patch("/api/counters/4", headers=supervisor, json={"name": "quầy 3"})
    assert renamed.status_code == 409 and renamed.get_json()["error"] == "counter_name_taken"
    assert len(client.get("/api/counters").get_json()) == 7


def test_patch_unknown_counter_and_bad_fields(client, supervisor):
    assert client.patch("/api/counters/99", headers=supervisor, json={"open": True}).status_code == 404
    response = client.patch("/api/counters/1", headers=supervisor, json={"open": 1})
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_change"


def test_session_login_for_pages(client, config):
    from conftest import _token

    token = _token(config, "officer")
    assert client.get("/api/me").status_code == 401
    assert client.post("/api/login", json={"token": "nope"}).status_code == 401
    assert client.post("/api/login", json={"token": token}).get_json()["role"] == "officer"
    assert client.get("/api/me").get_json()["role"] == "officer"
    issue(client)
    assert client.post("/api/counters/1/call-next", json={}).get_json()["called"] is True
    client.post("/api/logout", json={})
    assert client.post("/api/counters/1/finish", json={}).status_code == 401


def test_actions_are_logged_with_who_did_them(client, officer, db):
    issue(client)
    client.post("/api/counters/1/call-next", headers=officer, json={})
    actor = db.execute("SELECT actor FROM audit WHERE kind = 'called'").fetchone()[0]
    assert actor.startswith("officer:") and "test officer" in actor


def test_counter_and_supervisor_pages_are_served(client):
    assert client.get("/counter").status_code == 200
    assert client.get("/supervisor").status_code == 200


def test_a_revoked_token_ends_its_sessions(client, config, db, clock):
    from conftest import _token
    from shared.auth import list_tokens, revoke_token

    assert client.post("/api/login", json={"token": _token(config, "officer")}).status_code == 200
    assert client.get("/api/me").status_code == 200
    assert revoke_token(db, list_tokens(db)[-1]["id"], clock())
    assert client.get("/api/me").status_code == 401
    assert client.post("/api/counters/1/call-next", json={}).status_code == 401


def test_a_revoked_officers_cookie_never_comes_back_as_someone_else(client, config, db, clock):
    """The reproduction from the hardening issue: create, log in, revoke the newest
    token, create a supervisor token: the old cookie must be worth nothing."""
    from shared.auth import list_tokens, revoke_token

    assert client.post("/api/login", json={"token": _token(config, "officer")}).status_code == 200
    revoke_token(db, list_tokens(db)[-1]["id"], clock())
    _token(config, "supervisor")
    assert client.get("/api/me").status_code == 401


def test_logout_ends_the_session_even_for_a_kept_cookie(app, config):
    staff = app.test_client()
    assert staff.post("/api/login", json={"token": _token(config, "officer")}).status_code == 200
    kept = staff.get_cookie("session").value
    assert staff.post("/api/logout", json={}).status_code == 200
    staff.set_cookie("session", kept)  # a copy made before logout, replayed
    assert staff.get("/api/me").status_code == 401
    assert staff.post("/api/counters/1/call-next", json={}).status_code == 401


def test_failed_logins_are_limited_and_logged(app, config, db):
    guesser = app.test_client()
    for _ in range(10):
        assert guesser.post("/api/login", json={"token": "guess"}).status_code == 401
    blocked = guesser.post("/api/login", json={"token": _token(config, "officer")})
    assert blocked.status_code == 429 and blocked.get_json()["error"] == "too_many_logins"
    assert 1 <= blocked.get_json()["retry_after"] <= 300 and blocked.headers["Retry-After"]
    assert db.execute("SELECT count(*) FROM audit WHERE kind = 'login_failed'").fetchone()[0] == 10
