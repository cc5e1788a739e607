"""The supervisor dashboard in a real browser against a real server.

Tickets go through the HTTP API; the page must show the figures, follow
changes live, raise the printer and unserved-field alerts, and close a field so that the kiosk
API refuses it; on a peak day, 14 counters fit one 1920x1080 screen, live updates leave the
supervisor's focus and edits alone, and mistakes (a duplicate name, a counter with no field,
closing by a slip) are caught. Debian's chromium, no network beyond 127.0.0.1.
"""
import re

import requests
from conftest import center_now, free_port, local_only
from playwright import sync_api
from test_browser_pages import open_page


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
    srv.staff(1, token=officer["Authorization"][7:])  # Lan's counter page is open at Quầy 1

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
        page.click("#add")
        sync_api.expect(page.locator("#editor-name")).to_have_value("Quầy 8")
        page.locator("#editor-fields label", has_text="Đất đai").locator("input").check()
        page.click("#editor-save")
        sync_api.expect(page.locator('#counters tr[data-counter="8"] .name')).to_have_text("Quầy 8")
        sync_api.expect(page.locator('#counters tr[data-counter="8"] .chip')).to_have_text(["Đất đai - Xây dựng"])
        sync_api.expect(page.locator("#alerts li.unserved")).to_have_count(0)
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


def supervisor_page(srv, browser, boss):
    page = open_page(browser, srv.url + "/supervisor", 1920, 1080)
    page.context.set_default_timeout(8000)
    page.fill("#token", boss["Authorization"][7:])
    page.click("#login-form button[type=submit]")
    sync_api.expect(page.locator("#desk")).to_be_visible()
    return page


def peak_day(srv, boss, officer):
    """7 more counters, everyone calling, one paused, one field left to nobody."""
    for code in ("HT", "HT", "CT", "DD", "LDXH", "BHYT", "CU", "TKQ", "DKKD") * 2:
        requests.post(srv.url + "/api/tickets", headers=srv.kiosk, json={"service": code}, timeout=5).raise_for_status()
    for i, code in enumerate(["HT", "CT", "DD", "DKKD", "LDXH", "CU", "HT"], start=8):
        requests.post(srv.url + "/api/counters", headers=boss, json={"name": f"Quầy {i}", "services": [code]},
                      timeout=5).raise_for_status()
    for counter_id in range(1, 15):
        requests.post(srv.url + f"/api/counters/{counter_id}/call-next", headers=officer, timeout=5, json={})
    requests.post(srv.url + "/api/counters/4/pause", headers=officer, timeout=5, json={}).raise_for_status()
    for counter_id in (2, 13):  # the two counters of Cư trú
        requests.patch(srv.url + f"/api/counters/{counter_id}", headers=boss, json={"open": False},
                       timeout=5).raise_for_status()


def test_fourteen_counters_fit_one_full_hd_screen(make_server, browser):
    srv = make_server("eventlet").start()
    boss, officer = srv.token("supervisor"), srv.token("officer")
    peak_day(srv, boss, officer)
    srv.staff(*range(1, 15))                          # a peak day: every counter has its officer
    page = supervisor_page(srv, browser, boss)
    try:
        rows = page.locator("#counters tr")
        sync_api.expect(rows).to_have_count(14)
        sync_api.expect(page.locator('#counters tr[data-counter="14"] .current')).to_contain_text("10")
        sync_api.expect(page.locator("#alerts li.unserved")).to_contain_text("Cư trú")
        size = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        assert size[0] <= 1920 and size[1] <= 1080, size  # one screen, no scrolling
        used = page.evaluate("""() => { let right = 0, left = 1e9;
            for (const e of document.querySelectorAll('main .card')) { const r = e.getBoundingClientRect();
              left = Math.min(left, r.left); right = Math.max(right, r.right); } return right - left; }""")
        assert used >= 0.9 * 1920, used
        for table in ("#fields-table", "#counters-table"):  # nothing cut off or hidden under a neighbour
            assert page.evaluate(f"""() => {{ const t = document.querySelector('{table}');
                return t.scrollWidth <= t.parentElement.clientWidth; }}""")
        # The fields a counter serves, as words, one control to change them, no wall of checkboxes.
        q6 = page.locator('#counters tr[data-counter="6"]')
        sync_api.expect(q6.locator(".chip")).to_have_text(["Lao động - Thương binh và Xã hội", "Bảo hiểm y tế"])
        assert page.locator("#counters input[type=checkbox]").count() == 0
        assert q6.get_by_role("button", name="Sửa lĩnh vực của Quầy 6").count() == 1
        heights = [rows.nth(i).bounding_box()["height"] for i in range(14)]
        assert max(heights) <= 60, heights
    finally:
        page.context.close()


def test_live_updates_leave_focus_and_a_half_made_edit_alone(make_server, browser):
    srv = make_server("eventlet").start()
    boss, officer = srv.token("supervisor"), srv.token("officer")
    page = supervisor_page(srv, browser, boss)
    try:
        q1 = page.locator('#counters tr[data-counter="1"]')
        sync_api.expect(q1.locator(".current")).to_have_text("—")
        close5 = page.locator('#counters tr[data-counter="5"]').get_by_role("button", name="Đóng quầy")
        close5.focus()
        requests.post(srv.url + "/api/tickets", headers=srv.kiosk, json={"service": "HT"}, timeout=5).raise_for_status()
        requests.post(srv.url + "/api/counters/1/call-next", headers=officer, timeout=5, json={}).raise_for_status()
        sync_api.expect(q1.locator(".current")).to_contain_text("1001")
        assert page.evaluate("document.activeElement.closest('tr') && document.activeElement.closest('tr').dataset.counter") == "5"
        sync_api.expect(close5).to_be_focused()

        # Half-way through changing Quầy 2's fields, another counter calls: the edit survives.
        page.locator('#counters tr[data-counter="2"] .edit').click()
        editor = page.locator("#editor")
        sync_api.expect(editor).to_be_visible()
        ct = editor.locator("label", has_text="Chứng thực").locator("input")
        ct.check()
        ct.focus()
        requests.post(srv.url + "/api/tickets", headers=srv.kiosk, json={"service": "CT"}, timeout=5).raise_for_status()
        requests.post(srv.url + "/api/counters/3/call-next", headers=officer, timeout=5, json={}).raise_for_status()
        sync_api.expect(page.locator('#counters tr[data-counter="3"] .current')).to_contain_text("2001")
        sync_api.expect(editor).to_be_visible()
        sync_api.expect(ct).to_be_checked()
        sync_api.expect(ct).to_be_focused()
        page.click("#editor-save")
        sync_api.expect(editor).to_be_hidden()
        sync_api.expect(page.locator('#counters tr[data-counter="2"] .chip')).to_have_text(
            ["Hộ tịch", "Chứng thực", "Cư trú"])
        counter = requests.get(srv.url + "/api/counters", timeout=5).json()[1]
        assert counter["services"] == ["HT", "CT", "CU"]
    finally:
        page.context.close()


def test_a_duplicate_name_an_empty_counter_and_closing_by_a_slip_are_caught(make_server, browser):
    srv = make_server("eventlet").start()
    boss = srv.token("supervisor")
    page = supervisor_page(srv, browser, boss)
    try:
        page.click("#add")
        editor = page.locator("#editor")
        page.fill("#editor-name", "Quầy 3")
        editor.locator("label", has_text="Hộ tịch").locator("input").check()
        page.click("#editor-save")
        sync_api.expect(page.locator("#editor-error")).to_have_text('Đã có quầy tên "Quầy 3": chọn tên khác.')
        sync_api.expect(editor).to_be_visible()
        page.fill("#editor-name", "Quầy 15")
        editor.locator("label", has_text="Hộ tịch").locator("input").uncheck()
        page.click("#editor-save")
        sync_api.expect(page.locator("#editor-error")).to_contain_text("Chọn ít nhất một lĩnh vực")
        assert len(requests.get(srv.url + "/api/counters", timeout=5).json()) == 7
        editor.locator("label", has_text="Đất đai").locator("input").check()
        page.click("#editor-save")
        q15 = page.locator("#counters tr", has_text="Quầy 15")
        sync_api.expect(q15.locator(".chip")).to_have_text(["Đất đai - Xây dựng"])

        # "Đóng quầy" on an idle counter asks first; saying no leaves it open.
        asked = []
        page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
        q15.get_by_role("button", name="Đóng quầy").click()
        sync_api.expect(q15.get_by_role("button", name="Đóng quầy")).to_be_visible()
        assert asked and asked[0].startswith("Đóng Quầy 15?")
        assert requests.get(srv.url + "/api/counters", timeout=5).json()[-1]["open"] is True
        page.once("dialog", lambda d: d.accept())
        q15.get_by_role("button", name="Đóng quầy").click()
        sync_api.expect(q15.get_by_role("button", name="Mở quầy")).to_be_visible()
        assert requests.get(srv.url + "/api/counters", timeout=5).json()[-1]["open"] is False
    finally:
        page.context.close()


STAFF_PAGES = ("/counter", "/supervisor", "/bookings", "/devices", "/reports", "/reports/help")
LINKS = """() => [...document.querySelectorAll('a')].filter(a => a.offsetParent !== null).map(a => {
    let e = a, bg = 'rgba(0, 0, 0, 0)';
    while (e && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) { bg = getComputedStyle(e).backgroundColor; e = e.parentElement; }
    return {text: a.textContent.trim(), href: a.getAttribute('href'), color: getComputedStyle(a).color, bg: bg}; })"""


def contrast(fg: str, bg: str) -> float:
    def luminance(css):
        channels = [int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3]]
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    high, low = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_staff_pages_share_one_readable_navigation_and_devices_show_a_qr_code(make_server, browser):
    srv = make_server("eventlet", {"booking": {"enabled": True},
                                   "center": {"hours": {"mon-sun": ["00:00-24:00"]}}}).start()
    # The supervisor's PC is set to UTC+14: "cập nhật" still shows the center's time (UTC+7).
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN",
                                  timezone_id="Pacific/Kiritimati", bypass_csp=True)
    context.set_default_timeout(5000)
    page = context.new_page()
    page.goto(srv.url + "/devices")
    page.fill("#token", srv.token("supervisor")["Authorization"][7:])
    page.press("#token", "Enter")
    sync_api.expect(page.locator("#devices")).to_be_visible()
    for path in STAFF_PAGES:
        before = center_now().strftime("%H:%M")
        page.goto(srv.url + path)
        if path == "/counter":
            sync_api.expect(page.locator("#desk")).to_be_visible()
        if path == "/supervisor":
            sync_api.expect(page.locator("#updated")).not_to_have_text("")
            assert page.locator("#updated").inner_text() in {f"· cập nhật {before}",
                                                               f"· cập nhật {center_now():%H:%M}"}
        links = page.evaluate(LINKS)
        nav = {link["href"] for link in links}
        assert {"/counter", "/supervisor", "/bookings", "/devices", "/reports"} <= nav, (path, nav)
        for link in links:
            assert contrast(link["color"], link["bg"]) >= 4.5, (path, link)

    # Devices: the one-time link is a QR code and text to copy, never a hyperlink to click here;
    # opened from 127.0.0.1 it warns that other devices cannot reach it.
    page.goto(srv.url + "/devices")
    page.fill("#name", "Sảnh tầng 1")
    page.click("#invite button[type=submit]")
    sync_api.expect(page.locator("#link")).to_be_visible()
    link = page.locator("#link-url").inner_text()
    assert "/enroll/" in link and page.locator("#link a").count() == 0
    page.wait_for_function("document.getElementById('link-qr').naturalWidth > 0")
    sync_api.expect(page.locator("#link-loopback")).to_be_visible()
    page.click("#link-copy")
    sync_api.expect(page.locator("#link-copied")).not_to_have_text("")
    # Opened by mistake on the supervisor's PC, the link asks and changes nothing until answered.
    page.goto(link)
    sync_api.expect(page.locator("h1")).to_have_text("Đăng ký máy này làm kiosk 'Sảnh tầng 1'?")
    page.goto(srv.url + "/devices")
    sync_api.expect(page.locator("#list")).to_contain_text("chưa mở đường dẫn")
    page.context.close()
