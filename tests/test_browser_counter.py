"""The counter desk in a real browser against a real server, as an officer uses it on a busy day:
the rating tablet asks the citizen who was served, shortcuts work whatever has focus, buttons
keep their places, and a dead server is explained in Vietnamese. Debian's chromium, no network
beyond 127.0.0.1."""
from datetime import datetime

import requests

from conftest import TZ

from test_browser_hall_health import staffed, wait_for
from test_browser_pages import issue, open_page, sync_api

expect = sync_api.expect
ACTIONS = '.actions button:not([hidden])'


def desk(srv, browser, counter_id=1, width=1280, height=900):
    page = open_page(browser, f"{srv.url}/counter?counter={counter_id}", width, height)
    page.context.set_default_timeout(10000)  # the machine is shared: a busy moment must not fail a test
    page.fill("#token", srv.token("officer")["Authorization"][7:])
    page.press("#token", "Enter")
    expect(page.locator("#desk")).to_be_visible()  # logged in: the keys act from now on
    # The login opens a new connection (the officer's presence): until the server sees it the
    # page may still go offline for a moment, its banner pushing the desk down.
    assert wait_for(lambda: counter_id in staffed(srv)), "the logged-in desk did not make its officer present"
    expect(page.locator('[data-action="call-next"]')).to_be_enabled()
    expect(page.locator("#status")).to_have_attribute("data-status", "online")
    return page


def called_numbers(srv):
    return sorted(t["number"] for t in requests.get(srv.url + "/api/tickets?status=called", timeout=5).json())


def test_the_tablet_asks_the_citizen_who_was_served_before_the_next_is_called(make_server, browser):
    srv = make_server("eventlet", {"reports": {"rating_hold_s": 6}}).start()
    for _ in range(4):
        issue(srv)
    tablet = open_page(browser, srv.enrol_link("rating", "Quầy 1", counter=1), 1024, 600)
    tablet.context.set_default_timeout(10000)
    expect(tablet.locator("#counter-name")).to_have_text("Quầy 1")
    counter = desk(srv, browser)
    counter.keyboard.press("n")
    expect(counter.locator("#current")).to_have_text("1001")

    # "Xong và gọi tiếp": 1001 is finished and asked; 1002 is not called while 1001 rates.
    counter.keyboard.press("n")
    expect(tablet.locator("#ask")).to_be_visible()
    expect(tablet.locator("#number")).to_have_text("1001")
    expect(counter.locator("#current")).to_have_text("Chưa gọi số")
    expect(counter.locator("#counter-state")).to_contain_text("Mời công dân số 1001 đánh giá")
    assert called_numbers(srv) == []
    tablet.get_by_role("button", name="Hài lòng", exact=True).click()
    expect(tablet.locator("#thanks")).to_be_visible()
    expect(counter.locator("#current")).to_have_text("1002")  # the rating lets the next call go
    expect(counter.locator("#counter-state")).to_have_text("")

    # Nobody rates 1002: the counter calls 1003 when the hold runs out, and from then on the
    # tablet no longer asks about 1002 (1003 is the one facing it).
    counter.keyboard.press("n")
    expect(tablet.locator("#number")).to_have_text("1002")
    expect(counter.locator("#counter-state")).to_contain_text("số 1002")
    assert called_numbers(srv) == []
    expect(counter.locator("#current")).to_have_text("1003", timeout=15000)
    expect(tablet.locator("#idle")).to_be_visible()
    rate = requests.get(srv.url + "/api/counters/1/rating", timeout=5).json()
    assert rate["ticket"] is None

    # N during the hold calls at once.
    counter.keyboard.press("n")
    expect(counter.locator("#counter-state")).to_contain_text("số 1003")
    expect(counter.locator('[data-action="call-next"]')).to_contain_text("Gọi ngay")
    counter.keyboard.press("n")
    expect(counter.locator("#current")).to_have_text("1004")
    ratings = requests.get(srv.url + "/api/tickets?status=done", timeout=5).json()
    assert [t["number"] for t in ratings] == ["1001", "1002", "1003"]
    for p in (tablet, counter):
        p.context.close()


def test_a_counter_without_a_tablet_calls_at_once(make_server, browser):
    srv = make_server("eventlet").start()
    issue(srv), issue(srv)
    tablet = open_page(browser, srv.enrol_link("rating", "Quầy 1", counter=1), 1024, 600)  # another counter's
    expect(tablet.locator("#counter-name")).to_have_text("Quầy 1")
    counter = desk(srv, browser, counter_id=2)
    counter.keyboard.press("n")
    expect(counter.locator("#current")).to_have_text("1001")
    counter.keyboard.press("n")
    expect(counter.locator("#current")).to_have_text("1002")
    expect(counter.locator("#counter-state")).to_have_text("")
    for p in (tablet, counter):
        p.context.close()


def test_shortcuts_work_whatever_has_focus_and_transfer_asks_for_the_field(make_server, browser):
    srv = make_server("eventlet").start()
    first = issue(srv)
    issue(srv)
    counter = desk(srv, browser)
    counter.focus("#counter")                       # the counter list in the header has focus
    counter.keyboard.press("n")
    expect(counter.locator("#current")).to_have_text("1001")
    assert counter.locator("#counter").input_value() == "1"

    counter.keyboard.press("t")                     # transfer asks where to, nothing chosen for the officer
    panel = counter.locator("#transfer")
    expect(panel).to_be_visible()
    expect(panel.locator("#transfer-number")).to_have_text("1001")
    options = panel.locator(".transfer-fields button")
    assert "Hộ tịch" not in options.all_inner_texts()  # not the field it is already in
    assert counter.evaluate("document.activeElement.closest('#transfer')") is None
    counter.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(counter.locator("#current")).to_have_text("1001")

    counter.focus("#counter")
    counter.keyboard.press("t")
    expect(panel).to_be_visible()
    target = options.nth(1).inner_text().split(" ", 1)[1].strip()
    assert target == "Đất đai - Xây dựng"
    counter.keyboard.press("2")
    expect(counter.locator("#note-text")).to_have_text(f"Đã chuyển số 1001 sang {target}.")
    expect(counter.locator("#current")).to_have_text("Chưa gọi số")
    moved = requests.get(srv.url + "/api/tickets?status=waiting", timeout=5).json()
    assert next(t for t in moved if t["id"] == first["id"])["service"] == "DD"
    assert counter.locator("#counter").input_value() == "1"

    # After the transfer the keys still work: call the next one, then undo the transfer.
    counter.keyboard.press("n")
    expect(counter.locator("#current")).to_have_text("1002")
    counter.locator('[data-action="transfer"]').click()  # by mouse as well
    options.first.click()
    expect(counter.locator("#current")).to_have_text("Chưa gọi số")
    counter.keyboard.press("z")
    expect(counter.locator("#current")).to_have_text("1002")
    counter.context.close()


def boxes(page):
    """Where each visible action button is, Tạm dừng and Tiếp tục counted as one place."""
    found = page.eval_on_selector_all(ACTIONS, "els => els.map(b => { const r = b.getBoundingClientRect();"
                                               " return [b.dataset.action, r.x, r.y, r.width, r.height]; })")
    return {("pause" if b[0] == "resume" else b[0]): b[1:] for b in found}


def test_buttons_keep_their_places(make_server, browser):
    srv = make_server("eventlet").start()
    issue(srv)
    counter = desk(srv, browser)
    expect(counter.locator("#current")).to_have_text("Chưa gọi số")
    idle = boxes(counter)
    assert len(idle) == 6
    empty = counter.locator("#current").bounding_box()
    assert empty["height"] > 80                     # a readable line, not a thin red bar
    assert counter.locator("#current").evaluate("e => getComputedStyle(e).color") != "rgb(179, 20, 27)"
    counter.keyboard.press("n")
    expect(counter.locator("#current")).to_have_text("1001")
    assert counter.locator("#current").bounding_box() == empty
    serving = boxes(counter)
    assert serving == idle

    counter.keyboard.press("d")                     # armed for confirmation: a longer label, same places
    expect(counter.locator('[data-action="finish"]')).to_have_class("armed")
    expect(counter.locator('[data-action="finish"]')).to_contain_text("xác nhận")
    assert boxes(counter) == serving
    counter.keyboard.press("Escape")

    counter.keyboard.press("p")                     # the pause banner takes its reserved line
    expect(counter.locator("#counter-state")).to_have_text("Quầy đang tạm dừng: bấm Tiếp tục (P) để gọi số")
    expect(counter.locator('[data-action="resume"]')).to_be_visible()
    assert boxes(counter) == serving
    counter.keyboard.press("p")
    expect(counter.locator("#counter-state")).to_have_text("")
    assert boxes(counter) == serving
    counter.context.close()


def test_a_dead_server_is_explained_in_vietnamese(make_server, browser):
    srv = make_server("eventlet").start()
    issue(srv)
    wrong = open_page(browser, srv.url + "/counter")
    wrong.fill("#token", "not-a-token")
    wrong.press("#token", "Enter")
    expect(wrong.locator("#login-error")).to_contain_text("gõ lại, hoặc hỏi lãnh đạo")
    wrong.context.close()
    counter = desk(srv, browser)
    srv.kill()
    expect(counter.locator("#status")).to_have_attribute("data-status", "offline")
    counter.keyboard.press("n")
    error = counter.locator("#error")
    expect(error).to_contain_text("Không kết nối được máy chủ")
    expect(error).to_contain_text("thử lại")
    assert "Failed" not in error.inner_text() and "fetch" not in error.inner_text()
    counter.context.close()


def test_a_busy_desk_at_1366x768_mistakes_are_safe_and_an_outage_is_seen(make_server, browser):
    """One server and one desk for the day's ordinary mistakes: a no-show clicked while someone
    is served, undoing a call-back and a transfer, the layout of a small screen, an outage."""
    srv = make_server("eventlet").start()
    for _ in range(4):
        issue(srv)
    page = desk(srv, browser, 1, 1366, 768)
    page.keyboard.press("n")
    expect(page.locator("#current")).to_have_text("1001")
    page.keyboard.press("v")
    expect(page.locator("#no-shows")).to_contain_text("1001")
    # N sends the number the desk shows as current (against double clicks): until the `state`
    # after the no-show arrives it still shows 1001 and the server calls nobody. Wait for it.
    expect(page.locator("#note-text")).to_have_text("Đã ghi vắng mặt số 1001.")
    expect(page.locator("#current")).to_have_text("Chưa gọi số")
    page.keyboard.press("n")
    expect(page.locator("#current")).to_have_text("1002")

    # The small screen: the next number waiting, the no-show list in view, Đăng xuất after the actions.
    expect(page.locator("#next-number")).to_have_text("1003")
    missed = page.locator("#no-shows button", has_text="1001")
    missed.wait_for()
    assert page.evaluate("document.querySelector('#no-shows button').getBoundingClientRect().bottom") <= 768
    page.evaluate("document.activeElement.blur()")
    order = []
    for _ in range(12):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.dataset.action || ''"))
    assert "logout" not in order[:order.index("call-next")], order

    # 1001 clicked while 1002 is served: refused, 1002 stays at the desk, unfinished.
    missed.click()
    expect(page.locator("#error")).to_contain_text("đang phục vụ số 1002")
    expect(page.locator("#current")).to_have_text("1002")
    assert "1002" in called_numbers(srv)
    finish = page.locator('[data-action="finish"]')
    finish.click()
    finish.click()
    expect(page.locator("#current")).to_have_text("Chưa gọi số")
    missed.click()                                   # at a free desk it is called back, and undoable
    expect(page.locator("#current")).to_have_text("1001")
    expect(page.locator("#undo")).to_contain_text("Hoàn tác: trả 1001 về danh sách vắng mặt")
    page.keyboard.press("z")
    expect(page.locator("#current")).to_have_text("Chưa gọi số")
    expect(page.locator("#no-shows")).to_contain_text("1001")

    # A transfer undone comes back to this field, not only to this desk.
    page.keyboard.press("n")
    expect(page.locator("#current")).to_have_text("1003")
    page.keyboard.press("t")
    page.locator("#transfer-fields button", has_text="Cư trú").click()
    expect(page.locator("#current")).to_have_text("Chưa gọi số")
    expect(page.locator("#undo")).to_contain_text("đưa 1003 về Hộ tịch và gọi lại")
    page.keyboard.press("z")
    expect(page.locator("#current")).to_have_text("1003")
    expect(page.locator("#current-field")).to_have_text("Hộ tịch")
    back = requests.get(srv.url + "/api/tickets?status=called", timeout=5).json()
    assert [(t["number"], t["service"]) for t in back] == [("1003", "HT")]

    # The server stops: a large banner, dimmed buttons, no "trực tuyến" beside the error.
    srv.kill()
    banner = page.locator(".offline-banner")
    expect(banner).to_be_visible()
    assert float(page.locator('[data-action="recall"]').evaluate("e => getComputedStyle(e).opacity")) < 0.5
    page.evaluate("document.querySelector('[data-action=recall]').click()")
    expect(page.locator("#error")).to_contain_text("Không kết nối được máy chủ")
    expect(page.locator("#status")).not_to_contain_text("trực tuyến")
    srv.start()                                      # back: the banner and the stale error go by themselves
    expect(page.locator("#status")).to_have_attribute("data-status", "online", timeout=20000)
    expect(banner).to_be_hidden()
    expect(page.locator("#error")).to_have_text("")
    page.context.close()


def test_after_closing_the_desk_passes_over_the_warned_and_offers_them_by_number(make_server, browser):
    """After 17:00 "Gọi tiếp" calls the citizen the kiosk promised a time, not the one it warned
    "có thể không kịp"; the desk then says who is left and offers them by number."""
    hours = {"hours": {"mon-fri": ["07:00-18:00"]}, "counter_hours": {"mon-fri": ["07:30-17:00"]}}
    srv = make_server("eventlet", extra={"center": hours}, at=datetime(2026, 11, 23, 17, 5, tzinfo=TZ)).start()
    warned, promised = issue(srv), issue(srv)
    with srv.database() as (_, db):
        db.execute("UPDATE promises SET late = (ticket_id = ?) WHERE source = 'kiosk'", (warned["id"],))
        db.conn.commit()
    counter = desk(srv, browser)
    expect(counter.locator("#next-number")).to_have_text(promised["number"])
    expect(counter.locator("#call-warned")).to_be_hidden()
    counter.keyboard.press("n")
    expect(counter.locator("#current")).to_have_text(promised["number"])
    counter.keyboard.press("d")
    expect(counter.locator('[data-action="finish"]')).to_have_class("armed")
    counter.keyboard.press("d")
    expect(counter.locator("#current")).to_have_text("Chưa gọi số")
    expect(counter.locator("#next-number")).to_have_text("hết giờ · 1 số đã báo có thể không kịp")
    expect(counter.locator("#call-warned")).to_have_text("Vẫn gọi số " + warned["number"])
    counter.locator("#call-warned").click()
    expect(counter.locator("#current")).to_have_text(warned["number"])
    expect(counter.locator("#call-warned")).to_be_hidden()
    counter.context.close()
