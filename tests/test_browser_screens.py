"""More of the pages in a real browser: the kiosk's closed and full fields, English and the
printer fault; the counter's confirm-once Xong and undo; the counter-top screen."""
import sqlite3

import requests

from test_browser_pages import issue, open_page, sync_api

expect = sync_api.expect


def test_kiosk_shows_closed_and_full_fields_english_and_a_printer_fault(make_server, browser):
    srv = make_server("eventlet", {"printer": {"kind": "agent"}}).start()
    kiosk_link = srv.enrol_link("kiosk", "Sảnh")
    assert srv.kiosk  # enrolled first: `motcua device` (like every command) re-reads fields from config
    srv.staff(1, 2)   # officers at Hộ tịch's counters (their tokens too)
    with sqlite3.connect(srv.workdir / "motcua.db") as db:
        db.execute("UPDATE services SET open = 0 WHERE code = 'DD'")
        db.execute("UPDATE services SET daily_cap = 1 WHERE code = 'CT'")
    issue(srv, "CT")  # CT is now full, and with no printer agent connected the printer is at fault
    kiosk = open_page(browser, kiosk_link, 1080, 1920)
    dd, ct = kiosk.locator('button[data-service="DD"]'), kiosk.locator('button[data-service="CT"]')
    expect(dd).to_be_disabled()
    expect(dd).to_contain_text("Tạm ngừng nhận hồ sơ")
    expect(ct).to_be_disabled()
    expect(ct).to_contain_text("Đã hết số hôm nay")
    kiosk.click("#lang")
    expect(kiosk.locator(".lead")).to_have_text("Touch a field to take a number")
    expect(ct).to_contain_text("No numbers left today")
    kiosk.click("#priority")
    expect(kiosk.locator("#priority")).to_have_attribute("aria-pressed", "true")
    kiosk.click('button[data-service="HT"]')
    expect(kiosk.locator("#issued-number")).to_have_text("1001")
    expect(kiosk.locator("#issued-service")).to_contain_text("Priority")
    expect(kiosk.locator("#paper")).to_have_attribute("data-state", "fault")
    expect(kiosk.locator("#issued-counters")).to_contain_text("Quầy 1, Quầy 2")
    expect(kiosk.locator("#issued-wait")).to_have_text("Very soon")
    kiosk.click("#done")
    expect(kiosk.locator("#start")).to_be_visible()
    expect(kiosk.locator(".lead")).to_have_text("Chạm vào lĩnh vực để lấy số thứ tự")  # back to Vietnamese
    ticket = requests.get(srv.url + "/api/tickets?status=waiting", timeout=5).json()
    assert [(t["number"], t["priority"]) for t in ticket if t["service"] == "HT"] == [("1001", True)]
    kiosk.context.close()


def test_counter_confirms_only_xong_and_undoes_a_no_show(make_server, browser):
    srv = make_server("eventlet").start()
    issue(srv), issue(srv)
    token = srv.token("officer")["Authorization"][7:]
    top = open_page(browser, srv.url + "/display/counter/1", 800, 480)
    counter = open_page(browser, srv.url + "/counter")
    counter.fill("#token", token)
    counter.press("#token", "Enter")
    expect(counter.locator("#desk")).to_be_visible()
    expect(counter.locator('[data-action="call-next"]')).to_be_enabled()
    expect(counter.locator("#status")).to_have_attribute("data-status", "online")
    counter.keyboard.press("n")
    expect(counter.locator("#current")).to_have_text("1001")
    expect(top.locator("#name")).to_have_text("Quầy 1")
    expect(top.locator("#number")).to_have_text("1001")
    counter.keyboard.press("v")                      # no-show: no dialog, can be undone
    expect(counter.locator("#current")).to_have_text("Chưa gọi số")
    expect(counter.locator("#no-shows")).to_contain_text("1001")
    counter.keyboard.press("z")                      # undo: 1001 is called back
    expect(counter.locator("#current")).to_have_text("1001")
    expect(top.locator("#number")).to_have_text("1001")
    finish = counter.locator('[data-action="finish"]')
    finish.click()                                   # Xong cannot be undone: a second press confirms
    expect(finish).to_have_class("armed")
    expect(counter.locator("#current")).to_have_text("1001")
    finish.click()
    expect(counter.locator("#current")).to_have_text("Chưa gọi số")
    expect(top.locator("#number")).to_have_text("—")
    done = requests.get(srv.url + "/api/tickets?status=done", timeout=5).json()
    assert [t["number"] for t in done] == ["1001"]
    for p in (top, counter):
        p.context.close()


def test_kiosk_outside_working_hours_says_when_it_opens(make_server, browser):
    from conftest import center_now

    period = "23:00-23:30" if center_now().hour < 12 else "01:00-01:30"  # never now
    srv = make_server("eventlet", {"center": {"hours": {"mon-sun": [period]}}}).start()
    kiosk = open_page(browser, srv.enrol_link("kiosk"), 1080, 1920)
    expect(kiosk.locator("#hours")).to_be_visible()
    expect(kiosk.locator("#hours")).to_contain_text("Ngoài giờ làm việc. Trung tâm mở cửa lúc " + period[:5])
    expect(kiosk.locator("#services button").first).to_be_disabled()
    kiosk.context.close()


def test_kiosk_prints_through_the_browser_as_a_last_resort(make_server, browser):
    srv = make_server("eventlet", {"printer": {"kind": "browser"}}).start()
    kiosk = open_page(browser, srv.enrol_link("kiosk"), 1080, 1920)
    kiosk.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    kiosk.locator('#services button[data-service="HT"]').click()
    expect(kiosk.locator("#issued-number")).to_have_text("1001")
    kiosk.wait_for_function("window.printed === 1")
    kiosk.emulate_media(media="print")  # the 80 mm print stylesheet keeps only the ticket
    assert kiosk.locator("#issued-number").is_visible() and not kiosk.locator("#services").is_visible()
    assert kiosk.locator(".issued").bounding_box()["width"] < 320  # 74 mm at 96 dpi = 280 px
    kiosk.context.close()
