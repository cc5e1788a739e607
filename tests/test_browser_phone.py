"""The citizen's phone page in a real browser: what it says after the ticket was missed."""
import requests

from test_browser_pages import issue, open_page, sync_api

expect = sync_api.expect


def test_after_a_no_show_the_phone_names_the_counter_to_go_to(make_server, browser):
    srv = make_server("eventlet").start()
    ticket = issue(srv, "HT")
    officer = srv.token("officer")
    phone = open_page(browser, srv.url + "/t/" + ticket["token"], 412, 915)
    expect(phone.locator("#ticket")).to_have_attribute("data-status", "waiting")
    for step in ("call-next", "no-show"):   # Quầy 2 calls the ticket; nobody comes
        requests.post(srv.url + f"/api/counters/2/{step}", json={}, headers=officer, timeout=5).raise_for_status()
    expect(phone.locator("#ticket")).to_have_attribute("data-status", "no_show")
    expect(phone.locator("#status-text")).to_contain_text(
        "Bạn đã được gọi nhưng vắng mặt. Hãy đến Quầy 2 và báo cán bộ để được gọi lại.")
    expect(phone.locator("#where")).to_have_text("→ Quầy 2")
    phone.context.close()
