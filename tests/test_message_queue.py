"""Several server processes, one database, one Redis: one center (server.message_queue)."""
import shutil
import socket
import subprocess
import time

import pytest
import requests

from conftest import Display, Server, free_port


@pytest.fixture
def redis_url(tmp_path):
    """A real redis-server of the test's own, on a free loopback port, saving nothing."""
    server = shutil.which("redis-server")
    assert server, "Debian's redis-server is missing: `make test` installs it with apt"
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


def test_three_processes_act_as_one_server(tmp_path, redis_url):
    """A call made through any process reaches the displays of every process, in order;
    numbers stay unique and gap-free; state is the same everywhere; a kill -9 of one
    process leaves the others serving."""
    extra = {"server": {"message_queue": redis_url}}
    servers = [Server(tmp_path, mode, extra).start() for mode in ("eventlet", "eventlet", "threading")]
    officer, kiosk = servers[0].token("officer"), servers[0].kiosk
    displays = [Display(srv.url) for srv in servers]
    try:
        for display in displays:
            display.next("state")
        numbers = [requests.post(srv.url + "/api/tickets", headers=kiosk, json={"service": "HT"},
                                 timeout=5).json()["number"] for srv in servers * 4]
        assert numbers == [str(n) for n in range(1001, 1013)]
        for counter, srv in zip((1, 2, 1), servers):  # each process calls once
            requests.post(f"{srv.url}/api/counters/{counter}/call-next", headers=officer, json={},
                          timeout=5).raise_for_status()
        for display in displays:
            called = [display.next("called")["ticket"]["number"] for _ in range(3)]
            assert called == ["1001", "1002", "1003"]
        states = [requests.get(srv.url + "/api/state", timeout=5).json() for srv in servers]
        assert states[0] == states[1] == states[2]

        servers[1].kill()  # SIGKILL: the other two go on
        requests.post(f"{servers[2].url}/api/counters/2/call-next", headers=officer, json={},
                      timeout=5).raise_for_status()
        for display in (displays[0], displays[2]):
            assert display.next("called")["ticket"]["number"] == "1004"
        fresh = requests.post(servers[0].url + "/api/tickets", headers=kiosk, json={"service": "HT"}, timeout=5)
        assert fresh.json()["number"] == "1013"
    finally:
        for display in displays:
            try:
                display.close()
            except Exception:  # noqa: BLE001 - the killed process's display is gone already
                pass
        for srv in servers:
            srv.kill()


def test_a_printer_agent_on_one_process_prints_tickets_issued_on_another(tmp_path, redis_url):
    """Printer health and printer agents are shared: the agent of kiosk A is connected to
    process 1 only, yet a ticket issued through process 2 reaches it, and a fault seen
    by one process shows in every process's state."""
    import socketio

    extra = {"server": {"message_queue": redis_url}, "printer": {"kind": "agent"}}
    first, second = (Server(tmp_path, "eventlet", extra).start() for _ in range(2))
    try:
        kiosk_a = second.device("kiosk", "A")
        slips = []
        agent = socketio.Client(reconnection=False)
        agent.on("print", lambda data: slips.append(data["slip"]["number"]))
        agent.connect(first.url, auth={"device": kiosk_a["Authorization"][7:]}, transports=["websocket"],
                      wait_timeout=5)
        try:
            issued = requests.post(second.url + "/api/tickets", headers=kiosk_a, json={"service": "CT"}, timeout=5).json()
            deadline = time.monotonic() + 5
            while not slips and time.monotonic() < deadline:
                time.sleep(0.05)
            assert slips == [issued["number"]]
            assert agent.call("print_result", {"number": issued["number"], "ok": False, "error": "hết giấy"},
                              timeout=5) == {"ok": True}
            for srv in (first, second):
                printer = requests.get(srv.url + "/api/state", timeout=5).json()["printer"]
                assert printer["ok"] is False and "hết giấy" in printer["error"]
        finally:
            agent.disconnect()
        requests.post(second.url + "/api/tickets", headers=second.device("kiosk", "B"), json={"service": "CT"},
                      timeout=5).raise_for_status()
        printer = requests.get(first.url + "/api/state", timeout=5).json()["printer"]
        assert "no printer agent connected for kiosk 'B'" in printer["error"]
    finally:
        first.kill()
        second.kill()


def test_a_screen_that_connects_gets_its_state_without_a_publish(tmp_path, redis_url):
    """The connect-time `state` goes to one client of this process, so it skips the queue.
    Published, a whole hall reconnecting at once (a Wi-Fi blip) is one publish per screen:
    past redis-py's pool of 100 connections publishes fail, python-socketio then reconnects
    and its subscription is down for a second, and calls are lost (seen in bench_calls.py
    with 4 processes and 2,000 screens: 17 calls never reached one process's 500 screens)."""
    import redis

    listener = redis.Redis.from_url(redis_url).pubsub()
    listener.subscribe("flask-socketio")

    def published():
        """What was published since the last look (until the channel is quiet for 0.5 s)."""
        messages = []
        while (message := listener.get_message(timeout=0.5)) is not None:
            if message["type"] == "message":
                messages.append(message["data"].decode())
        return messages

    server = Server(tmp_path, "eventlet", {"server": {"message_queue": redis_url}}).start()
    displays = [Display(server.url) for _ in range(3)]
    try:
        for display in displays:
            display.next("state")
        assert published() == []
        requests.post(server.url + "/api/tickets", headers=server.kiosk, json={"service": "HT"},
                      timeout=5).raise_for_status()
        requests.post(server.url + "/api/counters/1/call-next", headers=server.token("officer"), json={},
                      timeout=5).raise_for_status()
        for display in displays:
            assert display.next("called")["ticket"]["number"] == "1001"
        assert any('"called"' in message for message in published())  # the listener does hear broadcasts
    finally:
        for display in displays:
            display.close()
        server.kill()
        listener.close()
