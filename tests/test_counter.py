"""Counter and supervisor API: every action, its auth and its bad input."""
import json

import pytest

from conftest import _token, bearer, invite
from shared import auth
from shared.config import validate

ACTIONS = ["call-next", "recall", "finish", "no-show", "pause", "resume", "transfer", "call", "undo-transfer"]


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


def test_calling_back_a_no_show_never_finishes_the_citizen_at_the_desk(client, officer):
    missed, at_desk = issue(client), issue(client)
    client.post("/api/counters/1/call-next", headers=officer, json={})
    client.post("/api/counters/1/no-show", headers=officer, json={})
    client.post("/api/counters/1/call-next", headers=officer, json={})       # at_desk is served
    refused = client.post("/api/counters/1/call", headers=officer, json={"ticket": missed["id"]})
    assert refused.status_code == 409 and refused.get_json()["error"] == "counter_busy"
    assert "1002" in refused.get_json()["message"]
    assert client.get(f"/api/tickets/{at_desk['id']}").get_json()["status"] == "called"
    assert client.get(f"/api/tickets/{missed['id']}").get_json()["status"] == "no_show"
    client.post("/api/counters/1/finish", headers=officer, json={})
    assert client.post("/api/counters/1/call", headers=officer, json={"ticket": missed["id"]}).status_code == 200
    # Its undo on the desk: the one called back is a no-show again.
    assert client.post("/api/counters/1/no-show", headers=officer, json={}).get_json()["current"] is None
    assert client.get(f"/api/tickets/{missed['id']}").get_json()["status"] == "no_show"


def test_undo_of_a_transfer_restores_the_field(client, officer):
    ticket = issue(client)
    client.post("/api/counters/1/call-next", headers=officer, json={})
    client.post("/api/counters/1/transfer", headers=officer, json={"service": "CT"})
    elsewhere = client.post("/api/counters/2/undo-transfer", headers=officer, json={"ticket": ticket["id"]})
    assert elsewhere.status_code == 409 and elsewhere.get_json()["error"] == "transfer_not_undoable"
    back = client.post("/api/counters/1/undo-transfer", headers=officer, json={"ticket": ticket["id"]}).get_json()
    assert (back["ticket"]["service"], back["ticket"]["status"]) == ("HT", "called")
    assert back["ticket"]["counter"]["id"] == 1
    again = client.post("/api/counters/1/undo-transfer", headers=officer, json={"ticket": ticket["id"]})
    assert again.status_code == 409


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
    ("undo-transfer", {"ticket": "1"}, 400, "invalid_ticket"),
    ("undo-transfer", {"ticket": 999}, 404, "ticket_not_found"),
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


@pytest.mark.parametrize("name", ["\x00", "Quầy\x079", "Quầy \u202e9", "\u200b", "Quầy 1\u200b", "Quầy\u200d9"])
def test_names_with_control_or_invisible_characters_are_refused(client, supervisor, name):
    """Issue 24, low 14: NUL, BEL, U+202E and a lone zero-width space were accepted, and
    "Quầy 1" with a zero-width space passed the duplicate check."""
    made = client.post("/api/counters", headers=supervisor, json={"name": name, "services": ["HT"]})
    assert made.status_code == 400 and made.get_json()["error"] == "invalid_name", name
    renamed = client.patch("/api/counters/4", headers=supervisor, json={"name": name})
    assert renamed.status_code == 400, name
    invited = client.post("/api/devices", headers=supervisor, json={"kind": "kiosk", "name": name})
    assert invited.status_code == 400, name
    notice = client.put("/api/notice", headers=supervisor, json={"text": f"Thông báo {name}"})
    assert notice.status_code == 400, name
    assert len(client.get("/api/counters").get_json()) == 7
    assert client.post("/api/counters", headers=supervisor,
                       json={"name": "Quầy  Một\tCửa", "services": ["HT"]}).get_json()["name"] == "Quầy Một Cửa"


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


def test_one_limit_for_every_token_guess_bearer_and_socket_included(app, config, db):
    """Issue 24, medium 6: Bearer guesses on /api/me and at Socket.IO connect were neither
    limited nor logged. Now every wrong secret counts in one limit per client address."""
    from shared.events import socketio

    guesser = app.test_client()
    for _ in range(4):
        assert guesser.get("/api/me", headers=bearer("guess")).status_code == 401
    for _ in range(3):
        agent = socketio.test_client(app, auth={"token": "guess", "kiosk": "Sảnh"}, flask_test_client=guesser)
        assert not agent.is_connected()
    for _ in range(3):
        assert guesser.post("/api/login", json={"token": "guess"}).status_code == 401
    good = bearer(_token(config, "officer"))
    for blocked in (guesser.get("/api/me", headers=good),
                    guesser.post("/api/login", json={"token": good["Authorization"][7:]})):
        assert blocked.status_code == 429 and blocked.get_json()["error"] == "too_many_logins"
    assert not socketio.test_client(app, auth={"token": good["Authorization"][7:], "kiosk": "Sảnh"},
                                    flask_test_client=guesser).is_connected()
    whats = [json.loads(r[0])["what"] for r in db.execute("SELECT data FROM audit WHERE kind = 'login_failed'")]
    assert sorted(set(whats)) == ["login token", "printer agent credential", "staff token"] and len(whats) == 10


@pytest.mark.parametrize("trusted", [0, 1])
def test_behind_a_trusted_proxy_one_guesser_locks_out_only_itself(raw_config, config, trusted):
    """Issue 24, medium 6: behind nginx every login came from the proxy's address, so ten
    wrong ones locked out all staff. With server.trusted_proxies: 1 the limit counts the
    client nginx names in X-Forwarded-For; without it that header is ignored (anyone
    could write it)."""
    from shared.app import create_app

    raw_config["server"]["trusted_proxies"] = trusted
    app = create_app(validate(raw_config))
    proxy = app.test_client()
    for _ in range(10):
        proxy.post("/api/login", json={"token": "guess"}, headers={"X-Forwarded-For": "203.0.113.5"})
    officer = proxy.post("/api/login", json={"token": _token(config, "officer")},
                         headers={"X-Forwarded-For": "203.0.113.6"})
    assert officer.status_code == (200 if trusted else 429)
    again = proxy.post("/api/login", json={"token": "guess"}, headers={"X-Forwarded-For": "203.0.113.5"})
    assert again.status_code == 429


def test_opening_an_enrolment_link_asks_first_and_wrong_codes_are_limited(app, config, db):
    """Issue 24, low 15: a plain GET of /enroll/<code> used the code up, so a chat app
    fetching the link for a preview enrolled itself; wrong codes were neither limited nor
    logged. The link's page asks; its button (a JSON POST) uses the code."""
    preview = app.test_client()
    code = invite(config, "kiosk", "Sảnh")
    for _ in range(3):  # a chat app's preview, then a person opening it
        page = preview.get(f"/enroll/{code}")
        assert page.status_code == 200 and "Sảnh" in page.get_data(as_text=True)
    assert not auth.any_enrolled(db, "kiosk")
    device = app.test_client()
    made = device.post("/api/devices/enrol", json={"code": code, "browser": True})
    assert made.status_code == 201 and made.get_json()["landing"] == "/kiosk" and "secret" not in made.get_json()
    assert device.post("/api/tickets", json={"service": "HT"}).status_code == 201  # its cookie is set
    assert preview.get(f"/enroll/{code}").status_code == 404  # used
    guesser = app.test_client()  # the same address: the used code above was its first wrong one
    for i in range(8):
        assert guesser.get(f"/enroll/guess{i}").status_code == 404
    assert guesser.post("/api/devices/enrol", json={"code": "guess"}).status_code == 404
    blocked = guesser.get(f"/enroll/{invite(config, 'kiosk', 'Sảnh 2')}")
    assert blocked.status_code == 429
    assert db.execute("SELECT count(*) FROM audit WHERE kind = 'login_failed'").fetchone()[0] >= 10


def test_a_staff_login_over_plain_http_from_another_machine_is_warned_loudly(app, config, caplog):
    """Issue 24, low 17: staff tokens and cookies crossed the hall network in clear, silently."""
    afar = app.test_client()
    afar.environ_base["REMOTE_ADDR"] = "192.168.1.23"
    assert 'id="login-insecure"' in afar.get("/counter").get_data(as_text=True)
    with caplog.at_level("WARNING", logger="motcua.security"):
        assert afar.post("/api/login", json={"token": _token(config, "officer")}).status_code == 200
    assert "over plain http from 192.168.1.23" in caplog.text
    here = app.test_client()  # the server's own screen
    assert 'id="login-insecure"' not in here.get("/counter").get_data(as_text=True)
    secure = app.test_client()
    secure.environ_base["REMOTE_ADDR"] = "192.168.1.24"
    assert 'id="login-insecure"' not in secure.get("/counter", base_url="https://localhost").get_data(as_text=True)


def test_after_closing_call_next_passes_over_the_citizens_the_kiosk_warned(raw_config, clock):
    """The counter blueprint hands call-next and /next the counters' closing (center.counter_hours):
    after 17:00 "Gọi tiếp" calls the promised number, not the warned one, and /next says who is left."""
    from conftest import enrolled_client, opened, staff
    from shared.app import create_app

    raw_config["center"]["counter_hours"] = {"mon-fri": ["07:30-11:30", "13:30-17:00"]}
    config = validate(raw_config)
    app = create_app(config)
    app.config["CLOCK"] = clock
    client, officer = enrolled_client(app, config), bearer(_token(config, "officer"))
    clock.at = clock.at.replace(hour=16, minute=58)
    with opened(config) as db:
        staff(db, clock.at, 1)
    warned, promised = issue(client), issue(client)
    with opened(config) as db:
        db.execute("UPDATE promises SET late = 1 WHERE ticket_id = ? AND source = 'kiosk'", (warned["id"],))
        db.conn.commit()
    clock.at = clock.at.replace(hour=17, minute=1)
    assert client.get("/api/counters/1/next").get_json() == {
        "number": promised["number"], "warned": 1, "warned_next": {"id": warned["id"], "number": warned["number"]}}
    called = client.post("/api/counters/1/call-next", headers=officer, json={}).get_json()
    assert called["ticket"]["id"] == promised["id"]
    client.post("/api/counters/1/finish", headers=officer, json={})
    assert client.post("/api/counters/1/call-next", headers=officer, json={}).get_json() == {"ticket": None, "called": False}
    by_hand = client.post("/api/counters/1/call", headers=officer, json={"ticket": warned["id"]})
    assert by_hand.status_code == 200 and by_hand.get_json()["ticket"]["id"] == warned["id"]
