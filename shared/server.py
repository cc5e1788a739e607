"""Run the server: the only module that touches eventlet.

In eventlet mode the standard library is monkey-patched here, before Flask
and Socket.IO are imported, so the rest of the code stays async-agnostic and
`server.async_mode: threading` remains a real switch. Listening sockets get
TCP_NODELAY (accepted sockets inherit it on Linux): without it, small
websocket frames wait ~40 ms for Nagle's algorithm and delayed ACKs.

The hall network carries hundreds of phones that nobody vouches for, so both
servers bound what a client can hold: an idle connection is closed after
`server.idle_timeout_s`, one address may hold at most
`server.max_connections_per_address`, and the whole server at most
`server.max_connections` (docs/security.md).
"""
import logging
import os
import resource
import socket
import sys
import threading
import warnings
import weakref
from datetime import datetime
from zoneinfo import ZoneInfo

log = logging.getLogger("motcua.server")
SWITCH_INTERVAL_S = 0.0005  # measured in bench/bench_calls.py: docs/performance.md


def _nodelay(sock: socket.socket) -> socket.socket:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def prepare(mode: str) -> None:
    """Get the process ready for its async mode; call before importing anything else."""
    if mode != "eventlet":
        return
    # Eventlet announces its own deprecation on import. We know (it is the
    # design's choice, and `threading` is the ready way out), so we say it
    # once in our own words instead of printing its warning in every log.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
    from eventlet import patcher, tpool

    from . import blocking, printer_devices

    blocking.run = tpool.execute
    # A worker thread that finished a COMMIT must get the GIL back from the event
    # loop to hand over its result; by default it waits up to 5 ms per turn, and a
    # busy loop (a broadcast to hundreds of displays) makes that every turn.
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    printer_devices.raw_write = patcher.original("os").write
    print("motcua: async mode eventlet (deprecated upstream; server.async_mode: threading also works)",
          file=sys.stderr)


class ConnectionCap:
    """Open connections per client address, so that one phone (or script) cannot
    take the slots the hall's screens need. A connection counts until its socket
    is closed; closed ones are noticed lazily, at the next accept."""

    def __init__(self, total: int, per_address: int):
        self.total, self.per_address = total, per_address
        self._open: dict[str, list[weakref.ref]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _alive(ref: weakref.ref) -> bool:
        sock = ref()
        return sock is not None and sock.fileno() != -1

    def admit(self, address: str, sock) -> bool:
        with self._lock:
            for key in list(self._open):
                alive = [ref for ref in self._open[key] if self._alive(ref)]
                if alive:
                    self._open[key] = alive
                else:
                    del self._open[key]
            mine = self._open.setdefault(address, [])
            if (self.per_address and len(mine) >= self.per_address) or \
                    sum(map(len, self._open.values())) >= self.total:
                if not mine:
                    del self._open[address]
                return False
            mine.append(weakref.ref(sock))
            return True


class _CappedListener:
    """An eventlet listening socket whose accept() turns away connections over the cap."""

    def __init__(self, sock, cap: ConnectionCap):
        self.sock, self.cap = sock, cap

    def accept(self):
        while True:
            conn, address = self.sock.accept()
            if self.cap.admit(address[0], conn):
                return conn, address
            log.warning("connection from %s refused: connection limit reached", address[0])
            conn.close()

    def __getattr__(self, name):
        return getattr(self.sock, name)


class HeaderDeadline:
    """Mixed into both servers' request handlers: a request's line and headers must all
    arrive within `header_deadline_s` of the moment the server starts waiting for them.
    The socket timeout alone restarts at every byte, so one byte every few seconds held
    an unfinished request (and its connection slot) open for ever."""

    header_deadline_s = 60.0

    def handle_one_request(self):
        self._deadline = threading.Timer(self.header_deadline_s, self._cut_off)
        self._deadline.daemon = True
        self._deadline.start()
        try:
            super().handle_one_request()
        finally:
            self._deadline.cancel()

    def parse_request(self):
        """Called once the request line is in; returns when the headers are too."""
        parsed = super().parse_request()
        self._deadline.cancel()
        return parsed

    def _cut_off(self):
        log.warning("connection from %s closed: no complete request within %s s", self.client_address[0],
                    self.header_deadline_s)
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # closed already


def _allow_descriptors(needed: int) -> None:
    """Each connection is a file descriptor; the usual soft limit (1,024) is below a hall's."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def serve(config, host: str | None = None, port: int | None = None) -> int:
    """Run until killed; `prepare` must have run first."""
    cfg = config.server
    host = host or cfg.host
    port = port or cfg.port

    from . import booking, chores, events, presence, printer_registry, queue
    from .app import create_app
    from .web import get_db, now

    app = create_app(config)
    with app.app_context():
        queue.start_day(get_db(), now())  # idempotent: with several processes the first does it
        printer_registry.forget_agents_of(get_db(), os.getpid())  # a pid reused from a killed process
        booking.hash_clear_id_numbers(get_db(), config)  # CCCD numbers an earlier release kept in clear
        presence.forget_process(get_db(), os.getpid(), now())
    events.socketio.start_background_task(events.day_rollover, app)
    events.socketio.start_background_task(events.watch_agents, app)
    events.socketio.start_background_task(events.beat_forever, app)
    # Notices leave from the outbox on the server's own green threads (or threads),
    # never inside a request; with several processes each claims its own rows.
    events.socketio.start_background_task(chores.work_forever, config, events.socketio.sleep)
    base = cfg.public_url or f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    _print_urls(config, base)
    _allow_descriptors(cfg.max_connections + 256)  # + the database, clips, printer, logs
    cap = ConnectionCap(cfg.max_connections, cfg.max_connections_per_address)
    if cfg.async_mode == "eventlet":
        import eventlet
        import eventlet.wsgi

        class Protocol(HeaderDeadline, eventlet.wsgi.HttpProtocol):
            header_deadline_s = cfg.idle_timeout_s

        listener = _CappedListener(_nodelay(eventlet.listen((host, port), backlog=512)), cap)
        eventlet.wsgi.server(listener, app, log_output=False, max_size=cfg.max_connections, protocol=Protocol,
                             keepalive=cfg.idle_timeout_s, socket_timeout=cfg.idle_timeout_s)
    else:
        from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

        class Handler(HeaderDeadline, WSGIRequestHandler):
            timeout = cfg.idle_timeout_s  # a read that waits longer ends the connection
            header_deadline_s = cfg.idle_timeout_s

            def log_request(self, code="-", size="-"):
                """Not werkzeug's line: it holds the whole path, tokens included; the app
                logs every request itself, without them (shared/app.py, logged_path)."""

            def handle_one_request(self):
                """A finished websocket ends its connection: werkzeug would otherwise wait on
                it for a next request, holding the thread while the screen waits 3 s for
                the close (websocket-client's timeout) or the idle timeout passes."""
                super().handle_one_request()
                headers = getattr(self, "headers", None)  # None when no request came at all
                if headers is not None and headers.get("Upgrade", "").lower() == "websocket":
                    self.close_connection = True

        class Server(ThreadedWSGIServer):
            request_queue_size = 512

            def verify_request(self, request, client_address):
                if cap.admit(client_address[0], request):
                    return True
                log.warning("connection from %s refused: connection limit reached", client_address[0])
                return False

        server = Server(host, port, app, handler=Handler)
        _nodelay(server.socket)
        server.serve_forever()
    return 0


def _print_urls(config, base: str) -> None:
    """The pages, and for a center with no kiosk yet, one-time links that enrol
    this browser as the kiosk and as the first counter's rating tablet."""
    print(f"motcua serving {config.center.name}", flush=True)
    for label, path in (("kiosk", "/kiosk"), ("counter", "/counter"), ("display", "/display"),
                        ("supervisor", "/supervisor"), ("devices", "/devices"), ("reports", "/reports")):
        print(f"  {label:<11}{base}{path}", flush=True)
    from .enrolment import first_enrolment_links
    from .hours import closed_notice

    for line in first_enrolment_links(config, base):
        print(line, flush=True)
    closed = closed_notice(config.center.hours, datetime.now(ZoneInfo(config.center.timezone)))
    if closed:
        print(closed, flush=True)
