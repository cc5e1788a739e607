"""The broadcast fan-out: frames built once, written straight where possible, in order always."""
import json
import queue as queues
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from wsproto.frame_protocol import FrameProtocol, Opcode

from shared import events, fanout
from conftest import ROOT, Server


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 200_000])
def test_websocket_frame_is_what_a_client_reads(size):
    text = ("Hộ tịch " * (size // 8 + 1))[:size]
    client = FrameProtocol(client=True, extensions=[])
    client.receive_bytes(fanout.websocket_frame(text))
    frames = list(client.received_frames())
    assert [(f.opcode, f.message_finished) for f in frames] == [(Opcode.TEXT, True)]
    assert frames[0].payload == text


class FakeSocket:
    """What the fan-out reads of an Engine.IO socket."""

    def __init__(self, queued=0, upgraded=True):
        self.closed = False
        self.upgraded = upgraded
        self.queue = queues.Queue()
        for _ in range(queued):
            self.queue.put("earlier packet")


class FakeServer:
    """A python-socketio server reduced to what the fan-out uses; records the queued path."""

    def __init__(self, sockets):
        from socketio import packet

        self.packet_class = packet.Packet
        self.eio = type("Eio", (), {"sockets": sockets})()
        self.manager = type("Manager", (), {"get_participants": lambda _s, ns, room: [
            (f"sio-{sid}", sid) for sid in sockets]})()
        self.queued = []

    def _send_eio_packet(self, eio_sid, pkt):
        self.queued.append((eio_sid, pkt.encode()))


class FakeSocketIO:
    """Runs the flush task by hand, as the async server would once the caller yields."""

    def __init__(self, server):
        self.server = server
        self.tasks = []

    def start_background_task(self, fn):
        self.tasks.append(fn)

    def run_tasks(self):
        tasks, self.tasks = self.tasks, []
        for task in tasks:
            task()


@pytest.fixture
def writers(monkeypatch):
    """Direct writers by sid: each records its frames and says whether it could take them."""
    written, accepts = {}, {}

    def register(sid, accept=True):
        accepts[sid] = accept
        written[sid] = []

        def write(frames):
            if accepts[sid]:
                written[sid].append(frames)
            return accepts[sid]

        monkeypatch.setitem(fanout._writers, sid, write)

    register.written = written
    return register


def test_a_burst_leaves_in_one_write_per_socket_and_in_order(writers):
    sockets = {"a": FakeSocket(), "b": FakeSocket()}
    writers("a")
    writers("b")
    sio = FakeSocketIO(FakeServer(sockets))
    broadcast = fanout.Broadcaster(sio)
    broadcast.emit("called", {"n": 1})
    broadcast.emit("state", {"n": 2})
    broadcast.emit("called", {"n": 3})
    assert len(sio.tasks) == 1  # the burst shares one flush
    sio.run_tasks()
    expected = b"".join(fanout.websocket_frame("4" + sio.server.packet_class(2, data=data).encode())
                        for data in (["called", {"n": 1}], ["state", {"n": 2}], ["called", {"n": 3}]))
    assert writers.written == {"a": [expected], "b": [expected]}
    assert sio.server.queued == []


def test_a_socket_that_cannot_take_it_now_gets_the_queue_in_order(writers):
    sockets = {"direct": FakeSocket(), "busy": FakeSocket(), "queued": FakeSocket(queued=1),
               "polling": FakeSocket(upgraded=False), "unknown": FakeSocket()}
    for sid in ("direct", "queued", "polling"):
        writers(sid)
    writers("busy", accept=False)  # e.g. its writer is in the middle of a send
    sio = FakeSocketIO(FakeServer(sockets))
    broadcast = fanout.Broadcaster(sio)
    broadcast.emit("called", {"n": 1})
    broadcast.emit("state", {"n": 2})
    sio.run_tasks()
    assert len(writers.written["direct"]) == 1
    assert writers.written["queued"] == writers.written["polling"] == []
    texts = ['42["called",{"n":1}]', '42["state",{"n":2}]']
    assert sio.server.queued == [(sid, text) for sid in ("busy", "queued", "polling", "unknown") for text in texts]


def test_flushes_in_threads_never_reorder_broadcasts(writers):
    """Threading mode runs each flush in its own thread: a second flush waits for
    the first, so a client never gets a newer broadcast before an older one."""
    sockets = {sid: FakeSocket() for sid in "abc"}
    for sid in sockets:
        writers(sid)
    sio = FakeSocketIO(FakeServer(sockets))
    threads = []

    def in_a_thread(fn):
        threads.append(threading.Thread(target=fn))
        threads[-1].start()

    sio.start_background_task = in_a_thread
    slow = threading.Event()
    first_write = fanout._writers["a"]
    calls = []

    def slow_write(frames):
        calls.append(frames)
        if len(calls) == 1:  # the first flush is still writing when the next broadcast comes
            slow.wait(5)
        return first_write(frames)

    fanout._writers["a"] = slow_write
    broadcast = fanout.Broadcaster(sio)
    broadcast.emit("called", {"n": 1})
    time.sleep(0.05)
    broadcast.emit("state", {"n": 2})
    time.sleep(0.05)
    slow.set()  # the state flush, if it did not wait, has written everything by now
    for t in threads:
        t.join(5)
    assert len(threads) == 2
    frames = [fanout.websocket_frame("4" + sio.server.packet_class(2, data=data).encode())
              for data in (["called", {"n": 1}], ["state", {"n": 2}])]
    assert writers.written == {sid: frames for sid in "abc"}


def test_called_then_state_arrive_in_that_order(app):
    """Through Flask-SocketIO's own path (threading mode, test client)."""
    display = events.socketio.test_client(app)
    display.get_received()
    with app.app_context():
        events.broadcast.emit("called", {"n": 1})
        events.broadcast.emit("state", {"n": 2})
    received = []
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(received) < 2:
        time.sleep(0.02)
        received += display.get_received()
    assert [(m["name"], m["args"][0]["n"]) for m in received] == [("called", 1), ("state", 2)]
    display.disconnect()


EVENTLET_SCRIPT = textwrap.dedent("""
    import json, socket, sys
    from shared import server
    server.prepare("eventlet")
    import eventlet, eventlet.wsgi, socketio
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import Request, TextMessage
    from shared import events, fanout
    from shared.app import create_app
    from shared.config import load_config

    writes = []
    real = fanout.direct_writer

    def counting(ws):
        write = real(ws)
        def counted(frames):
            ok = write(frames)
            writes.append(ok)
            return ok
        return counted

    fanout.direct_writer = counting
    app = create_app(load_config(sys.argv[1]))
    listener = eventlet.listen(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    eventlet.spawn(eventlet.wsgi.server, listener, app, log_output=False)

    # A screen that stops reading (a frozen TV): small buffers, joined, then silent.
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", port))
    ws = WSConnection(ConnectionType.CLIENT)
    stalled.sendall(ws.send(Request(host="127.0.0.1", target="/socket.io/?EIO=4&transport=websocket")))
    texts, part = [], []

    def read_stalled(until):
        while not any(t.startswith(until) for t in texts):
            ws.receive_data(stalled.recv(65536))
            for event in ws.events():
                if isinstance(event, TextMessage):
                    part.append(event.data)
                    if event.message_finished:
                        texts.append("".join(part))
                        part.clear()

    read_stalled("0")
    stalled.sendall(ws.send(TextMessage(data="40")))
    read_stalled("40")

    got = []
    client = socketio.Client(reconnection=False)
    client.on("called", lambda data: got.append(data["n"]))
    client.connect(f"http://127.0.0.1:{port}", transports=["websocket"])
    eventlet.sleep(0.3)  # the connect-time state has left the queues
    rounds, filler = 40, "Mời công dân số 1001 đến quầy 1. " * 3000  # ~100 KB each
    with app.app_context():
        for n in range(rounds):
            events.broadcast.emit("called", {"n": n, "text": filler})
            eventlet.sleep(0.01)
    for _ in range(200):
        if len(got) == rounds:
            break
        eventlet.sleep(0.05)
    reader_got = list(got)
    read_stalled('42["called",{"n":%d,' % (rounds - 1))
    stalled_got = [json.loads(t[2:])[1]["n"] for t in texts if t.startswith('42["called"')]
    client.disconnect()
    print(json.dumps({"reader": reader_got, "stalled": stalled_got, "intact": all(
        json.loads(t[2:])[1]["text"] == filler for t in texts if t.startswith('42["called"')),
        "writes": writes}))
""")


def test_eventlet_direct_writes_keep_order_and_a_stalled_screen_stalls_nobody(tmp_path):
    """Under eventlet broadcasts really take the direct path. A screen that stops
    reading fills its socket: the rest of its frames wait for it (whole, in order)
    while the other screens get every event."""
    config_path = Server(tmp_path, "eventlet").config_path  # the demo config, not started
    out = subprocess.run([sys.executable, "-c", EVENTLET_SCRIPT, str(config_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.splitlines()[-1])
    assert result["reader"] == list(range(40))
    assert result["stalled"] == list(range(40))
    assert result["intact"]
    assert True in result["writes"]  # direct writes happened
    assert False in result["writes"]  # and the stalled screen fell back to its queue
