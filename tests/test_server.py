"""The server process: restart after kill -9, the socket options it relies on, and the
limits that keep a hall full of phones from locking the screens out."""
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date, timedelta

import pytest
import requests

from conftest import ASYNC_MODES, open_websocket
from shared.server import SWITCH_INTERVAL_S, ConnectionCap, _nodelay


def test_kill_9_and_restart_keeps_queues_counters_and_numbering(make_server):
    server = make_server("eventlet").start()
    officer = server.token("officer")
    supervisor = server.token("supervisor")
    issued = [requests.post(server.url + "/api/tickets", headers=server.kiosk, json={"service": "HT"}, timeout=5).json()
              for _ in range(4)]
    requests.post(server.url + "/api/counters/1/call-next", headers=officer, timeout=5, json={})
    requests.post(server.url + "/api/counters", headers=supervisor,
                  json={"name": "Quầy 8", "services": ["HT"]}, timeout=5)
    requests.patch(server.url + "/api/counters/3", headers=supervisor, json={"open": False}, timeout=5)
    before = requests.get(server.url + "/api/state", timeout=5).json()

    server.kill()  # SIGKILL: no chance to flush anything
    server.start()

    after = requests.get(server.url + "/api/state", timeout=5).json()
    assert after["counters"] == before["counters"]
    assert after["services"] == before["services"]
    assert after["counters"][0]["current"]["number"] == issued[0]["number"]
    assert len(after["counters"]) == 8 and after["counters"][2]["open"] is False
    fresh = requests.post(server.url + "/api/tickets", headers=server.kiosk, json={"service": "HT"}, timeout=5).json()
    assert fresh["number"] == "1005"
    # Tokens survive too, and the queue carries on in order.
    nxt = requests.post(server.url + "/api/counters/1/call-next", headers=officer, timeout=5, json={}).json()
    assert nxt["ticket"]["number"] == issued[1]["number"]


def test_threading_mode_serves_and_restarts(make_server):
    server = make_server("threading").start()
    number = requests.post(server.url + "/api/tickets", headers=server.kiosk, json={"service": "CT"}, timeout=5).json()["number"]
    server.kill()
    server.start()
    again = requests.post(server.url + "/api/tickets", headers=server.kiosk, json={"service": "CT"}, timeout=5).json()["number"]
    assert (number, again) == ("2001", "2002")


def test_accepted_sockets_inherit_tcp_nodelay():
    """The server sets TCP_NODELAY on its listener only; Linux copies it to each connection."""
    listener = _nodelay(socket.create_server(("127.0.0.1", 0)))
    with listener, socket.create_connection(listener.getsockname()) as _client:
        conn, _ = listener.accept()
        with conn:
            assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_the_server_starts_the_day_at_start_up(make_server):
    """A field closed for the day yesterday is open again as soon as the server starts."""
    from datetime import datetime, timedelta

    from conftest import TZ
    from shared.db import connect

    server = make_server("eventlet")
    server.cli("init")
    db = connect(str(server.workdir / "motcua.db"))
    yesterday = (datetime.now(TZ) - timedelta(days=1)).isoformat(timespec="milliseconds")
    db.execute("UPDATE services SET open = 0 WHERE code = 'DD'")
    db.execute("INSERT INTO audit (at, kind, service) VALUES (?, 'service_closed', 'DD')", (yesterday,))
    db.conn.close()
    server.start()
    services = {s["code"]: s for s in requests.get(server.url + "/api/services", timeout=5).json()}
    assert services["DD"]["open"] is True


def _still_open(sock: socket.socket) -> bool:
    """Whether the server still holds this connection (it has not closed its end)."""
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


@pytest.mark.parametrize("mode", ASYNC_MODES)
def test_a_flood_of_idle_connections_locks_nobody_out(make_server, mode):
    """1,100 idle connections from one address (a phone, a script): the server keeps at
    most its per-address cap, closes idle ones after idle_timeout_s, and the hall, on
    another address, is served throughout. Bounded: 1,100 connections, about 10 s."""
    srv = make_server(mode, {"server": {"max_connections_per_address": 40, "idle_timeout_s": 3}}).start()
    kiosk = srv.kiosk
    flood = []
    try:
        for _ in range(1100):
            sock = socket.socket()
            sock.bind(("127.0.0.2", 0))
            sock.settimeout(2)
            try:
                sock.connect(("127.0.0.1", srv.port))
                flood.append(sock)
            except OSError:
                sock.close()
        assert len(flood) >= 1000  # the kernel took them; the server decides what to keep
        assert requests.get(srv.url + "/api/state", timeout=5).ok
        issued = requests.post(srv.url + "/api/tickets", headers=kiosk, json={"service": "HT"}, timeout=5)
        assert issued.status_code == 201
        deadline = time.monotonic() + 2
        while sum(map(_still_open, flood)) > 40 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert sum(map(_still_open, flood)) <= 40
        deadline = time.monotonic() + 8  # idle_timeout_s is 3
        while any(map(_still_open, flood)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(map(_still_open, flood))
        assert requests.get(srv.url + "/kiosk/static/kiosk.css", timeout=5).ok
    finally:
        for sock in flood:
            sock.close()


def test_connection_cap_counts_open_sockets_per_address():
    cap = ConnectionCap(total=3, per_address=2)
    a1, a2, a3, b1, b2 = (socket.socket() for _ in range(5))
    try:
        assert cap.admit("10.0.0.1", a1) and cap.admit("10.0.0.1", a2)
        assert not cap.admit("10.0.0.1", a3)  # per address
        assert cap.admit("10.0.0.2", b1)
        assert not cap.admit("10.0.0.2", b2)  # in total
        a1.close()
        assert cap.admit("10.0.0.1", a3) and len(cap._open) == 2
        for sock in (a2, a3, b1):
            sock.close()
        assert cap.admit("10.0.0.3", b2) and list(cap._open) == ["10.0.0.3"]  # closed ones are forgotten
    finally:
        for sock in (a1, a2, a3, b1, b2):
            sock.close()


@pytest.mark.parametrize("mode", ASYNC_MODES)
def test_a_held_write_lock_freezes_no_screen_and_ends_in_503_busy(make_server, mode):
    """Another process holds the write lock (a backup, a stuck script): pages and
    state are still served at once, and the ticket waiting for the lock gets a kind
    503 after the bounded wait (5 s), never a 500 and never a frozen hall."""
    srv = make_server(mode).start()
    kiosk = srv.kiosk
    holder = sqlite3.connect(srv.workdir / "motcua.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    answers = {}
    waiting = threading.Thread(target=lambda: answers.update(ticket=requests.post(
        srv.url + "/api/tickets", headers=kiosk, json={"service": "HT"}, timeout=30)))
    try:
        waiting.start()
        time.sleep(0.5)  # the ticket now waits for the lock
        assert requests.get(srv.url + "/kiosk/static/kiosk.css", timeout=2).ok
        assert requests.get(srv.url + "/api/state", timeout=2).ok
        waiting.join(timeout=20)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    refused = answers["ticket"]
    assert refused.status_code == 503 and refused.json()["error"] == "busy"
    assert "thử lại" in refused.json()["message"]
    assert requests.post(srv.url + "/api/tickets", headers=kiosk, json={"service": "HT"}, timeout=5).status_code == 201


def test_a_year_long_report_runs_beside_the_hall_not_in_front_of_it(make_server):
    """Under eventlet a report over 366 busy days takes seconds of work; the hall's
    state is answered while it is still being computed."""
    srv = make_server("eventlet").start()
    supervisor = srv.token("supervisor")
    first = date(2025, 1, 1)
    with sqlite3.connect(srv.workdir / "motcua.db") as db:
        rows = []
        for d in range(366):
            day = first + timedelta(days=d)
            for n in range(150):
                at = f"{day.isoformat()}T08:{n % 60:02d}:00.000+07:00"
                rows.append((day.isoformat(), "HT", "HT", n + 1, str(1001 + n), "done", at, at, at, at,
                             f"{day}-{n}"))
        db.executemany(
            """INSERT INTO tickets (day, service, issued_service, seq, number, status, issued_at, arrived_at,
                                    called_at, finished_at, token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
        db.execute("""INSERT INTO audit (at, kind, ticket_id, counter_id, actor)
                      SELECT called_at, 'called', id, 1, 'officer:1:A' FROM tickets""")
        db.execute("""INSERT INTO audit (at, kind, ticket_id, counter_id, actor)
                      SELECT finished_at, 'finished', id, 1, 'officer:1:A' FROM tickets""")
    done = {}

    def report():
        response = requests.get(srv.url + "/api/reports", params={"from": "2025-01-01", "to": "2026-01-01"},
                                headers=supervisor, timeout=120)
        done["report"] = (time.monotonic(), response)

    worker = threading.Thread(target=report)
    worker.start()
    time.sleep(0.2)
    requests.get(srv.url + "/api/state", timeout=60).raise_for_status()
    state_answered = time.monotonic()
    worker.join(timeout=120)
    report_answered, response = done["report"]
    assert response.status_code == 200 and response.json()["summary"]["issued"] == 366 * 150
    assert state_answered < report_answered


@pytest.mark.parametrize("mode", ASYNC_MODES)
def test_eventlet_hands_the_gil_to_worker_threads_sooner(mode):
    """Under eventlet a COMMIT's worker thread waits for the GIL behind the event loop;
    a shorter switch interval bounds that wait (docs/performance.md has the figures)."""
    interval = subprocess.run(
        [sys.executable, "-c", f"from shared import server; server.prepare({mode!r}); import sys; "
                               "print(sys.getswitchinterval())"],
        capture_output=True, text=True, check=True).stdout
    assert float(interval) == (SWITCH_INTERVAL_S if mode == "eventlet" else sys.getswitchinterval())


@pytest.mark.parametrize("mode", ASYNC_MODES)
def test_a_closed_websocket_ends_its_connection(make_server, mode):
    """When a screen closes its websocket the server closes the TCP connection too, instead
    of keeping it (and, in threading mode, its thread) waiting for another request."""
    server = make_server(mode).start()
    sock, status, _ = open_websocket(server.port)
    with sock:
        assert " 101 " in status
        sock.sendall(b"\x88\x80\x00\x00\x00\x00")  # a masked close frame, no payload
        sock.settimeout(2)  # far below the idle timeout, far above a prompt close
        while sock.recv(4096):  # the server's close frame, then the end of the stream
            pass                # (socket.timeout if the server holds the connection)
