"""A citizen rates a finished ticket on the counter's rating screen; the supervisor sees it in the report.

Real server process, Debian's chromium through Playwright (never a downloaded
browser), and no network beyond 127.0.0.1. The officer's side goes through
the HTTP API, so this test does not depend on the counter page's layout.
"""
import requests
from conftest import local_only
from test_browser_pages import enrol
from playwright import sync_api


def test_rate_a_finished_ticket_and_see_it_in_the_report(make_server, browser):
    srv = make_server("eventlet").start()
    officer, supervisor = srv.token("officer"), srv.token("supervisor")
    ticket = requests.post(srv.url + "/api/tickets", headers=srv.kiosk, json={"service": "HT"}, timeout=5).json()
    called = requests.post(srv.url + "/api/counters/1/call-next", headers=officer, timeout=5, json={}).json()
    assert called["ticket"]["id"] == ticket["id"]

    outside = []
    contexts = []
    try:
        tablet = browser.new_context(viewport={"width": 1024, "height": 600}, locale="vi-VN")
        contexts.append(tablet)
        local_only(tablet, outside)
        tablet.set_default_timeout(8000)
        rate = tablet.new_page()
        enrol(rate, srv.enrol_link("rating", counter=1))  # lands on /rate/1, enrolled
        sync_api.expect(rate.locator("#counter-name")).to_have_text("Quầy 1")
        sync_api.expect(rate.locator("#ask")).to_be_hidden()  # nothing finished yet: nothing to rate

        finished = requests.post(srv.url + "/api/counters/1/finish", headers=officer, timeout=5, json={})
        assert finished.status_code == 200
        sync_api.expect(rate.locator("#ask")).to_be_visible()  # pushed by the live `state`
        sync_api.expect(rate.locator("#number")).to_have_text(ticket["number"])
        buttons = rate.locator("#choices button")
        assert buttons.all_inner_texts() == ["Rất hài lòng", "Hài lòng", "Không hài lòng"]
        for box in (b.bounding_box() for b in buttons.all()):
            assert box["height"] >= 100 and box["width"] >= 150  # big targets
        rate.get_by_role("button", name="Hài lòng", exact=True).click()
        sync_api.expect(rate.locator("#thanks")).to_be_visible()
        sync_api.expect(rate.locator("#idle")).to_be_visible()  # back to rest on its own
        now = requests.get(srv.url + "/api/counters/1/rating", timeout=5).json()
        assert now["ticket"] is None
        again = requests.post(srv.url + "/api/counters/1/rating", json={"ticket": ticket["id"], "score": 3},
                              headers=srv.device("rating", counter=1), timeout=5)
        assert again.status_code == 409 and again.json()["error"] == "already_rated"

        desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
        contexts.append(desk)
        local_only(desk, outside)
        desk.set_default_timeout(8000)
        page = desk.new_page()
        page.goto(srv.url + "/reports")
        page.fill("#token", supervisor["Authorization"][7:])
        page.click("#login-form button[type=submit]")
        sync_api.expect(page.locator("#summary")).to_be_visible()
        sync_api.expect(page.locator("#satisfied-pct")).to_have_text("100,0")
        ratings_rows = page.locator("#table-ratings tbody tr")
        sync_api.expect(ratings_rows.filter(has_text="Hài lòng").first).to_be_visible()
        texts = {row.split("\t")[0]: row.split("\t")[1] for row in ratings_rows.all_inner_texts()}
        assert texts == {"Rất hài lòng": "0", "Hài lòng": "1", "Không hài lòng": "0"}
        field = page.locator("#table-fields tbody tr", has_text="Hộ tịch").inner_text().split("\t")
        assert field[1:4] == ["1", "1", "0"]  # issued, served, no-show
        assert page.locator("svg.chart").count() == 2
        with page.expect_download() as download:
            page.locator("#table-ratings a", has_text="XLSX").click()
        assert download.value.suggested_filename.endswith(".xlsx")
    finally:
        for context in contexts:
            context.close()
    assert outside == []
