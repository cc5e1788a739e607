"""Notices: the outbox, the gateway body, and a real server sending through a fake
gateway that fails, then answers, across kill -9 of the server."""
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from shared import notify
from shared.config import validate

from conftest import TZ

ALL_WEEK = {"mon-sun": ["00:00-24:00"]}


class Gateway:
    """An SMS gateway on a loopback port: refuses (HTTP 503) while `failing`, records what it accepted."""

    def __init__(self):
        self.failing = True
        self.held = threading.Event()     # set: a request is being held open
        self.release = threading.Event()  # clear: hold the next request until it is set
        self.release.set()
        self.refused = 0
        self.accepted: list[dict] = []
        self.lock = threading.Lock()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if not gateway.release.is_set():
                    gateway.held.set()
                    gateway.release.wait(30)
                with gateway.lock:
                    if gateway.failing or self.headers.get("X-Api-Key") != "k3y":
                        gateway.refused += 1
                        self.send_response(503)
                    else:
                        gateway.accepted.append({**body, "key": self.headers["Idempotency-Key"]})
                        self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/send"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def wait(self, until, timeout=40.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if until(self):
                    return
            time.sleep(0.1)
        raise AssertionError(f"gateway: refused {self.refused}, accepted {len(self.accepted)}")


@pytest.fixture
def gateway():
    gw = Gateway()
    yield gw
    gw.http.shutdown()


def booking_extra(gateway_url: str) -> dict:
    return {
        "center": {"hours": ALL_WEEK},
        "booking": {"enabled": True, "max_per_address_hour": 0, "places": 40},
        "notify": {"kind": "webhook", "url": gateway_url, "key_header": "X-Api-Key", "key": "k3y",
                   "body": {"to": "{phone}", "text": "{message}", "id": "{id}"}, "timeout_s": 2,
                   "remind_before_min": 0},
    }


def book(srv, phone: str, slot: str = "08:00", timeout: float = 10):
    day = requests.get(srv.url + "/api/booking", timeout=timeout).json()["days"][1]  # tomorrow: every slot is ahead
    return requests.post(srv.url + "/api/bookings", timeout=timeout, json={
        "service": "HT", "day": day, "slot": slot, "name": "Lê Văn Cường", "phone": phone})


def test_every_notice_arrives_once_across_failures_and_kill_9(make_server, gateway):
    extra = booking_extra(gateway.url)
    srv = make_server("eventlet", extra).start()
    for i in range(3):
        assert book(srv, f"091000000{i}").status_code == 201
    gateway.wait(lambda g: g.refused >= 3)  # every notice tried, and refused
    srv.kill()  # kill -9 with notices pending (some claimed mid-retry)

    gateway.failing = False
    srv = make_server("eventlet", extra).start()
    for i in range(3, 5):
        assert book(srv, f"091000000{i}").status_code == 201
    gateway.wait(lambda g: len(g.accepted) >= 5)
    srv.kill()  # kill -9 after the successes: none may go out again
    srv = make_server("threading", extra).start()
    time.sleep(3)  # several polls of the restarted worker

    phones = sorted(n["to"] for n in gateway.accepted)
    assert phones == [f"091000000{i}" for i in range(5)]
    assert len({n["id"] for n in gateway.accepted}) == 5
    assert all(n["key"] == f"motcua-notice-{n['id']}" and "Mã " in n["text"] for n in gateway.accepted)
    supervisor = srv.token("supervisor")
    notices = requests.get(srv.url + "/api/bookings", headers=supervisor, timeout=10).json()["notices"]
    assert notices["sent"] == 5 and notices["pending"] == 0


def test_two_server_processes_on_one_database_send_each_notice_once(make_server, gateway):
    """Both workers poll the same outbox while the gateway fails, then answers."""
    extra = booking_extra(gateway.url)
    first = make_server("eventlet", extra).start()
    second = make_server("threading", extra).start()
    for i in range(10):
        assert book(first if i % 2 else second, f"09400000{i:02d}").status_code == 201
    gateway.wait(lambda g: g.refused >= 10)
    gateway.failing = False
    gateway.wait(lambda g: len(g.accepted) >= 10)
    time.sleep(2)  # both workers poll again: nothing more may arrive
    assert sorted(n["to"] for n in gateway.accepted) == [f"09400000{i:02d}" for i in range(10)]


@pytest.mark.parametrize("async_mode", ["eventlet", "threading"])
def test_a_slow_gateway_never_holds_up_a_request(make_server, gateway, async_mode):
    """While the worker waits on the gateway, the server answers and books as usual."""
    gateway.failing = False
    gateway.release.clear()
    extra = booking_extra(gateway.url)
    extra["notify"]["timeout_s"] = 20  # a send made inside a request would hold it that long
    srv = make_server(async_mode, extra).start()
    assert book(srv, "0930000001", timeout=5).status_code == 201
    assert gateway.held.wait(10), "the worker never reached the gateway"
    assert requests.get(srv.url + "/api/services", timeout=5).ok
    assert book(srv, "0930000002", timeout=5).status_code == 201  # its notice waits its turn in the outbox
    gateway.release.set()
    gateway.wait(lambda g: len(g.accepted) == 2)


def test_twenty_bookings_at_once_for_the_last_place_over_http(make_server, gateway):
    extra = booking_extra(gateway.url)
    extra["booking"]["services"] = {"HT": {"places": 1}}
    srv = make_server("eventlet", extra).start()
    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(lambda i: book(srv, f"09200000{i:02d}", "09:00"), range(20)))
    codes = sorted(r.status_code for r in replies)
    assert codes == [201] + [409] * 19
    assert {r.json()["error"] for r in replies if r.status_code == 409} == {"slot_full"}


def test_backoff_then_failed_for_good(db, raw_config):
    raw_config["center"]["hours"] = ALL_WEEK
    raw_config["notify"] = {"kind": "webhook", "url": "http://127.0.0.1:9/none", "max_attempts": 3, "timeout_s": 1}
    config = validate(raw_config)
    at = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
    with db.conn:
        notify.enqueue(db, config.notify, at, "booked", None, "0912345678", "xin chào")
    assert notify.send_due(db, config, at) == 0  # nothing listens on port 9
    row = db.execute("SELECT status, attempts, next_at FROM outbox").fetchone()
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["next_at"] == (at + timedelta(seconds=notify.BACKOFF_S)).isoformat(timespec="milliseconds")
    assert notify.claim(db, at + timedelta(seconds=1), 10) == []  # not due yet
    notify.send_due(db, config, at + timedelta(seconds=5))
    notify.send_due(db, config, at + timedelta(seconds=15))
    assert db.execute("SELECT status FROM outbox").fetchone()[0] == "failed"
    assert notify.summary(db)["failed"] == 1
    assert notify.retry_failed(db, at) == 1


def test_claims_are_exclusive_until_the_lease_expires(db, raw_config):
    raw_config["notify"] = {"kind": "webhook", "url": "http://127.0.0.1:9/none"}
    config = validate(raw_config)
    at = datetime(2026, 11, 23, 8, 0, tzinfo=TZ)
    with db.conn:
        for i in range(3):
            notify.enqueue(db, config.notify, at, "booked", None, f"09123456{i:02d}", "x")
    first = notify.claim(db, at, lease_s=30)
    assert [n["id"] for n in first] == [1, 2, 3]
    assert notify.claim(db, at + timedelta(seconds=29), lease_s=30) == []
    assert len(notify.claim(db, at + timedelta(seconds=31), lease_s=30)) == 3  # the claimer died


def test_body_template_replaces_only_its_placeholders():
    notice = {"id": 7, "kind": "booked", "phone": "0912345678", "message": "Mã {code} {id}"}
    body = notify.render({"to": "{phone}", "sms": {"text": "{message}", "ref": "n{id}"}, "tags": ["{kind}"], "n": 1},
                         notice)
    assert body == {"to": "0912345678", "sms": {"text": "Mã {code} {id}", "ref": "n7"}, "tags": ["booked"], "n": 1}
