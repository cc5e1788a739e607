"""Run the server: the only module that touches eventlet.

In eventlet mode the standard library is monkey-patched here, before Flask
and Socket.IO are imported, so the rest of the code stays async-agnostic and
`server.async_mode: threading` remains a real switch. Listening sockets get
TCP_NODELAY (accepted sockets inherit it on Linux): without it, small
websocket frames wait ~40 ms for Nagle's algorithm and delayed ACKs.
"""
import socket
import sys
import warnings


def _nodelay(sock: socket.socket) -> socket.socket:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _eventlet_writer(ws):
    """write(frames) for an eventlet websocket: hand the bytes to the kernel now.

    Takes the websocket's own send lock without waiting (a send in progress must
    not be cut into) and writes on the green socket's non-blocking OS socket, so
    a broadcast never switches tasks per client. If the kernel takes only part,
    a green thread sends the rest, holding the lock so nothing overtakes it.
    """
    import eventlet

    lock, green, raw = ws._sendlock, ws.socket, ws.socket.fd

    def finish(rest: bytes) -> None:
        try:
            green.sendall(rest)
        except OSError:
            pass  # the client went away: its reader closes the connection
        finally:
            lock.release()

    def write(frames: bytes) -> bool:
        if not lock.acquire(blocking=False):
            return False
        try:
            sent = raw.send(frames)
        except OSError:  # full (BlockingIOError) or gone: the queue's writer deals with it
            lock.release()
            return False
        if sent < len(frames):
            eventlet.spawn(finish, frames[sent:])
        else:
            lock.release()
        return True

    return write


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

    from . import fanout, printing

    printing.offload = tpool.execute
    printing.raw_write = patcher.original("os").write
    fanout.direct_writer = _eventlet_writer
    print("motcua: async mode eventlet (deprecated upstream; server.async_mode: threading also works)",
          file=sys.stderr)


def serve(config: dict, host: str | None = None, port: int | None = None) -> int:
    """Run until killed; `prepare` must have run first."""
    host = host or config["server"]["host"]
    port = port or config["server"]["port"]
    mode = config["server"]["async_mode"]

    from . import events, queue
    from .app import create_app
    from .web import get_db, now

    app = create_app(config)
    with app.app_context():
        queue.start_day(get_db(), now())
    events.socketio.start_background_task(events.day_rollover, app)
    _print_urls(config, host, port)
    if mode == "eventlet":
        import eventlet
        import eventlet.wsgi

        listener = _nodelay(eventlet.listen((host, port)))
        eventlet.wsgi.server(listener, app, log_output=False)
    else:
        from werkzeug.serving import make_server

        server = make_server(host, port, app, threaded=True)
        _nodelay(server.socket)
        server.serve_forever()
    return 0


def _print_urls(config: dict, host: str, port: int) -> None:
    base = config["server"]["public_url"] or f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    print(f"motcua serving {config['center']['name']}", flush=True)
    for label, path in (("kiosk", "/kiosk"), ("counter", "/counter"), ("display", "/display"),
                        ("supervisor", "/supervisor"), ("reports", "/reports")):
        print(f"  {label:<11}{base}{path}", flush=True)
