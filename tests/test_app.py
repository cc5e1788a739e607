"""The app factory's guards: cross-site requests, bad input of every kind, an unwell database."""
import json
import re
import os
import stat

import pytest



def test_changes_from_a_form_or_a_no_cors_fetch_are_refused(client, config):
    """Another origin's page can send these with the officer's cookie (same site, other port)."""
    from conftest import _token

    assert client.post("/api/login", json={"token": _token(config, "officer")}).status_code == 200
    form = client.post("/api/counters/3/pause", data="x=1", content_type="application/x-www-form-urlencoded")
    plain = client.post("/api/counters/3/pause", data="", content_type="text/plain")
    bare = client.post("/api/counters/3/pause")
    for refused in (form, plain, bare):
        assert refused.status_code == 415 and refused.get_json()["error"] == "json_required"
    elsewhere = client.post("/api/counters/3/pause", json={}, headers={"Origin": "http://localhost:8080"})
    assert elsewhere.status_code == 403 and elsewhere.get_json()["error"] == "cross_origin"
    assert client.get("/api/counters").get_json()[2]["paused"] is False
    own = client.post("/api/counters/3/pause", json={}, headers={"Origin": "http://localhost"})
    assert own.status_code == 200 and own.get_json()["paused"] is True


def test_the_public_url_counts_as_our_origin(raw_config):
    from conftest import enrolled_client
    from shared.app import create_app
    from shared.config import validate

    raw_config["server"]["public_url"] = "https://motcua.example.gov.vn"
    config = validate(raw_config)
    app = create_app(config)
    assert app.config["SESSION_COOKIE_SECURE"] is True  # served over HTTPS: cookies only go there
    kiosk = enrolled_client(app, config)
    proxied = kiosk.post("/api/tickets", json={"service": "HT"}, headers={"Origin": "https://motcua.example.gov.vn"})
    assert proxied.status_code == 201


def nested(depth: int) -> str:
    return '{"service": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("body, code", [
    (nested(5000), "invalid_json"),
    (nested(40), "invalid_json"),
    ('{"service": "HT\\ud800"}', "invalid_text"),
    ('{"service": "HT", "priority": false, "\\udfff": 1}', "invalid_text"),
    ('{"service": "HT", "priority": 9223372036854775808}', "invalid_number"),
])
def test_hostile_ticket_bodies_get_400(client, body, code):
    response = client.post("/api/tickets", data=body, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"] == code


@pytest.mark.parametrize("method, path, body", [
    ("put", "/api/notice", {"text": "Thông báo \ud800"}),
    ("post", "/api/counters", {"name": "Quầy \ud800", "services": ["HT"]}),
    ("post", "/api/counters", {"name": "Quầy 9", "services": ["HT", "\udc00"]}),
    ("patch", "/api/counters/1", {"name": "\ud83d"}),
    ("post", "/api/counters/1/call", {"ticket": 2 ** 63}),
    ("post", "/api/counters/1/call-next", {"after": -(2 ** 63) - 1}),
])
def test_lone_surrogates_and_huge_ids_get_400(client, supervisor, method, path, body):
    response = getattr(client, method)(path, data=json.dumps(body), content_type="application/json",
                                       headers=supervisor)
    assert response.status_code == 400 and response.get_json()["error"] in ("invalid_text", "invalid_number")


def test_a_lone_surrogate_login_token_gets_400(client):
    response = client.post("/api/login", data='{"token": "\\ud800"}', content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"] == "invalid_text"


@pytest.mark.parametrize("path", ["/api/tickets/9223372036854775808", "/api/counters/99999999999999999999/rating",
                                  "/display/counter/9223372036854775808"])
def test_ids_beyond_sqlite_in_paths_are_not_found(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("query", ["from=9999-12-31", "from=0001-01-01", "from=9999-12-30&to=9999-12-31"])
def test_extreme_report_dates_get_400(client, supervisor, query):
    for path in ("/api/reports", "/api/reports/summary.csv"):
        response = client.get(f"{path}?{query}", headers=supervisor)
        assert response.status_code == 400 and response.get_json()["error"] == "invalid_date"
    for day in ("9999-12-31", "0001-01-01"):
        response = client.get(f"/api/reports/capacity?day={day}", headers=supervisor)
        assert response.status_code == 400 and response.get_json()["error"] == "invalid_date"


def test_a_full_disk_is_a_kind_503(app, client):
    """SQLite's "database or disk is full", simulated with max_page_count on the pooled connections."""
    pool = app.extensions["motcua.pool"]
    held = [pool.acquire() for _ in range(pool.keep)]  # every connection a request could get
    for db in held:
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
    for db in held:
        pool.release(db)
    for _ in range(500):  # the last pages' free space fills first
        response = client.post("/api/tickets", json={"service": "HT"})
        if response.status_code != 201:
            break
    assert response.status_code == 503 and response.get_json()["error"] == "storage_full"
    assert "thử lại" in response.get_json()["message"]


def test_the_cookie_secret_lives_in_a_private_file_not_in_the_database(app, config, db):
    path = config["database"]["path"] + ".secret"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert app.secret_key == open(path, encoding="ascii").read().strip() and len(app.secret_key) >= 64
    assert db.execute("SELECT count(*) FROM settings WHERE value = ?", (app.secret_key,)).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM settings WHERE key = 'secret_key'").fetchone()[0] == 0


def test_an_unexpected_error_is_a_json_500_and_its_traceback_is_logged(app, caplog):
    @app.get("/api/test-breaks")
    def breaks():
        raise ZeroDivisionError("a bug")

    with caplog.at_level("INFO"):
        response = app.test_client().get("/api/test-breaks")
    assert response.status_code == 500 and response.is_json
    assert response.get_json()["error"] == "internal" and "thử lại" in response.get_json()["message"]
    failed = [r for r in caplog.records if r.exc_info and r.exc_info[0] is ZeroDivisionError]
    assert failed and "a bug" in caplog.text and "Traceback" in caplog.text
    assert re.search(r"GET /api/test-breaks 500 \d+\.\dms", caplog.text)


def test_every_request_gets_one_access_line(client, caplog):
    with caplog.at_level("INFO", logger="motcua.access"):
        client.get("/api/services")
        client.post("/api/tickets", data="x")  # refused before any view runs: still logged
    lines = [r.getMessage() for r in caplog.records if r.name == "motcua.access"]
    assert len(lines) == 2
    assert re.fullmatch(r"GET /api/services 200 \d+\.\dms", lines[0])
    assert re.fullmatch(r"POST /api/tickets 415 \d+\.\dms", lines[1])


def test_every_page_sends_the_security_headers(app, client):
    """Issue 24, low 13: no page sent CSP, X-Frame-Options, nosniff or Referrer-Policy
    (/supervisor, /devices and /b/<token> included)."""
    for path in ("/kiosk", "/counter", "/supervisor", "/devices", "/display", "/reports", "/api/state",
                 "/t/no-such-token", "/kiosk/static/kiosk.js"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path
        assert "script-src 'self';" in headers["Content-Security-Policy"], path
        assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer", path
