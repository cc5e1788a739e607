"""Everything the server pushes over Socket.IO, emitted only after the commit.

`called` goes out at once (the hall must hear it now); `state` is rebuilt
from the database and throttled, so a burst of changes (14 counters pressing
at once) costs each display two small messages, not fourteen. Both go through
Flask-SocketIO's own `emit`, so python-socketio's manager delivers them to every
client in order, and with `server.message_queue` to the clients of every server
process. Names and payloads are documented in docs/api.md.
"""
import logging
import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, SocketIO, emit, join_room

from . import audit, auth, devices, hall, health, presence, printer_registry, queue, voice
from .auth import allowed, identify
from .web import actor_of, config, get_db, now

log = logging.getLogger("motcua.events")
socketio = SocketIO()


def current_state() -> dict:
    db = get_db()
    state = hall.state(db, now(), config().queue.recent_calls)
    state["notice"] = hall.notice(db)
    state["printer"] = printer_registry.health(db, config().printer.kind)
    return state


@socketio.on("connect")
def on_connect(auth=None):
    """A display (re)connects: give it the whole picture so it never shows stale numbers.

    A printer agent connects with auth {"token", "kiosk"}: a valid officer token
    puts it in that kiosk's printer room; a bad one is refused.
    """
    if isinstance(auth, dict) and "kiosk" in auth:
        kiosk, caller = auth["kiosk"], identify(get_db(), auth.get("token"))
        if not allowed(caller, "officer") or not isinstance(kiosk, str) or not kiosk:
            raise ConnectionRefusedError("unauthorized")
        join_room(f"printer:{kiosk}")
        printer_registry.agent_joined(get_db(), request.sid, kiosk, audit.stamp(now()))
        return
    if isinstance(auth, dict) and isinstance(auth.get("page"), str):
        _page_joined(auth)
    # To this one client, which is connected to this process: not through the message
    # queue, where a whole hall reconnecting at once (a Wi-Fi blip) would be a publish
    # per screen and exhaust the Redis connection pool (docs/performance.md).
    emit("state", current_state(), ignore_queue=True)
    emit("beat", beat(), ignore_queue=True)


def _page_joined(hello: dict) -> None:
    """A page says what it is ({"page", "counter"?}); only a logged-in officer's counter
    page (presence) and an enrolled device's own page get a row. Anyone else stays a
    plain listener, as a phone is."""
    db, at, page, counter = get_db(), now(), hello["page"], hello.get("counter")
    if page == "counter":
        secret = session.get("staff")
        caller = auth.session_holder(db, secret, at)
        if (allowed(caller, "officer") and isinstance(counter, int) and not isinstance(counter, bool)
                and presence.counter_page_joined(db, request.sid, counter, caller["id"], actor_of(caller),
                                                 auth.session_key(secret), at)):
            changed()
        return
    device = auth.identify_device(db, session.get("device"))
    if device is not None:
        devices.device_joined(db, request.sid, page, device, at)


@socketio.on("disconnect")
def on_disconnect(*_reason):
    printer_registry.agent_left(get_db(), request.sid)
    grace = config().health.presence_grace_s
    left = presence.screen_left(get_db(), request.sid, now(), grace)
    if left is not None and left["kind"] == "counter":
        # Present for the grace still; the screens learn it ended once it has.
        socketio.start_background_task(_after, current_app._get_current_object(), grace + 0.5)


def _after(app, seconds: float) -> None:
    socketio.sleep(seconds)
    changed(app)


@socketio.on("report")
def on_report(data=None):
    """A trusted page's device report (shared/devices.py); the answer is the ack."""
    return devices.report(get_db(), request.sid, data, now())


def beat() -> dict:
    """What every page hears every health.beat_s: the server's version (a page of another
    version reloads), how often beats come (silence for 2.5 of them: reconnect), and the
    latest call (a display that has not heard it asks for what it missed)."""
    return {"version": health.version(), "every": config().health.beat_s,
            "last_call": devices.latest_call(get_db(), now())}


def beat_forever(app) -> None:
    """Forever, in each server process: a beat to the pages connected to this process."""
    while True:
        socketio.sleep(app.config["MOTCUA"].health.beat_s)
        try:
            with app.app_context():
                socketio.emit("beat", beat(), ignore_queue=True)
        except Exception:  # noqa: BLE001 - a locked database this once; the next beat tries again
            log.exception("beat failed")


def printer_agent(sid: str) -> str | None:
    """The kiosk a printer agent connected to this process prints for, or None for any other client."""
    return printer_registry.agent_kiosk(get_db(), sid)


def send_to_printer(kiosk: str, slip: dict) -> bool:
    """Send a ticket to the printer agent of `kiosk` (connected to any server process);
    False when none is connected."""
    if not printer_registry.has_agent(get_db(), kiosk):
        return False
    socketio.emit("print", {"slip": slip}, to=f"printer:{kiosk}")
    return True


class _StateBroadcast:
    """At most one `state` per window: the first change goes out at once, a burst
    that follows is folded into one more `state` at the end of the window."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pending = False
        self._last_sent = float("-inf")

    def schedule(self, app) -> None:
        with self._lock:
            if self._pending:
                return
            self._pending = True
        socketio.start_background_task(self._flush, app)

    def _flush(self, app) -> None:
        window = app.config["MOTCUA"].server.state_coalesce_ms / 1000
        socketio.sleep(max(0.0, self._last_sent + window - time.monotonic()))
        with self._lock:
            self._pending = False  # a change from here on schedules another flush
        self._last_sent = time.monotonic()
        with app.app_context():
            socketio.emit("state", current_state())


_state_throttle = _StateBroadcast()


def changed(app=None) -> None:
    """Something changed: displays get a fresh `state` shortly (outside a request, pass the app)."""
    _state_throttle.schedule(app or current_app._get_current_object())


def called(ticket: dict, recall: bool) -> None:
    """A number was called (or called again): announce it at once, then refresh state."""
    counter = ticket["counter"]
    socketio.emit("called", {
        "ticket": ticket, "counter": counter, "recall": recall, "at": audit.stamp(now()),
        "announce": voice.announcement(ticket["number"], counter["name"], recall, config().voice,
                                       counter["id"]),
    })
    changed()


ROLLOVER_RETRY_S = 60


def day_rollover(app, retry_s: float = ROLLOVER_RETRY_S) -> None:
    """Forever: at each local midnight, close the old day and refresh every screen.

    A failure (a locked or full disk at midnight) is logged and tried again a
    minute later; it never ends the loop, or numbers would not restart until a
    restart. Tickets issued meanwhile close the old day themselves."""
    tz = ZoneInfo(app.config["MOTCUA"].center.timezone)
    wait = None
    while True:
        if wait is None:
            moment = datetime.now(tz)
            midnight = (moment + timedelta(days=1)).replace(hour=0, minute=0, second=1, microsecond=0)
            wait = (midnight - moment).total_seconds()
        socketio.sleep(wait)
        try:
            with app.app_context():
                queue.start_day(get_db(), now())
        except Exception:  # noqa: BLE001 - whatever it was, the loop must live
            log.exception("starting the new day failed; trying again in %s s", retry_s)
            wait = retry_s
            continue
        wait = None
        changed(app)
