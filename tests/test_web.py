"""Request validation, in one helper for every JSON view (shared/web.py: request_json)."""
import pytest

from shared import queue
from shared.queue import QueueError


@pytest.mark.parametrize("method, url, body", [
    ("POST", "/api/counters/1/call", {"ticket": 1}),
    ("POST", "/api/counters/1/call-next", {"after": None}),
    ("POST", "/api/counters/1/transfer", {"service": "CT"}),
    ("POST", "/api/counters", {"name": "Quầy 9", "services": ["HT"]}),
    ("PUT", "/api/notice", {"text": "Nghỉ trưa 11:30"}),
])
def test_unknown_keys_are_refused_where_they_used_to_pass(client, supervisor, method, url, body):
    """A typo (here `tiket`) went unnoticed on these five: the known keys were read, the rest ignored."""
    response = client.open(url, method=method, headers=supervisor, json={**body, "tiket": 1})
    assert response.status_code == 400
    assert response.get_json()["error"] == "unknown_field" and "tiket" in response.get_json()["message"]
    assert client.get("/api/notice").get_json()["text"] == ""
    assert len(client.get("/api/counters").get_json()) == 7


@pytest.mark.parametrize("body, code", [
    ({"after": True}, "invalid_after"), ({"after": [1]}, "invalid_after"), ({"after": "any"}, None),
    ({}, None), ({"after": None}, None),
])
def test_call_next_after_is_checked_once(client, officer, body, code):
    response = client.post("/api/counters/1/call-next", headers=officer, json=body)
    assert (response.get_json().get("error"), response.status_code) == ((code, 400) if code else (None, 200))


def test_a_ticket_id_is_checked_by_the_domain_for_every_caller(db, clock):
    """The API's call and rating and the command line meet the same rule, in one place."""
    for bad in ("1", True, None, 1.0):
        with pytest.raises(QueueError) as exc:
            queue.call_ticket(db, 1, bad, clock())
        assert exc.value.code == "invalid_ticket"


def test_the_kiosks_priority_may_be_left_out_but_not_null(app, config):
    from conftest import enrolled_client

    kiosk = enrolled_client(app, config)
    assert kiosk.post("/api/tickets", json={"service": "HT"}).get_json()["priority"] is False
    refused = kiosk.post("/api/tickets", json={"service": "HT", "priority": None})
    assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_ticket"
