"""The supervisor dashboard in a real browser against a real server.

Tickets go through the HTTP API; the page must show the figures, follow
changes live, raise the printer and unserved-field alerts, and close a field so that the kiosk
API refuses it. Debian's chromium, no network beyond 127.0.0.1.
"""
import re

import requests
from conftest import free_port, local_only
from playwright import sync_api


def test_dashboard_follows_the_day_and_closes_a_field(make_server, browser):
    # A network printer nobody listens on: every ticket fails to print, as a jammed printer would.
    srv = make_server("eventlet", {"printer": {"kind": "network", "host": "127.0.0.1", "port": free_port(),
                                               "timeout_s": 0.5}}).start()
    boss = srv.token("supervisor")
    officer = {"Authorization": "Bearer " + srv.cli("token", "create", "--role", "officer",
                                                   "--name", "Nguyễn Thị Lan").splitlines()[-1]}
    numbers = [requests.post(srv.url + "/api/tickets", headers=srv.kiosk, json={"service": code}, timeout=5).json()["number"]
               for code in ("HT", "HT", "HT", "CT")]
    assert numbers == ["1001", "1002", "1003", "2001"]
    requests.post(srv.url + "/api/counters/1/call-next", headers=officer, timeout=5, json={}).raise_for_status()

    outside = []
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    try:
        local_only(context, outside)
        context.set_default_timeout(8000)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        reads = []
        page.on("request", lambda r: reads.append(r.url) if r.url.endswith("/api/dashboard") else None)
        page.clock.install()  # the page's timers under the test's hand: the 15 s refresh
        page.goto(srv.url + "/supervisor")
        page.fill("#token", boss["Authorization"][7:])
        page.click("#login-form button[type=submit]")

        ht = page.locator('#fields tr[data-service="HT"]')
        sync_api.expect(ht.locator(".queued")).to_have_text("2")
        sync_api.expect(ht.locator(".served")).to_have_text("0")
        sync_api.expect(ht.locator(".longest")).to_have_text("dưới 1 phút")
        sync_api.expect(page.locator('#fields tr[data-service="CT"] .queued')).to_have_text("1")
        q1 = page.locator('#counters tr[data-counter="1"]')
        sync_api.expect(q1.locator(".officer")).to_have_text("Nguyễn Thị Lan")
        sync_api.expect(q1.locator(".current")).to_contain_text("1001")
        sync_api.expect(q1.locator(".state")).to_have_text("Mở")
        sync_api.expect(page.locator("#alerts li.printer")).to_contain_text("Máy in số thứ tự bị lỗi")

        # Durations grow without events: the page reads the dashboard again every 15 s.
        before = -1
        while before != len(reads):  # let reads caused by pushes settle first
            before = len(reads)
            page.wait_for_timeout(500)
        page.clock.run_for(15000)
        page.wait_for_timeout(300)
        assert len(reads) == before + 1

        # Changes made elsewhere reach the page through the live `state`.
        requests.post(srv.url + "/api/counters/1/finish", headers=officer, timeout=5, json={}).raise_for_status()
        requests.post(srv.url + "/api/counters/3/pause", headers=officer, timeout=5, json={}).raise_for_status()
        sync_api.expect(ht.locator(".served")).to_have_text("1")
        sync_api.expect(q1.locator(".served")).to_have_text("1")
        sync_api.expect(q1.locator(".current")).to_have_text("—")
        sync_api.expect(page.locator('#counters tr[data-counter="3"] .state')).to_have_text("Tạm dừng (dưới 1 phút)")

        # Close a field on the page: the kiosk API refuses it, the kiosk list shows it closed.
        dd = page.locator('#fields tr[data-service="DD"]')
        dd.get_by_role("button", name="Ngừng nhận số").click()
        sync_api.expect(dd.locator(".badge")).to_have_text("Đã ngừng")
        refused = requests.post(srv.url + "/api/tickets", headers=srv.kiosk, json={"service": "DD"}, timeout=5)
        assert refused.status_code == 409 and refused.json()["error"] == "service_closed"
        kiosk = requests.get(srv.url + "/api/kiosk/services", timeout=5).json()
        assert next(s for s in kiosk if s["code"] == "DD")["open"] is False
        dd.get_by_role("button", name="Mở lại").click()
        sync_api.expect(dd.locator(".badge")).to_have_text("Đang phát số")
        assert requests.post(srv.url + "/api/tickets", headers=srv.kiosk, json={"service": "DD"}, timeout=5).status_code == 201
        sync_api.expect(dd.locator(".queued")).to_have_text("1")

        # The only counter of Đất đai closes: the page says that nobody serves its citizen.
        requests.patch(srv.url + "/api/counters/4", json={"open": False}, headers=boss, timeout=5).raise_for_status()
        sync_api.expect(page.locator("#alerts li.unserved")).to_contain_text(
            "Đất đai - Xây dựng: không có quầy nào đang mở phục vụ lĩnh vực này, 1 công dân đang chờ.")
        sync_api.expect(dd).to_have_class(re.compile(r"\bover\b"))

        # The controls that were there before still work: add a counter, set the notice.
        page.fill("#add-name", "Quầy 8")
        page.click("#add button[type=submit]")
        sync_api.expect(page.locator('#counters tr[data-counter="8"] .name')).to_have_text("Quầy 8")
        page.fill("#notice", "Chiều nay trung tâm làm việc đến 17 giờ")
        page.click("#notice-form button[type=submit]")
        notice = ""
        for _ in range(50):
            notice = requests.get(srv.url + "/api/notice", timeout=5).json()["text"]
            if notice:
                break
            page.wait_for_timeout(100)
        assert notice == "Chiều nay trung tâm làm việc đến 17 giờ"
        assert page.locator("#error").inner_text() == ""
    finally:
        context.close()
    assert outside == []
