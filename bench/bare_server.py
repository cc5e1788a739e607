"""Baseline for bench_calls.py: a bare Flask-SocketIO app that emits `called` on POST.

Same async server as motcua (eventlet, optionally TCP_NODELAY) but no database
and no queue logic, so the difference is what motcua itself costs.
usage: python bench/bare_server.py PORT [--nodelay]
"""
import socket
import sys
import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
import eventlet  # noqa: E402

eventlet.monkey_patch()

import eventlet.wsgi  # noqa: E402
from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="eventlet")
TICKET = {"id": 0, "number": "1001", "service": "HT", "service_name": "Hộ tịch", "status": "called",
          "priority": False, "issued_at": "", "called_at": "", "finished_at": None,
          "counter": {"id": 1, "name": "Quầy 1"}, "recalls": 0, "ahead": 0}


@app.post("/emit")
def emit():
    ticket = dict(TICKET, id=int(request.args["id"]), number=request.args["id"])
    socketio.emit("called", {"ticket": ticket, "counter": ticket["counter"], "recall": False})
    return {"ticket": ticket}


@app.get("/ping")
def ping():
    return {"ok": True}


if __name__ == "__main__":
    listener = eventlet.listen(("127.0.0.1", int(sys.argv[1])))
    if "--nodelay" in sys.argv:
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # Like motcua's server.max_connections: eventlet's default of 1,024 would leave
    # displays beyond it waiting to be accepted.
    eventlet.wsgi.server(listener, app, log_output=False, max_size=100000)
