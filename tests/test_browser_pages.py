"""The pages in a real browser (Debian's chromium through Playwright) against a real server.

Never downloads a browser: chromium is found on PATH and passed as executable_path.
"""
import re
import time

import pytest
import requests
from playwright import sync_api



@pytest.fixture
def srv(make_server):
    return make_server("eventlet").start()


# Playwright's wait_for_function runs its expression through eval in the page, which
# the pages' Content-Security-Policy forbids: tests that wait so bypass it, and
# test_no_page_breaks_its_own_content_security_policy checks every page under it.
CSP_BYPASS = {"bypass_csp": True}


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN", **CSP_BYPASS)
    context.set_default_timeout(5000)
    yield context.new_page()
    context.close()


def enrol(page, link):
    """Open a one-time enrolment link and press its button, as the installer does on the
    device itself; the page then lands on the kiosk or the rating tablet."""
    page.goto(link)
    page.click("#enrol")
    page.wait_for_url(lambda url: "/enroll/" not in url)


def open_page(browser, url, width=1280, height=900):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN", **CSP_BYPASS)
    context.set_default_timeout(5000)
    p = context.new_page()
    if "/enroll/" in url:
        enrol(p, url)
    else:
        p.goto(url)
    return p


def issue(srv, service="HT", priority=False):
    response = requests.post(srv.url + "/api/tickets", headers=srv.kiosk, json={"service": service, "priority": priority}, timeout=5)
    assert response.status_code == 201
    return response.json()


def tile_number(page, counter_id):
    return page.locator(f'.tile[data-counter="{counter_id}"] .num')


def test_kiosk_tap_issues_one_ticket_and_shows_it(srv, page):
    enrol(page, srv.enrol_link("kiosk", "Sảnh"))  # the kiosk PC opens its enrolment link once
    button = page.locator('button[data-service="HT"]')
    button.wait_for()
    box = button.bounding_box()
    assert box["height"] >= 64 and box["width"] >= 64
    button.dblclick()  # an impatient double tap still gives one ticket
    sync_api.expect(page.locator("#issued-number")).to_have_text("1001")
    sync_api.expect(page.locator("#issued-service")).to_contain_text("Hộ tịch")
    sync_api.expect(page.locator("#issued-qr")).to_have_attribute("src", re.compile(r"/t/.+/qr\.svg$"))
    waiting = requests.get(srv.url + "/api/tickets?status=waiting", timeout=5).json()
    assert [t["number"] for t in waiting] == ["1001"]
    qr = requests.get(srv.url + page.locator("#issued-qr").get_attribute("src"), timeout=5)
    assert qr.ok and qr.headers["Content-Type"].startswith("image/svg+xml")


@pytest.mark.timed
def test_counter_click_reaches_hall_and_phone_within_a_second(srv, browser):
    ticket = issue(srv)
    token = srv.token("officer")["Authorization"][7:]
    hall = open_page(browser, srv.url + "/display", 1920, 1080)
    phone = open_page(browser, srv.url + "/t/" + ticket["token"], 412, 915)
    counter = open_page(browser, srv.url + "/counter")
    counter.fill("#token", token)
    counter.click("#login-form button[type=submit]")
    sync_api.expect(hall.locator("#status")).to_have_attribute("data-status", "online")
    sync_api.expect(phone.locator("#number")).to_have_text("1001")
    sync_api.expect(phone.locator("#ticket")).to_have_attribute("data-status", "waiting")
    call = counter.locator('[data-action="call-next"]')
    sync_api.expect(call).to_be_enabled()
    sync_api.expect(counter.locator("#status")).to_have_attribute("data-status", "online")
    call.click()
    clicked = time.monotonic()
    hall.wait_for_function("document.querySelector('.tile[data-counter=\"1\"] .num').textContent === '1001'",
                           timeout=1000)
    left = max(1, (1.0 - (time.monotonic() - clicked)) * 1000)
    phone.wait_for_function("document.getElementById('ticket').dataset.status === 'called'", timeout=left)
    assert time.monotonic() - clicked < 1.0
    sync_api.expect(phone.locator("#where")).to_contain_text("Quầy 1")
    sync_api.expect(counter.locator("#current")).to_have_text("1001")
    for p in (hall, phone, counter):
        p.context.close()


FIT_CHECK = """() => {
  const W = innerWidth, H = innerHeight, bad = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth || root.scrollHeight > root.clientHeight)
    bad.push(`page scrolls: ${root.scrollWidth}x${root.scrollHeight} in ${root.clientWidth}x${root.clientHeight}`);
  for (const el of document.querySelectorAll('.tile, .tile *, .history, header *')) {
    const r = el.getBoundingClientRect();
    if (r.left < -0.5 || r.top < -0.5 || r.right > W + 0.5 || r.bottom > H + 0.5)
      bad.push(`${el.className || el.tagName} at ${r.left},${r.top},${r.right},${r.bottom}`);
  }
  for (const tile of document.querySelectorAll('.tile')) {
    const t = tile.getBoundingClientRect();
    for (const part of tile.children) {
      const r = part.getBoundingClientRect();
      if (r.top < t.top - 0.5 || r.bottom > t.bottom + 0.5 || part.scrollWidth > part.clientWidth + 1)
        bad.push(`${part.className} of counter ${tile.dataset.counter} overflows its tile`);
    }
  }
  return bad;
}"""


def test_fourteen_counters_fit_the_hall_display(srv, browser):
    boss, officer = srv.token("supervisor"), srv.token("officer")
    fields = ["HT", "CT", "DD", "DKKD", "LDXH", "BHYT", "CU"]
    for i, code in enumerate(fields, start=8):
        r = requests.post(srv.url + "/api/counters", json={"name": f"Quầy {i}", "services": [code]},
                          headers=boss, timeout=5)
        assert r.status_code == 201
    for code in fields + ["TKQ"] + fields:
        issue(srv, code)
    for counter_id in range(1, 15):
        requests.post(f"{srv.url}/api/counters/{counter_id}/call-next", headers=officer, timeout=5, json={}).raise_for_status()
    notice = "Ngày cao điểm: trung tâm mở thêm 7 quầy. Xin cảm ơn công dân đã kiên nhẫn chờ."
    requests.put(srv.url + "/api/notice", json={"text": notice}, headers=boss, timeout=5).raise_for_status()
    for width, height in ((1920, 1080), (1366, 768)):
        hall = open_page(browser, srv.url + "/display", width, height)
        sync_api.expect(hall.locator(".tile")).to_have_count(14)
        sync_api.expect(hall.locator("#status")).to_have_attribute("data-status", "online")
        hall.wait_for_function("document.fonts.status === 'loaded'")
        sync_api.expect(hall.locator("#notice-text")).to_have_text(notice)
        hall.wait_for_timeout(100)  # the grid is re-sized once the notice line takes its place
        assert hall.evaluate(FIT_CHECK) == []
        size = float(hall.locator(".tile .num").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
        assert size >= (60 if width == 1920 else 40), "numbers too small to read from across the hall"
        hall.context.close()
    hall = open_page(browser, srv.url + "/display", 1366, 768)
    for count in (16, 1, 2, 3, 5):   # the layout follows the supervisor live, from 1 to 16 counters
        counters = requests.get(srv.url + "/api/counters", timeout=5).json()
        while len(counters) < count:
            requests.post(srv.url + "/api/counters", json={"name": f"Quầy {len(counters) + 1}", "services": ["HT"]},
                          headers=boss, timeout=5).raise_for_status()
            counters = requests.get(srv.url + "/api/counters", timeout=5).json()
        for c in (c for c in counters if c["open"] != (c["id"] <= count)):
            requests.patch(f"{srv.url}/api/counters/{c['id']}", json={"open": c["id"] <= count}, headers=boss,
                           timeout=5).raise_for_status()
        sync_api.expect(hall.locator(".tile")).to_have_count(count)
        hall.wait_for_timeout(100)
        assert hall.evaluate(FIT_CHECK) == [], f"{count} counters"
    hall.context.close()


def test_hall_display_recovers_after_a_server_restart(srv, browser):
    officer = srv.token("officer")
    issue(srv)
    requests.post(srv.url + "/api/counters/1/call-next", headers=officer, timeout=5, json={}).raise_for_status()
    hall = open_page(browser, srv.url + "/display", 1366, 768)
    sync_api.expect(tile_number(hall, 1)).to_have_text("1001")
    hall.evaluate("window.__notReloaded = true")
    srv.kill()
    sync_api.expect(hall.locator("#status")).to_have_attribute("data-status", "offline")
    sync_api.expect(hall.locator("#status")).to_be_visible()
    assert hall.evaluate("document.body.classList.contains('stale')")
    assert float(tile_number(hall, 1).evaluate("e => getComputedStyle(e).opacity")) < 0.2
    srv.start()
    issue(srv)
    requests.post(srv.url + "/api/counters/1/call-next", headers=officer, timeout=5, json={}).raise_for_status()
    sync_api.expect(tile_number(hall, 1)).to_have_text("1002", timeout=10000)
    sync_api.expect(hall.locator("#status")).to_have_attribute("data-status", "online")
    assert not hall.evaluate("document.body.classList.contains('stale')")
    assert hall.evaluate("window.__notReloaded === true")
    hall.context.close()


def test_two_quick_calls_are_announced_in_order_without_overlap(srv, browser):
    officer = srv.token("officer")
    first, second = issue(srv, "HT"), issue(srv, "CT")
    hall = open_page(browser, srv.url + "/display", 1366, 768)
    sync_api.expect(hall.locator("#status")).to_have_attribute("data-status", "online")
    requests.post(srv.url + "/api/counters/1/call-next", headers=officer, timeout=5, json={}).raise_for_status()
    requests.post(srv.url + "/api/counters/3/call-next", headers=officer, timeout=5, json={}).raise_for_status()
    hall.wait_for_function("Announcer.log.filter(e => e.event === 'end').length >= 2", timeout=30000)
    log = hall.evaluate("Announcer.log")
    assert [(e["id"], e["event"]) for e in log] == [
        (f"{first['id']}.0", "start"), (f"{first['id']}.0", "end"),
        (f"{second['id']}.0", "start"), (f"{second['id']}.0", "end"),
    ]
    assert log[1]["at"] <= log[2]["at"], "the second call started before the first ended"
    assert log[1]["via"] in ("clips", "speech", "chime") and log[3]["via"] == log[1]["via"]
    assert log[1]["at"] - log[0]["at"] > 1000, "the first announcement did not really play"
    hall.context.close()


def test_names_and_the_notice_are_shown_as_text_never_run(srv, browser):
    """Counter names, officer names and the notice come from people; on every page
    that shows them they must stay text (no script, no tag)."""
    supervisor = srv.token("supervisor")
    trap = '<img src=x onerror="window.pwned=1">'
    counter = requests.post(srv.url + "/api/counters", headers=supervisor, timeout=5,
                            json={"name": trap[:40], "services": ["HT"]}).json()
    requests.put(srv.url + "/api/notice", headers=supervisor, timeout=5,
                 json={"text": "<script>window.pwned=1</script>" + trap}).raise_for_status()
    issue(srv)
    requests.post(f"{srv.url}/api/counters/{counter['id']}/call-next", headers=supervisor, json={},
                  timeout=5).raise_for_status()
    for path in ("/display", f"/display/counter/{counter['id']}", f"/counter?counter={counter['id']}",
                 "/supervisor"):
        page = open_page(browser, srv.url + path, 1366, 768)
        if path in ("/supervisor", f"/counter?counter={counter['id']}"):
            page.fill("#token", supervisor["Authorization"][7:])
            page.click("#login-form button[type=submit]")
        page.wait_for_function("t => document.body.innerText.includes(t)", arg=trap[:40])
        page.wait_for_timeout(300)
        assert page.evaluate("window.pwned") is None, path
        assert page.locator("img[src=x]").count() == 0, path
        page.context.close()


def test_no_page_breaks_its_own_content_security_policy(srv, browser):
    """Issue 24, low 13: every page is served with a CSP that runs no inline script; each
    page, opened as its device opens it, must work under it: nothing it loads or runs is
    refused."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    context.set_default_timeout(5000)
    refused = []
    ticket = issue(srv)
    officer = srv.token("officer")["Authorization"][7:]
    try:
        for url in (srv.enrol_link("kiosk", "Sảnh CSP"), srv.url + "/display", srv.url + "/display/counter/1",
                    srv.url + f"/t/{ticket['token']}", srv.url + "/counter", srv.url + "/supervisor",
                    srv.url + "/devices", srv.url + "/reports", srv.enrol_link("rating", None, 1)):
            page = context.new_page()
            page.on("console", lambda msg: refused.append(msg.text) if "Content Security Policy" in msg.text else None)
            page.add_init_script("document.addEventListener('securitypolicyviolation',"
                                 " e => console.error('Content Security Policy refused ' + e.violatedDirective"
                                 " + ' ' + e.blockedURI))")
            page.goto(url)
            page.wait_for_load_state("load")
            page.wait_for_timeout(300)  # the page's scripts run (and connect) after load
            if url.endswith("/counter"):
                page.fill("#token", officer)
                page.click("#login-form button[type=submit]")
                sync_api.expect(page.locator("#status")).to_have_attribute("data-status", "online")
            page.close()
    finally:
        context.close()
    assert refused == []
