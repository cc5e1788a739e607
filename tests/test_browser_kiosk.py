"""The kiosk as citizens see it, in a real browser against a real server: the ticket screen
with and without a printer, the number kept and shown again, the rate-limit refusal, a
portrait screen, and English mode. Time on the page is Playwright's clock, moved by hand."""
import json
import sqlite3
from datetime import datetime, timedelta

import pytest
import requests

from conftest import TZ
from test_browser_pages import enrol, issue, sync_api

expect = sync_api.expect


def kiosk_page(browser, srv, width=1280, height=1024):
    """The kiosk page with a hand-moved clock (installed before any script runs)."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
    context.set_default_timeout(5000)
    page = context.new_page()
    page.clock.install()
    enrol(page, srv.enrol_link("kiosk", "Sảnh"))   # an enrolled kiosk: the link sets its cookie, then /kiosk
    page.locator('#services button[data-service="HT"]').wait_for()
    return page


def font_px(locator) -> float:
    return float(locator.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px"))


@pytest.fixture
def srv(make_server):
    return make_server("eventlet").start()


def test_without_a_printer_the_number_stays_says_to_remember_it_and_shows_again(srv, browser):
    kiosk = kiosk_page(browser, srv)
    kiosk.click('#services button[data-service="HT"]')
    expect(kiosk.locator("#issued-number")).to_have_text("1001")
    issued_at = requests.get(srv.url + "/api/tickets?status=waiting", timeout=5).json()[0]["issued_at"]
    day = f"{issued_at[8:10]}/{issued_at[5:7]}/{issued_at[:4]}"
    expect(kiosk.locator("#issued-time")).to_have_text(f"Lấy lúc {issued_at[11:16]} ngày {day}")
    expect(kiosk.locator("#paper")).to_have_attribute("data-state", "none")
    expect(kiosk.locator("#paper")).to_contain_text("ghi nhớ số này hoặc chụp ảnh")

    kiosk.click("#issued-number")           # pointing at the number is not leaving
    kiosk.clock.run_for(90_000)             # a minute and a half later it is still there
    expect(kiosk.locator("#issued")).to_be_visible()
    expect(kiosk.locator("#issued-number")).to_have_text("1001")
    kiosk.click("#issued-time")             # the next citizen touches the screen
    expect(kiosk.locator("#start")).to_be_visible()

    again = kiosk.locator("#again")
    expect(again).to_have_text("Xem lại số vừa lấy: 1001")
    kiosk.clock.run_for(2_000)
    again.click()
    expect(kiosk.locator("#issued-number")).to_have_text("1001")
    expect(kiosk.locator("#issued-time")).to_contain_text(issued_at[11:16])
    kiosk.click("#done")
    kiosk.clock.run_for(5 * 60_000)         # a few minutes later the last number is not offered any more
    expect(again).to_be_hidden()
    assert len(requests.get(srv.url + "/api/tickets?status=waiting", timeout=5).json()) == 1
    kiosk.context.close()


def test_with_a_printer_it_says_the_paper_is_coming_or_what_to_do(make_server, browser):
    printing = make_server("eventlet", {"printer": {"kind": "browser"}}).start()
    kiosk = kiosk_page(browser, printing)
    kiosk.evaluate("() => { window.print = () => {}; }")
    kiosk.click('#services button[data-service="HT"]')
    expect(kiosk.locator("#paper")).to_have_attribute("data-state", "printing")
    expect(kiosk.locator("#paper")).to_have_text("Vé giấy đang được in. Xin nhận vé ở máy in.")
    kiosk.click("#done")
    expect(kiosk.locator("#again")).to_have_text("In lại số vừa lấy: 1001")
    kiosk.context.close()

    faulty = make_server("eventlet", {"printer": {"kind": "agent"}}).start()  # no agent: every print fails
    kiosk = kiosk_page(browser, faulty)
    kiosk.click('#services button[data-service="CT"]')
    expect(kiosk.locator("#issued-number")).to_have_text("2001")
    expect(kiosk.locator("#paper")).to_have_attribute("data-state", "fault")
    expect(kiosk.locator("#paper")).to_contain_text("Không in được vé. Xin hãy ghi nhớ hoặc chụp ảnh số này")
    kiosk.context.close()


def test_a_refusal_for_issuing_too_fast_says_in_large_type_how_long_to_wait(srv, browser):
    kiosk = kiosk_page(browser, srv)
    posts = []

    def refuse(route):
        posts.append(route.request.url)
        route.fulfill(status=429, content_type="application/json", headers={"Retry-After": "17"},
                      body=json.dumps({"error": "too_many_tickets", "message": "Máy lấy số đang cấp quá nhanh.",
                                       "retry_after": 17}))

    kiosk.route("**/api/tickets", refuse)
    kiosk.click('#services button[data-service="HT"]')
    notice = kiosk.locator("#slow-down strong")
    expect(notice).to_have_text("Xin chờ 17 giây rồi chạm lại.")
    assert font_px(notice) >= 40
    kiosk.clock.run_for(5_000)
    expect(notice).to_have_text("Xin chờ 12 giây rồi chạm lại.")
    kiosk.click('#services button[data-service="HT"]', force=True)  # taps meanwhile ask nothing
    assert len(posts) == 1
    kiosk.clock.run_for(13_000)
    expect(kiosk.locator("#slow-down")).to_be_hidden()
    kiosk.unroute("**/api/tickets")
    kiosk.click('#services button[data-service="HT"]')
    expect(kiosk.locator("#issued-number")).to_have_text("1001")
    kiosk.context.close()


def test_the_servers_own_refusal_shows_its_retry_after(make_server, browser):
    limited = make_server("eventlet", {"kiosk": {"max_tickets_per_minute": 1}}).start()
    kiosk = kiosk_page(browser, limited)
    kiosk.click('#services button[data-service="HT"]')
    kiosk.click("#done")
    kiosk.clock.run_for(2_000)
    with kiosk.expect_response("**/api/tickets") as refused:
        kiosk.click('#services button[data-service="CT"]')
    wait = refused.value.json()["retry_after"]
    assert refused.value.status == 429 and 1 <= wait <= 60
    expect(kiosk.locator("#slow-down strong")).to_have_text(f"Xin chờ {wait} giây rồi chạm lại.")
    kiosk.context.close()


def test_portrait_kiosk_fills_the_screen_with_readable_waits(srv, browser):
    srv.staff(1, 2)
    for _ in range(4):
        issue(srv, "HT")
    officer = srv.token("officer")
    for _ in range(3):   # three HT citizens served, about 6 minutes each
        requests.post(srv.url + "/api/counters/1/call-next", json={}, headers=officer, timeout=5).raise_for_status()
        requests.post(srv.url + "/api/counters/1/finish", json={}, headers=officer, timeout=5).raise_for_status()
    with sqlite3.connect(srv.workdir / "motcua.db") as db:
        for ticket_id, finished in db.execute("SELECT id, finished_at FROM tickets WHERE status = 'done'").fetchall():
            called = datetime.fromisoformat(finished) - timedelta(minutes=6)
            db.execute("UPDATE tickets SET called_at = ? WHERE id = ?", (called.isoformat(timespec="milliseconds"), ticket_id))
    requests.post(srv.url + "/api/counters/2/pause", json={}, headers=officer, timeout=5).raise_for_status()
    kiosk = kiosk_page(browser, srv, 1080, 1920)
    button = kiosk.locator('#services button[data-service="HT"]')
    expect(button.locator(".estimate")).to_have_text("Chờ khoảng 7 phút")   # after 1 waiting at 1 counter, 6 min + 12 %
    grid = kiosk.locator("#services").bounding_box()
    assert grid["y"] + grid["height"] >= 0.8 * 1920, "the fields leave the bottom of the screen empty"
    assert button.bounding_box()["height"] >= 180
    for part in ("name", "waiting", "estimate"):
        assert font_px(button.locator("." + part)) >= 28, part
    kiosk.click('#services button[data-service="CT"]')
    for fact in ("#issued-ahead", "#issued-wait", "#issued-time"):
        assert font_px(kiosk.locator(fact)) >= 28, fact
    kiosk.context.close()


def test_english_mode_names_fields_and_errors_in_english(srv, browser):
    kiosk = kiosk_page(browser, srv)
    kiosk.click("#lang")
    expect(kiosk.get_by_role("button", name="Tiếng Việt")).to_be_visible()   # the toggle is named as it reads
    expect(kiosk.locator('#services button[data-service="HT"] .name')).to_have_text("Civil status")
    with sqlite3.connect(srv.workdir / "motcua.db") as db:   # closed behind the page's back: the server refuses
        db.execute("UPDATE services SET open = 0 WHERE code = 'DD'")
    kiosk.click('#services button[data-service="DD"]')
    expect(kiosk.locator("#error")).to_have_text("This field is not taking files now.")
    kiosk.click("#lang")
    expect(kiosk.get_by_role("button", name="English")).to_be_visible()
    expect(kiosk.locator("#error")).to_have_text("Lĩnh vực này đang tạm ngừng nhận hồ sơ.")
    kiosk.click("#lang")
    kiosk.route("**/api/tickets", lambda route: route.abort())
    kiosk.click('#services button[data-service="CT"]')
    expect(kiosk.locator("#error")).to_have_text(
        "Cannot reach the server. Please try again in a few minutes or ask a staff member.")
    kiosk.unroute("**/api/tickets")
    kiosk.click('#services button[data-service="HT"]')
    expect(kiosk.locator("#issued-service")).to_have_text("Civil status")
    kiosk.context.close()


def test_the_kiosk_says_before_and_after_issuing_when_the_counters_may_not_reach_a_number_today(
        make_server, browser):
    tomorrow = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(datetime.now(TZ).weekday() + 1) % 7]
    srv = make_server("eventlet", {"center": {"counter_hours": {tomorrow: ["07:30-17:00"]}}}).start()
    srv.staff(*range(1, 8))                # an officer at every counter: only the hours stop them
    issue(srv, "DD")                       # the counters do not call today any more
    kiosk = kiosk_page(browser, srv)
    late = "Có thể không kịp trong hôm nay"
    expect(kiosk.locator('#services button[data-service="DD"] .estimate')).to_have_text(late)
    expect(kiosk.locator('#services button[data-service="HT"] .estimate')).to_have_text(late)
    kiosk.click('#services button[data-service="DD"]')   # the citizen may still take a number
    expect(kiosk.locator("#issued-wait")).to_have_text(late)
    kiosk.context.close()


def test_the_kiosk_forgets_the_last_citizen_and_an_outage_is_seen_and_ends(make_server, browser):
    srv = make_server("eventlet", {"booking": {"enabled": True},
                                   "center": {"hours": {"mon-sun": ["00:00-24:00"]}}}).start()
    kiosk = kiosk_page(browser, srv, 1080, 1920)
    # Priority and English chosen, then the citizen walks away: 20 s later the next one gets neither.
    kiosk.click("#priority")
    kiosk.click("#lang")
    expect(kiosk.locator("#lang")).to_have_text("Tiếng Việt")
    kiosk.clock.run_for(10_000)
    expect(kiosk.locator("#priority")).to_have_attribute("aria-pressed", "true")
    kiosk.clock.run_for(12_000)
    expect(kiosk.locator("#priority")).to_have_attribute("aria-pressed", "false")
    expect(kiosk.locator("#lang")).to_have_text("English")
    expect(kiosk.locator('[data-t="lead"]')).to_have_text("Chạm vào lĩnh vực để lấy số thứ tự")
    # The number just taken is offered again to its citizen, not to the next ones for minutes.
    kiosk.click('#services button[data-service="HT"]')
    expect(kiosk.locator("#issued-number")).to_have_text("1001")
    kiosk.click("#done")
    expect(kiosk.locator("#again")).to_have_text("Xem lại số vừa lấy: 1001")
    kiosk.clock.run_for(22_000)
    expect(kiosk.locator("#again")).to_be_hidden()
    # An open check-in panel closes too.
    kiosk.click("#checkin-open")
    expect(kiosk.locator("#checkin")).to_be_visible()
    kiosk.clock.run_for(22_000)
    expect(kiosk.locator("#checkin")).to_be_hidden()
    expect(kiosk.locator("#start")).to_be_visible()

    # The server stops: a large banner, the field buttons dimmed.
    srv.kill()
    banner = kiosk.locator("#status")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("Mất kết nối tới máy chủ")
    assert font_px(banner) >= 28
    field = kiosk.locator('#services button[data-service="HT"]')
    assert float(field.evaluate("e => getComputedStyle(e).opacity")) < 0.5
    kiosk.evaluate("document.querySelector('#services button').click()")  # a tap that got through anyway
    expect(kiosk.locator("#error")).to_contain_text("Không kết nối được máy chủ")
    # It comes back: the banner and the stale error go by themselves.
    srv.start()
    for _ in range(20):
        kiosk.clock.run_for(1_000)
        if banner.is_hidden():
            break
    expect(banner).to_be_hidden()
    expect(kiosk.locator("#error")).to_have_text("")
    assert float(field.evaluate("e => getComputedStyle(e).opacity")) == 1
    kiosk.context.close()
