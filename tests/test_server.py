"""The server process: restart after kill -9, and the socket options it relies on."""
import socket

import requests

from shared.server import _nodelay


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
    db.execute("INSERT INTO events (at, kind, service) VALUES (?, 'service_closed', 'DD')", (yesterday,))
    db.conn.close()
    server.start()
    services = {s["code"]: s for s in requests.get(server.url + "/api/services", timeout=5).json()}
    assert services["DD"]["open"] is True
