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
from collections import OrderedDict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, SocketIO, disconnect, emit, join_room, rooms

from . import audit, auth, devices, hall, health, presence, printer_registry, queue, voice
from .auth import allowed, identify_device
from .web import actor_of, config, get_db, guessed_wrong, guesses_blocked_for, now

log = logging.getLogger("motcua.events")
socketio = SocketIO()
SCREEN_ROOM = "screens"  # the connections that wrote a row in `screens` (presence, device health)
MESSAGES_BURST = 30   # what one connection may send at once...
MESSAGES_PER_S = 10   # ...and per second after that (a printer agent: one per ticket)


def current_state() -> dict:
    db = get_db()
    state = hall.state(db, now(), config().queue.recent_calls)
    state["notice"] = hall.notice(db)
    state["printer"] = printer_registry.health(db, config().printer.kind)
    return state


@socketio.on("connect")
def on_connect(auth=None):
    """A display (re)connects: give it the whole picture so it never shows stale numbers.

    A printer agent connects with auth {"device": <its kiosk's device credential>}: it
    prints that kiosk's tickets, and only those (the kiosk is the credential's, never
    named by the agent); revoking the kiosk disconnects it (`drop_revoked_agents`).
    A trusted page says what it is with {"page", "counter"?} (`_page_joined`). Anything
    else in `auth` is refused.
    """
    if isinstance(auth, dict) and isinstance(auth.get("page"), str) and set(auth) <= {"page", "counter"}:
        _page_joined(auth)
    elif auth:
        if guesses_blocked_for():
            raise ConnectionRefusedError("too_many_logins")
        secret = auth.get("device") if isinstance(auth, dict) else None
        kiosk = identify_device(get_db(), secret if isinstance(secret, str) else None)
        if kiosk is None or kiosk["kind"] != "kiosk":
            guessed_wrong("printer agent credential")
            raise ConnectionRefusedError("unauthorized")
        join_room(f"printer:{kiosk['name']}")
        printer_registry.agent_joined(get_db(), request.sid, kiosk["name"], kiosk["id"], audit.stamp(now()))
        return
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
            join_room(SCREEN_ROOM)
            changed()
        return
    device = auth.identify_device(db, session.get("device"))
    if device is not None and devices.device_joined(db, request.sid, page, device, at):
        join_room(SCREEN_ROOM)


@socketio.on("disconnect")
def on_disconnect(*_reason):
    """Only a printer agent's and a registered screen's leaving is written down: a display
    that is no enrolled device (or a phone, or a script opening sessions by the thousand)
    leaves without taking the write lock."""
    joined = rooms()
    if any(room.startswith("printer:") for room in joined):
        printer_registry.agent_left(get_db(), request.sid)
    if SCREEN_ROOM in joined:
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


@socketio.on("*")
def on_anything_else(event, *_data):
    """Displays only receive: a client sending an event nobody handles is not one of ours."""
    refuse(f"sent an unknown event {str(event)[:40]!r}")


def refuse(why: str) -> None:
    """Disconnect the client that asked for what its role may not do (and say so once)."""
    log.warning("socket %s from %s disconnected: %s", request.sid, request.remote_addr, why)
    disconnect()


class MessageGuard:
    """Every Socket.IO message of a connection passes here before it is decoded (it wraps
    the Engine.IO `message` handler, which runs in the connection's own receive loop).

    A display sends one message (joining the namespace) and a printer agent one per
    ticket, so a connection may send `burst` messages and `per_s` a second after that; a
    connection over it, or sending a frame that does not decode, is disconnected with one
    log line. The audit's flood (257k frames in 5 s over one websocket) delayed every
    screen's `called` by 10 s and logged a traceback per malformed frame."""

    def __init__(self, eio, per_s: float, burst: int, max_connections: int):
        self.eio, self.per_s, self.burst, self.most = eio, per_s, burst, 2 * max_connections
        self.handle = eio.handlers["message"]
        self._allowance: OrderedDict[str, tuple[float | None, float]] = OrderedDict()  # None: cut off
        self._lock = threading.Lock()
        eio.on("message", self)

    def _admit(self, sid: str) -> bool | None:
        """True: handle the message; False: cut this connection off now; None: already cut
        (frames it had sent before the close still arrive, and are dropped unlogged)."""
        moment = time.monotonic()
        with self._lock:
            tokens, last = self._allowance.pop(sid, (self.burst, moment))
            if tokens is None:
                self._allowance[sid] = (None, moment)
                return None
            tokens = min(self.burst, tokens + (moment - last) * self.per_s) - 1
            self._allowance[sid] = (tokens if tokens >= 0 else None, moment)
            while len(self._allowance) > self.most:  # closed connections are forgotten oldest first
                self._allowance.popitem(last=False)
        return tokens >= 0

    def _cut(self, sid: str, why: str) -> None:
        with self._lock:
            self._allowance[sid] = (None, time.monotonic())
        log.warning("socket %s disconnected: %s", sid, why)
        self.eio.disconnect(sid)

    def __call__(self, sid, data):
        admitted = self._admit(sid)
        if not admitted:
            if admitted is False:
                self._cut(sid, f"more than {self.burst} messages at once")
            # Frames it sent before the close are still being read; under eventlet a
            # reader with data waiting never yields, so give the loop (and the task
            # closing this socket) its turn at each one.
            self.eio.sleep(0.001)
            return None
        try:
            return self.handle(sid, data)
        except ValueError as exc:  # a frame that is no Socket.IO packet: one line, no traceback
            self._cut(sid, f"malformed message ({str(exc)[:80]})")
            self.eio.sleep(0.001)
            return None


AGENT_CHECK_S = 5


def drop_revoked_agents() -> None:
    """Disconnect this process's printer agents whose kiosk was revoked (on /devices here,
    or by `motcua device revoke` in another process)."""
    for sid in printer_registry.revoked_agents(get_db()):
        log.warning("printer agent %s disconnected: its kiosk was revoked", sid)
        socketio.server.disconnect(sid)


def watch_agents(app, every_s: float = AGENT_CHECK_S) -> None:
    """Forever: revoked kiosks lose their printer agents within `every_s` seconds."""
    while True:
        socketio.sleep(every_s)
        try:
            with app.app_context():
                drop_revoked_agents()
        except Exception:  # noqa: BLE001 - the watch must outlive a locked database
            log.exception("checking printer agents failed; trying again")


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
