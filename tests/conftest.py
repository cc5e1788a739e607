"""Shared fixtures: a demo config on a temporary database, an app, a real server process."""
import atexit
import contextlib
import functools
import os
import queue as queues
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlparse
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
import socketio
import yaml

# python-escpos parses its printer database (YAML, about a second) at every import unless it
# finds the pickle it leaves in ESCPOS_CAPABILITIES_PICKLE_DIR (shared/printer_profiles.py points it at
# the user's cache): one folder of the run's own lets every server and CLI process it starts
# reuse it without writing outside the test's folders.
if "ESCPOS_CAPABILITIES_PICKLE_DIR" not in os.environ:
    os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = tempfile.mkdtemp(prefix="motcua-tests-escpos-")
    atexit.register(shutil.rmtree, os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"], ignore_errors=True)
    # Written here, once (0.2 s), before pytest-xdist's workers start: python-escpos writes
    # its pickle in place, and a process opening it half-written fails (EOFError).
    import shared.printer_profiles  # noqa: E402,F401

from shared import presence  # noqa: E402 - after the variable above
from shared.auth import create_token, enrol_device, identify, invite_device  # noqa: E402
from shared.enrolment import invite_link  # noqa: E402
from shared.config import read_raw, validate  # noqa: E402
from shared.db import connect, init_database  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))  # the benches' helpers, shared with these tests
from serving import wait_until_serving  # noqa: E402
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ASYNC_MODES = ("eventlet", "threading")

# Tests pass at any hour: `make test-clock` runs the tests that start real servers at fixed
# instants of the center's day (MOTCUA_TEST_AT, e.g. 2026-11-30T23:59): each `motcua serve`
# then runs under Debian's libfaketime from that instant on, at the real pace, and the tests
# compute what they expect with center_now(), the same moved clock. In-process tests use the
# fixed `clock` fixture (app.config["CLOCK"]) and need none of this.
TEST_AT = os.environ.get("MOTCUA_TEST_AT")
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
CLOCK_SHIFT = (datetime.fromisoformat(TEST_AT).replace(tzinfo=TZ) - datetime.now(TZ)) if TEST_AT else timedelta(0)


def center_now() -> datetime:
    """The center's time as the servers of this run see it (moved by MOTCUA_TEST_AT)."""
    return datetime.now(TZ) + CLOCK_SHIFT


def faked_clock_env(async_mode: str, at: datetime | None = None) -> dict:
    """The environment of a server process whose clock starts at `at` (a test that needs a
    given hour), else at the run's moved clock (MOTCUA_TEST_AT), else the real one. Only
    eventlet servers: under libfaketime a threading server's state events stall (measured:
    tests/test_events.py's threading cases time out), so `test-clock` runs eventlet ones."""
    if at is None and not TEST_AT:
        return dict(os.environ)
    assert async_mode == "eventlet", "a moved clock (libfaketime) is for eventlet servers only"
    assert os.path.exists(FAKETIME_LIB), "a moved clock needs Debian's faketime package (make system-deps)"
    start = (at or center_now()).astimezone(timezone.utc)
    return {**os.environ, "LD_PRELOAD": FAKETIME_LIB, "TZ": "UTC", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            "FAKETIME": start.strftime("@%Y-%m-%d %H:%M:%S")}


def demo_raw(db_path) -> dict:
    """The shipped config.yaml, pointed at a test database."""
    raw = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    raw["database"]["path"] = str(db_path)
    raw["server"]["async_mode"] = "threading"
    raw["server"]["state_coalesce_ms"] = 5
    raw["center"].pop("hours", None)  # tests run on any day; test_kiosk sets hours itself
    raw["center"].pop("counter_hours", None)  # counters call all day (tests that need hours set them)
    raw["kiosk"] = {"max_tickets_per_minute": 0}  # tests issue at machine speed
    # Every test client, browser page and display is on 127.0.0.1; test_server's flood
    # test sets the cap itself and floods from another loopback address.
    raw["server"]["max_connections_per_address"] = 0
    return raw


@pytest.fixture
def raw_config(tmp_path):
    return demo_raw(tmp_path / "motcua.db")


@pytest.fixture
def config(raw_config):
    return validate(raw_config)


class Clock:
    """A hand-moved clock in the center's time zone (a weekday morning)."""

    def __init__(self):
        self.at = datetime(2026, 11, 23, 7, 30, tzinfo=TZ)

    def __call__(self):
        return self.at

    def tick(self, seconds=1.0):
        self.at += timedelta(seconds=seconds)
        return self.at


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def db(config):
    database = connect(config["database"]["path"])
    init_database(database, config)
    yield database
    database.conn.close()


@pytest.fixture
def app(config, clock):
    from shared.app import create_app

    application = create_app(config)
    application.config["CLOCK"] = clock
    return application


@contextlib.contextmanager
def opened(config):
    """A connection of the test's own to the app's database."""
    database = connect(config["database"]["path"])
    try:
        yield database
    finally:
        database.conn.close()


def staff(database, at, *counter_ids) -> None:
    """An officer present at each of these counters (their counter page connected, from this
    live process), as presence sees an officer's page: the domain's tests and in-process apps."""
    for cid in counter_ids:
        token = identify(database, create_token(database, "officer", f"Cán bộ {cid}", at))
        presence.counter_page_joined(database, f"page-{token['id']}", cid, token["id"],
                                     f"officer:{token['id']}:Cán bộ {cid}", f"session-{token['id']}", at)


@pytest.fixture
def staffed(config, clock):
    """Officers at counters 1..7 (the demo center's), for tests of serving, not of presence."""
    with opened(config) as database:
        staff(database, clock(), *range(1, 8))


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def invite(config, kind: str, name: str, counter_id=None) -> str:
    """A one-time enrolment code, as `motcua device invite` makes one."""
    with opened(config) as database:
        return invite_device(database, kind, name, counter_id, datetime.now(TZ))


def enrolled_client(app, config, kind="kiosk", name="Sảnh", counter_id=None):
    """A test client that opened its enrolment link, as a kiosk's or tablet's browser does."""
    test_client = app.test_client()
    enrolled = test_client.post("/api/devices/enrol", json={"code": invite(config, kind, name, counter_id), "browser": True})
    assert enrolled.status_code == 201
    return test_client


@pytest.fixture
def client(app, config):
    """The app's test client, enrolled as a kiosk (so it may issue tickets)."""
    return enrolled_client(app, config)


def _token(config, role):
    with opened(config) as database:
        return create_token(database, role, f"test {role}", datetime.now(TZ))


def device_secret(config, kind: str, name: str, counter_id=None) -> str:
    """An enrolled device's credential, as a kiosk program gets it from /api/devices/enrol."""
    with opened(config) as database:
        return enrol_device(database, invite(config, kind, name, counter_id), datetime.now(TZ))[1]


@pytest.fixture
def kiosk(app, config):
    """Bearer headers of an enrolled kiosk: only these may issue tickets."""
    return bearer(device_secret(config, "kiosk", "Sảnh"))


@pytest.fixture
def officer(app, config):
    return bearer(_token(config, "officer"))


@pytest.fixture
def supervisor(app, config):
    return bearer(_token(config, "supervisor"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def open_websocket(port: int, extra_headers: str = "") -> tuple[socket.socket, str, str]:
    """A Socket.IO websocket opened by hand, for tests of the handshake and of the TCP
    connection itself: the connected socket, the answer's status line and its headers."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall((
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra_headers}\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    status, _, headers = head.partition(b"\r\n\r\n")[0].decode().partition("\r\n")
    return sock, status, headers


class Server:
    """A real `motcua serve` process on a loopback port."""

    def __init__(self, workdir: Path, async_mode: str, extra: dict | None = None, at: datetime | None = None):
        self.workdir = workdir
        self.at = at  # the center time this server's clock starts at (libfaketime), or None
        self.config_path = workdir / "config.yaml"
        raw = demo_raw(workdir / "motcua.db")
        raw["server"]["async_mode"] = self.async_mode = async_mode
        for section, values in (extra or {}).items():  # e.g. {"printer": {...}, "center": {"hours": ...}}
            raw.setdefault(section, {}).update(values)
        self.config_path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.log = workdir / "server.log"
        self.program = [sys.executable, "-m", "shared.cli"]  # test_install: an installed `motcua`
        self.cwd = ROOT

    def cli(self, *args) -> str:
        out = subprocess.run(
            [*self.program, "--config", str(self.config_path), *args],
            cwd=self.cwd, capture_output=True, text=True, timeout=60, check=True,
        )
        return out.stdout

    @contextlib.contextmanager
    def database(self):
        """This server's config and database, brought up to date first as every `motcua`
        database command does: tokens and invitations are made here, in the test's process,
        as `motcua token create` and `device invite` make them (test_cli runs those commands)."""
        raw, path = read_raw(self.config_path)
        config = validate(raw, base_dir=path.parent)
        database = connect(config["database"]["path"])
        try:
            init_database(database, config)
            yield config, database
        finally:
            database.conn.close()

    def token(self, role: str) -> dict:
        with self.database() as (_, database):
            return bearer(create_token(database, role, "", center_now()))

    def enrol_link(self, kind: str, name: str | None = None, counter: int | None = None) -> str:
        """A one-time enrolment link (at this server) for a browser page to open first."""
        with self.database() as (config, database):
            link = invite_link(config, database, kind, name or None, counter, center_now())
        return self.url + urlparse(link).path

    @functools.cached_property
    def kiosk(self) -> dict:
        """Bearer headers of this server's enrolled kiosk (made on first use)."""
        return self.device("kiosk", "Sảnh")

    def staff(self, *counter_ids, token: str | None = None) -> list:
        """An officer present at each of these counters (`token`'s, else a new "Cán bộ <id>"):
        a logged-in counter page's connection each (Socket.IO clients, open until the test
        disconnects them or the server stops)."""
        pages = []
        for cid in counter_ids:
            if token is None:
                with self.database() as (_, database):
                    secret = create_token(database, "officer", f"Cán bộ {cid}", datetime.now(TZ))
            http = requests.Session()
            http.post(self.url + "/api/login", json={"token": token or secret}, timeout=5).raise_for_status()
            page = socketio.Client(reconnection=False)
            page.connect(self.url, headers={"Cookie": "; ".join(f"{k}={v}" for k, v in http.cookies.items())},
                         transports=["websocket"], auth={"page": "counter", "counter": cid}, wait_timeout=10)
            pages.append(page)
        return pages

    def device(self, kind: str, name: str | None = None, counter: int | None = None) -> dict:
        """Bearer headers of a device enrolled through the API, as kiosk software would."""
        code = self.enrol_link(kind, name, counter).rsplit("/", 1)[1]
        reply = requests.post(self.url + "/api/devices/enrol", json={"code": code}, timeout=10)
        reply.raise_for_status()
        return bearer(reply.json()["secret"])

    def start(self):
        self.proc = subprocess.Popen(
            [*self.program, "--config", str(self.config_path), "serve",
             "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=self.cwd, stdout=self.log.open("ab"), stderr=subprocess.STDOUT,
            env=faked_clock_env(self.async_mode, self.at),
        )
        wait_until_serving(self.url, "/api/services", self.proc, self.log)
        return self

    def now(self) -> datetime:
        """The center's time by this server's clock (which a test may have moved)."""
        epoch_ms = requests.get(self.url + "/api/time", timeout=5).json()["epoch_ms"]
        return datetime.fromtimestamp(epoch_ms / 1000, TZ)

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            self.proc.wait(timeout=10)


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


@pytest.fixture(params=ASYNC_MODES)
def server(request, tmp_path):
    srv = Server(tmp_path, request.param).start()
    yield srv
    srv.kill(signal.SIGTERM)


@pytest.fixture
def make_server(tmp_path):
    """Start servers by hand (restart tests); all are stopped afterwards."""
    started = []

    def make(async_mode="eventlet", extra=None, at=None):
        srv = Server(tmp_path, async_mode, extra, at)
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.kill()


# Browser tests: Debian's chromium (installed by `make test`), driven by Playwright,
# never a browser downloaded by Playwright itself.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--mute-audio", "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="session")
def browser():
    from playwright import sync_api

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: `make test` installs it with apt"
    # expect()'s 5 s default is too short on a loaded 2-core CI machine (a tablet's prompt was
    # once seen after more than 5 s); a passing assertion returns as soon as it holds, and the
    # tests that bound a delay pass their own timeout.
    sync_api.expect.set_options(timeout=15_000)
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def local_only(context, outside: list):
    """Refuse, and remember, any request that would leave the machine."""
    def handle(route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()
    context.route("**/*", handle)
