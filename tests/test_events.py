"""Socket.IO events against a real server process, under eventlet and threading."""
import queue as queues
import time

import requests
import socketio

from shared.events import socketio as server_socketio


class Display:
    """A hall display: a Socket.IO client recording every event it receives."""

    def __init__(self, url):
        self.events = queues.Queue()
        self.client = socketio.Client(reconnection=False)
        for name in ("state", "called"):
            self.client.on(name, lambda data, name=name: self.events.put((name, data)))
        self.client.connect(url, transports=["websocket"], wait_timeout=10)

    def next(self, name, timeout=5.0, where=lambda data: True):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                got, data = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queues.Empty:
                break
            if got == name and where(data):
                return data
        raise AssertionError(f"no {name!r} event within {timeout}s")

    def close(self):
        self.client.disconnect()


def test_connect_sends_state(server):
    display = Display(server.url)
    try:
        state = display.next("state")
        assert [c["name"] for c in state["counters"]][:2] == ["Quầy 1", "Quầy 2"]
        assert {"counters", "services", "recent"} <= set(state)
        assert state == requests.get(server.url + "/api/state", timeout=5).json()
    finally:
        display.close()


def test_call_and_recall_reach_displays_after_commit(server):
    officer = server.token("officer")
    display = Display(server.url)
    try:
        display.next("state")
        ticket = requests.post(server.url + "/api/tickets", headers=server.kiosk, json={"service": "HT"}, timeout=5).json()
        display.next("state", where=lambda s: s["services"][0]["waiting"] == 1)
        requests.post(server.url + "/api/counters/1/call-next", headers=officer, timeout=5, json={})
        called = display.next("called")
        assert called["recall"] is False
        assert called["ticket"]["number"] == ticket["number"]
        assert called["counter"] == {"id": 1, "name": "Quầy 1"}
        # Committed before it was announced: the API already shows it.
        shown = requests.get(f"{server.url}/api/tickets/{ticket['id']}", timeout=5).json()
        assert shown["status"] == "called"
        state = display.next("state", where=lambda s: s["counters"][0]["current"] is not None)
        assert state["counters"][0]["current"]["number"] == ticket["number"]
        requests.post(server.url + "/api/counters/1/recall", headers=officer, timeout=5, json={})
        assert display.next("called")["recall"] is True
    finally:
        display.close()


def test_supervisor_changes_reach_every_display(server):
    supervisor = server.token("supervisor")
    displays = [Display(server.url) for _ in range(3)]
    try:
        for i in range(8, 15):
            response = requests.post(server.url + "/api/counters", headers=supervisor,
                                     json={"name": f"Quầy {i}", "services": ["HT"]}, timeout=5)
            assert response.status_code == 201
        for display in displays:
            state = display.next("state", where=lambda s: len(s["counters"]) == 14)
            assert all(c["open"] for c in state["counters"])
    finally:
        for display in displays:
            display.close()


def test_bursts_of_changes_are_coalesced(app, client):
    """20 tickets within one window cost each display two `state`s, not twenty:
    one at once for the first change, one at the end of the window for the rest."""
    app.config["MOTCUA"]["server"]["state_coalesce_ms"] = 1000  # the longest: a loaded CI machine is slow
    display = server_socketio.test_client(app)
    assert [m["name"] for m in display.get_received()] == ["state"]
    started = time.monotonic()
    for _ in range(20):
        client.post("/api/tickets", json={"service": "HT"})
    assert time.monotonic() - started < 1, "the burst did not fit in one window: the test proves nothing"
    deadline = time.monotonic() + 5
    received = []
    while time.monotonic() < deadline and len(received) < 2:
        time.sleep(0.05)
        received += display.get_received()
    time.sleep(1.2)
    received += display.get_received()
    assert [m["name"] for m in received] == ["state", "state"]
    assert received[-1]["args"][0]["services"][0]["waiting"] == 20
    display.disconnect()
