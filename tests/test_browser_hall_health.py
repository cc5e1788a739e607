"""Hall health in a real browser, on one server for the whole module (short grace and beats,
all-day hours): presence on the TV, the kiosk and the phone; the no-officer alert; presence
ending after the grace; mute and disconnected displays on the devices view and the dashboard;
a version change reloading a display between announcements. And a phone's flood of reports."""
import re
import shutil
import signal
import time

import pytest
import requests
import socketio

from conftest import CHROMIUM_ARGS, Server
from test_browser_pages import CSP_BYPASS, enrol, issue, open_page, sync_api

expect = sync_api.expect
ALL_DAY = {"mon-sun": ["00:00-24:00"]}
GRACE_S = 2


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = Server(tmp_path_factory.mktemp("hall"), "eventlet", {
        "center": {"hours": ALL_DAY},
        "health": {"presence_grace_s": GRACE_S, "beat_s": 1, "display_offline_s": 5, "no_officer_alert_min": 0},
    }).start()
    yield server
    server.kill(signal.SIGTERM)


def staffed(srv) -> set:
    return {c["id"] for c in requests.get(srv.url + "/api/state", timeout=5).json()["counters"] if c["staffed"]}


def wait_for(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def login(page, token):
    page.fill("#token", token)
    page.press("#token", "Enter")


def test_an_open_counter_without_an_officer_on_the_tv_the_kiosk_the_phone_and_the_dashboard(srv, browser):
    """Quầy 3 and Quầy 7 serve Chứng thực (CT), both open, nobody at them; Quầy 1 is staffed and idle."""
    kiosk_link = srv.enrol_link("kiosk", "Sảnh")
    boss = srv.token("supervisor")["Authorization"][7:]
    pages = srv.staff(1)
    hall = open_page(browser, srv.url + "/display", 1366, 768)
    three, one = hall.locator('.tile[data-counter="3"]'), hall.locator('.tile[data-counter="1"]')
    expect(three).to_have_class(re.compile(r"\bunstaffed\b"))
    expect(three.locator(".num")).to_have_text("Chưa có cán bộ")
    expect(one).to_have_class(re.compile(r"\bidle\b"))
    expect(one.locator(".num")).to_have_text("—")
    look = "e => [getComputedStyle(e).backgroundImage, getComputedStyle(e).borderStyle]"
    assert three.evaluate(look) != one.evaluate(look), "an unstaffed tile must not look like an idle one"

    kiosk = open_page(browser, kiosk_link, 1080, 1920)
    ct = kiosk.locator('#services button[data-service="CT"]')
    expect(ct.locator(".estimate")).to_have_text("Chưa có cán bộ tại quầy")
    ct.click()
    expect(kiosk.locator("#issued-counters")).to_have_text("Chưa có cán bộ tại quầy của lĩnh vực này")
    expect(kiosk.locator("#issued-wait")).to_have_text("Chưa có cán bộ tại quầy của lĩnh vực này")
    number = kiosk.locator("#issued-number").text_content()
    token = next(t for t in requests.get(srv.url + "/api/tickets?status=waiting", timeout=5).json()
                 if t["number"] == number)
    with srv.database() as (_, db):
        phone_token = db.execute("SELECT token FROM tickets WHERE id = ?", (token["id"],)).fetchone()[0]
    status = requests.get(f"{srv.url}/api/t/{phone_token}", timeout=5).json()
    assert (status["estimate"]["minutes"], status["estimate"]["reason"]) == (None, "no_officer")  # left out

    phone = open_page(browser, f"{srv.url}/t/{phone_token}", 390, 844)
    expect(phone.locator("#estimate")).to_contain_text("Chưa có cán bộ tại quầy")
    expect(phone.locator("#serving li").first).to_contain_text("chưa có cán bộ")

    board = open_page(browser, srv.url + "/supervisor")
    login(board, boss)
    expect(board.locator("#alerts li.no_officer")).to_contain_text("Chứng thực")

    pages += srv.staff(3)                                   # an officer comes to Quầy 3
    expect(three.locator(".num")).to_have_text("—")
    expect(three).not_to_have_class(re.compile(r"\bunstaffed\b"))
    expect(phone.locator("#estimate")).to_contain_text("Sắp đến lượt")
    expect(board.locator("#alerts li.no_officer")).to_have_count(0, timeout=20000)
    for page in pages:
        page.disconnect()
    for p in (hall, kiosk, phone, board):
        p.context.close()


def test_closing_the_counter_page_ends_presence_after_the_grace(srv, browser):
    officer = srv.token("officer")["Authorization"][7:]
    hall = open_page(browser, srv.url + "/display", 1366, 768)
    desk = open_page(browser, srv.url + "/counter?counter=5")
    login(desk, officer)
    expect(desk.locator("#desk")).to_be_visible()
    assert wait_for(lambda: 5 in staffed(srv)), "the logged-in counter page did not make its officer present"
    tile = hall.locator('.tile[data-counter="5"] .num')
    expect(tile).to_have_text("—")
    desk.context.close()
    closed = time.monotonic()
    assert 5 in staffed(srv)                                 # a reload or a blip does not flap
    expect(tile).to_have_text("Chưa có cán bộ", timeout=(GRACE_S + 5) * 1000)
    assert time.monotonic() - closed >= GRACE_S - 0.3
    assert 5 not in staffed(srv)
    hall.context.close()


def test_a_mute_display_and_a_disconnected_one_on_the_devices_view_and_the_dashboard(srv, browser):
    boss = srv.token("supervisor")["Authorization"][7:]
    mute_link, gone_link = srv.enrol_link("display", "TV cửa chính"), srv.enrol_link("display", "TV tầng 2")
    gone = open_page(browser, gone_link, 1366, 768)
    expect(gone.locator("#status")).to_have_attribute("data-status", "online")
    # Chromium started as a TV often is, without the kiosk's autoplay flag: its sound stays blocked.
    strict = browser.browser_type.launch(executable_path=shutil.which("chromium"), headless=True,
                                         args=[a for a in CHROMIUM_ARGS if not a.startswith("--autoplay")])
    try:
        # Enrolled in a tab of its own: pressing the enrol button lets that tab play sound.
        mute_context = strict.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN", **CSP_BYPASS)
        mute_context.set_default_timeout(5000)
        enrolling = mute_context.new_page()
        enrol(enrolling, mute_link)
        enrolling.close()
        mute = mute_context.new_page()
        mute.goto(srv.url + "/display")
        expect(mute.locator("#sound-on")).to_be_visible()    # "Bật âm thanh": the browser blocks sound
        gone.context.close()                                 # the other TV loses its connection
        devices = open_page(browser, srv.url + "/devices")
        login(devices, boss)
        rows = devices.locator("#live tr")
        expect(rows.filter(has_text="TV cửa chính")).to_contain_text("không phát được âm thanh", timeout=20000)
        expect(rows.filter(has_text="TV tầng 2")).to_contain_text("mất kết nối từ", timeout=10000)
        board = open_page(browser, srv.url + "/supervisor")
        login(board, boss)
        expect(board.locator("#alerts li.display_sound")).to_contain_text("TV cửa chính")
        # Offline for more than display_offline_s (5 s): the page reads the dashboard every 15 s.
        expect(board.locator("#alerts li.display_offline")).to_contain_text("TV tầng 2", timeout=25000)
        devices.context.close()
        board.context.close()
    finally:
        strict.close()


def test_a_version_change_reloads_a_display_between_announcements(srv, browser):
    """The page was served by an older version (its meta says so on the first load); the
    server's first beat tells it while a call is being read: it reloads once that call ended."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN", **CSP_BYPASS)
    context.set_default_timeout(10000)
    context.add_init_script("""
      if (!sessionStorage.getItem("loads")) {
        new MutationObserver((records, watch) => {
          const meta = document.querySelector('meta[name="motcua-version"]');
          if (meta) { meta.content = "0.0.0-old"; watch.disconnect(); }
        }).observe(document, {childList: true, subtree: true});
      }
      sessionStorage.setItem("loads", String(Number(sessionStorage.getItem("loads") || 0) + 1));
      addEventListener("DOMContentLoaded", () => {
        if (document.querySelector('meta[name="motcua-version"]').content !== "0.0.0-old") return;
        Announcer.test();                                    // a call is being read as the beat comes
        addEventListener("beforeunload", () => sessionStorage.setItem("unloaded", JSON.stringify(
          {pending: Announcer.pending(), log: Announcer.log, at: performance.now()})));
      });""")
    hall = context.new_page()
    hall.goto(srv.url + "/display")
    hall.wait_for_function("sessionStorage.getItem('loads') === '2'", timeout=30000)
    expect(hall.locator("#status")).to_have_attribute("data-status", "online")
    before = hall.evaluate("JSON.parse(sessionStorage.getItem('unloaded'))")
    assert before["pending"] == 0, "reloaded while a call was waiting or being read"
    assert [e["event"] for e in before["log"]] == ["start", "end"] and before["log"][1]["via"] == "clips"
    assert before["at"] >= before["log"][1]["at"]            # after the call ended, not during it
    assert before["log"][1]["at"] - before["log"][0]["at"] > 2000, "the call was cut short"
    assert hall.locator('meta[name="motcua-version"]').get_attribute("content") != "0.0.0-old"
    hall.wait_for_timeout(2500)                              # two more beats: no reload loop
    assert hall.evaluate("sessionStorage.getItem('loads')") == "2"
    context.close()


def test_a_display_that_hears_nothing_reconnects_and_catches_up(srv, browser):
    """Its first connection stays up (the engine's pings pass) but every event is lost: the
    display notices the missing beats, opens a new connection, shows the call it missed and
    speaks it (it is younger than voice.max_lag_s)."""
    officer = srv.token("officer")
    issue(srv, "DD")
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="vi-VN")
    context.set_default_timeout(10000)
    hall = context.new_page()
    connections = []

    deaf = [False]

    def deaf_first(ws):
        server = ws.connect_to_server()
        first = not connections
        connections.append(time.monotonic())
        # The first connection keeps its handshake and pings, and from `deaf` on loses every event.
        server.on_message(lambda m: None if first and deaf[0] and str(m).startswith("42") else ws.send(m))

    hall.route_web_socket(re.compile(r".*/socket\.io/.*"), deaf_first)
    hall.goto(srv.url + "/display")
    expect(hall.locator("#status")).to_have_attribute("data-status", "online")
    hall.wait_for_timeout(300)                               # the first state and beat heard
    deaf[0], deaf_at = True, time.monotonic()
    called = requests.post(srv.url + "/api/counters/4/call-next", headers=officer, timeout=5, json={}).json()
    tile = hall.locator('.tile[data-counter="4"] .num')
    expect(tile).to_have_text(called["ticket"]["number"], timeout=8000)
    assert len(connections) == 2, "the deaf connection was not replaced"
    assert connections[1] - deaf_at < 5                      # 2.5 beats of silence, then the reconnect delay
    spoken = f"{called['ticket']['id']}.0"
    hall.wait_for_function(f"Announcer.log.some(e => e.id === '{spoken}' && e.event === 'start')")
    context.close()


def test_a_phone_cannot_register_as_a_display_or_flood_reports(srv):
    """1,000 reports from a plain Socket.IO client (no enrolment, no login): all refused, the
    database and the server's memory stay as they were."""
    def rss_kb():
        with open(f"/proc/{srv.proc.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def screens():
        with srv.database() as (_, db):
            return db.execute("SELECT count(*), total(length(report)) FROM screens").fetchone()[:]

    report = {"sound": "ok", "version": "x" * 40, "lag_s": 1.0, "screen": [390, 844]}

    def send(n: int) -> set:
        """n reports, alternately waiting for the answer and not; a connection sends at most
        MESSAGES_BURST at once (more and the server's MessageGuard cuts it), so the phone
        connects again after each 25, as a script would."""
        answers, sent = set(), 0
        while sent < n:
            phone = socketio.Client(reconnection=False)
            phone.connect(srv.url, transports=["websocket"], auth={"page": "display"}, wait_timeout=10)
            for _ in range(min(25, n - sent)):
                if sent % 2:
                    phone.emit("report", report)             # as fast as it can, no waiting
                else:
                    answers.add(str(phone.call("report", report, timeout=5)))
                sent += 1
            phone.disconnect()
        return answers

    send(500)                                                # warm the server's paths and allocator first
    before, memory = screens(), rss_kb()
    answers = send(1000)
    assert answers == {"{'error': 'forbidden'}"}
    assert screens() == before
    growth = rss_kb() - memory
    print(f"server RSS after 1,000 refused reports: {growth:+d} KB")
    assert growth < 1024, f"the server grew {growth} KB"
