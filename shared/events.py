"""Everything the server pushes over Socket.IO, emitted only after the commit.

`called` goes out at once (the hall must hear it now); `state` is rebuilt
from the database and coalesced, so a burst of changes (14 counters pressing
at once) costs each display one small message, not fourteen.
Names and payloads are documented in docs/api.md.
"""
import threading

from flask import current_app
from flask_socketio import SocketIO, emit

from . import queue
from .web import get_db, now, settings

socketio = SocketIO()


def current_state() -> dict:
    return queue.state(get_db(), now(), settings()["queue"]["recent_calls"])


@socketio.on("connect")
def on_connect(auth=None):
    """A display (re)connects: give it the whole picture so it never shows stale numbers."""
    emit("state", current_state())


class _StateBroadcast:
    """Send one fresh `state` after a short quiet window following any change."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pending = False

    def schedule(self, app) -> None:
        with self._lock:
            if self._pending:
                return
            self._pending = True
        socketio.start_background_task(self._flush, app)

    def _flush(self, app) -> None:
        socketio.sleep(app.config["MOTCUA"]["server"]["state_coalesce_ms"] / 1000)
        with self._lock:
            self._pending = False  # a change from here on schedules another flush
        with app.app_context():
            socketio.emit("state", current_state())


_broadcast = _StateBroadcast()


def changed() -> None:
    """Something in the queue changed: displays get a fresh `state` shortly."""
    _broadcast.schedule(current_app._get_current_object())


def called(ticket: dict, recall: bool) -> None:
    """A number was called (or called again): announce it at once, then refresh state."""
    socketio.emit("called", {"ticket": ticket, "counter": ticket["counter"], "recall": recall})
    changed()
