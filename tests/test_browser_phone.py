"""The citizen's phone page in a real browser: what it says after the ticket was missed."""

import requests

from conftest import center_now
from test_browser_pages import issue, sync_api

expect = sync_api.expect


def test_after_a_no_show_the_phone_names_the_counter_to_go_to(make_server, browser):
    srv = make_server("eventlet").start()
    ticket = issue(srv, "HT")
    officer = srv.token("officer")
    # The phone's clock is in UTC+14 (another hour, often another day): the page shows the center's.
    context = browser.new_context(viewport={"width": 412, "height": 915}, locale="vi-VN",
                                  timezone_id="Pacific/Kiritimati")
    context.set_default_timeout(5000)
    phone = context.new_page()
    phone.goto(srv.url + "/t/" + ticket["token"])
    expect(phone.locator("#ticket")).to_have_attribute("data-status", "waiting")
    before = center_now().strftime("%H:%M")
    for step in ("call-next", "no-show"):   # Quầy 2 calls the ticket; nobody comes
        requests.post(srv.url + f"/api/counters/2/{step}", json={}, headers=officer, timeout=5).raise_for_status()
    expect(phone.locator("#ticket")).to_have_attribute("data-status", "no_show")
    expect(phone.locator("#status-text")).to_contain_text(
        "Bạn đã được gọi nhưng vắng mặt. Hãy đến Quầy 2 và báo cán bộ để được gọi lại.")
    expect(phone.locator("#where")).to_have_text("→ Quầy 2")
    shown = phone.locator("#updated").inner_text()
    assert shown in {f"Cập nhật lúc {before}", f"Cập nhật lúc {center_now():%H:%M}"}, shown
    phone.context.close()
