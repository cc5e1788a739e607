"""Broadcast events to every connected screen: encode once, write each socket once.

Flask-SocketIO hands a broadcast to a per-client queue that a per-client writer
task drains, re-framing the message for each client: with 200 hall displays that
is 400 task switches and 200 encodings before the last display hears a call, the
larger part of the ~30 ms measured in docs/performance.md. Here a broadcast is
framed once and, where the server entry point knows how (eventlet websockets, see
shared/server.py), written straight to each socket by one flush task; the
messages of a burst (14 counters pressing at once) leave in one write per socket.
A connection with anything already queued, or one that cannot take the bytes at
once, gets Flask-SocketIO's own path, so each client still sees events in order.
"""
import struct
import threading
from collections.abc import Callable

from engineio import packet as eio_packet
from socketio import packet as sio_packet

# How to write whole frames to a websocket without waiting: the server entry
# point sets it for async modes that allow it. It gets the websocket object and
# returns write(frames) -> bool (False: could not take them now, use the queue).
direct_writer: Callable | None = None

_writers: dict[str, Callable[[bytes], bool]] = {}  # Engine.IO sid -> write(frames)


def websocket_frame(text: str) -> bytes:
    """One unmasked, final WebSocket text frame (RFC 6455 5.2), as a server sends it."""
    payload = text.encode("utf-8")
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", 0x81, size)
    elif size < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, size)
    else:
        header = struct.pack("!BBQ", 0x81, 127, size)
    return header + payload


def install(server) -> None:
    """Learn each websocket connection of this python-socketio `server` as it opens.

    Engine.IO builds one websocket handler per connection from the class in its
    async driver; a subclass records the connection's writer under its sid for as
    long as the connection lives.
    """
    eio = server.eio
    base = eio._async.get("websocket")
    if base is None:
        return

    class Recording(base):
        def __init__(self, handler, eio_server):
            # The Engine.IO socket whose handler this is; should a later python-engineio
            # pass something else, its clients simply keep the queued path.
            sid = getattr(getattr(handler, "__self__", None), "sid", None)

            def recording(ws):
                if direct_writer is not None and sid is not None:
                    _writers[sid] = direct_writer(ws)
                try:
                    return handler(ws)
                finally:
                    _writers.pop(sid, None)

            super().__init__(recording, eio_server)

    eio._async = dict(eio._async, websocket=Recording)


class Broadcaster:
    """Queue of encoded events waiting for the next flush to every client of `/`."""

    def __init__(self, socketio):
        self._socketio = socketio
        self._lock = threading.Lock()  # guards _pending
        self._flushing = threading.Lock()  # one flush at a time: every client gets broadcasts in order
        self._pending: list[str] = []

    def emit(self, event: str, data) -> None:
        """Send `event` to every client soon, after the messages broadcast before it."""
        text = self._socketio.server.packet_class(sio_packet.EVENT, data=[event, data]).encode()
        with self._lock:
            self._pending.append(text)
            if len(self._pending) > 1:
                return  # a flush is already on its way and will take this one too
        self._socketio.start_background_task(self._flush)

    def _flush(self) -> None:
        with self._flushing:
            with self._lock:
                texts, self._pending = self._pending, []
            if texts:
                self._send(texts)

    def _send(self, texts: list[str]) -> None:
        server = self._socketio.server
        packets = [eio_packet.Packet(eio_packet.MESSAGE, text) for text in texts]
        frames = b"".join(websocket_frame(p.encode()) for p in packets)
        for _sid, eio_sid in server.manager.get_participants("/", None):
            if not self._write(server.eio.sockets.get(eio_sid), eio_sid, frames):
                for p in packets:
                    server._send_eio_packet(eio_sid, p)  # the path Manager.emit takes

    @staticmethod
    def _write(socket, eio_sid: str, frames: bytes) -> bool:
        """Write straight to the websocket when nothing queued could be overtaken."""
        write = _writers.get(eio_sid)
        if write is None or socket is None or socket.closed or not socket.upgraded or not socket.queue.empty():
            return False
        return write(frames)
