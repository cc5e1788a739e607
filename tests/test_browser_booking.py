"""Booking end to end in a real browser against a real server: a phone books on /book,
the kiosk checks in with a typed code and a scanned one, the counter calls in order."""
import re
from datetime import datetime, timedelta

import pytest
import requests
from playwright import sync_api

from conftest import TZ, opened
from test_browser_pages import CSP_BYPASS, enrol
from shared import booking
from shared.config import load_config

ALL_DAY = {"mon-sun": ["00:00-24:00"]}
SLOT_MIN = 5


# A weekday morning by the server's clock (libfaketime): these tests book today's later slots
# and check in today, which no real 23:59 allows; the hours they touch are the server's.
MORNING = datetime(2026, 11, 30, 9, 0, tzinfo=TZ)


@pytest.fixture
def srv(make_server):
    # A gateway that never answers: the confirmation code is read from the outbox, where
    # its text waits (a real gateway would carry it to the phone).
    return make_server("eventlet", {"center": {"hours": ALL_DAY},
                                    "booking": {"enabled": True, "slot_min": SLOT_MIN},
                                    "notify": {"kind": "webhook", "url": "http://127.0.0.1:9/sms"}}, at=MORNING).start()


def texted_code(srv, phone: str) -> str:
    with opened(load_config(srv.config_path)) as db:
        message = db.execute("SELECT message FROM outbox WHERE kind = 'confirm' AND phone = ? ORDER BY id DESC",
                             (phone,)).fetchone()[0]
    return re.search(r"mã xác nhận đặt lịch (\d{6})", message).group(1)


def context(browser, width, height, timezone_id=None):
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN", timezone_id=timezone_id,
                              **CSP_BYPASS)
    ctx.set_default_timeout(5000)
    return ctx


def book_on_phone(browser, srv) -> tuple[str, str, str]:
    """The citizen's phone: field, today, the first free slot, name and phone (the disabled
    button saying what is still missing); returns (code, slot, the booking page's address)."""
    phone = context(browser, 412, 915).new_page()
    phone.goto(srv.url + "/book")
    sync_api.expect(phone.locator("#service")).to_have_value("HT")
    first = phone.locator("#slots button").first
    first.wait_for()
    sync_api.expect(phone.locator("#submit")).to_be_disabled()
    sync_api.expect(phone.locator("#missing")).to_contain_text("khung giờ, họ và tên, số điện thoại")
    slot = first.get_attribute("data-slot")
    first.click()
    phone.fill("#name", "Phạm Thị Dung")
    sync_api.expect(phone.locator("#missing")).to_contain_text("xin chọn hoặc nhập: số điện thoại.")
    phone.fill("#phone", "0905 123 456")
    sync_api.expect(phone.locator("#missing")).to_have_text("")
    phone.click("#submit")
    # Nothing is held until the code texted to the phone is typed back.
    sync_api.expect(phone.locator("#confirm-phone")).to_have_text("*******456")
    sync_api.expect(phone.locator("#who")).to_be_hidden()
    phone.fill("#confirm-code", "000000")
    phone.click("#confirm-submit")
    sync_api.expect(phone.locator("#confirm-error")).to_contain_text("không đúng")
    phone.fill("#confirm-code", texted_code(srv, "0905123456"))
    phone.click("#confirm-submit")
    phone.wait_for_url("**/b/*")
    code = phone.locator("#code")
    sync_api.expect(code).to_have_text(re.compile(r"^[A-HJ-NP-Z2-9]{6}$"))
    sync_api.expect(phone.locator("#phone")).to_have_text("*******456")
    sync_api.expect(phone.locator("#qr")).to_have_attribute("src", f"/b/{phone.url.rsplit('/', 1)[1]}/qr.svg")
    text, url = code.inner_text(), phone.url
    phone.context.close()
    return text, slot, url


def booking_already_started(srv) -> str:
    """A booking of the slot that started at most SLOT_MIN minutes ago, made (as its
    citizen did before the slot) straight in the database; returns its code."""
    config = load_config(srv.config_path)
    moment = srv.now()
    started = moment.replace(minute=moment.minute - moment.minute % SLOT_MIN, second=0, microsecond=0)
    with opened(config) as db:
        made = booking.book(db, config, started - timedelta(minutes=1),
                            {"service": "HT", "day": started.date().isoformat(), "slot": f"{started:%H:%M}",
                             "name": "Võ Văn Em", "phone": "0977000111"}, "127.0.0.1", srv.url)
    return made["code"]


def test_phone_books_kiosk_checks_in_counter_calls_in_order(srv, browser):
    officers = srv.staff(*range(1, 8))                  # an officer at every counter (presence)
    later_code, later_slot, _ = book_on_phone(browser, srv)
    started_code = booking_already_started(srv)
    walk_in = requests.post(srv.url + "/api/tickets", headers=srv.kiosk, json={"service": "HT"}, timeout=5).json()

    kiosk = context(browser, 1080, 1920).new_page()
    enrol(kiosk, srv.enrol_link("kiosk", "Sảnh"))
    # Typed on the on-screen keypad, whose keys fill the portrait screen's width.
    kiosk.click("#checkin-open")
    assert kiosk.locator("#checkin-keys").bounding_box()["width"] >= 0.9 * 1080
    for key in later_code[:5]:                          # one key missed: the length is what is wrong
        kiosk.click(f'#checkin-keys [data-key="{key}"]')
    kiosk.click('#checkin-keys [data-key="ok"]')
    sync_api.expect(kiosk.locator("#checkin-message")).to_contain_text("6 ký tự")
    sync_api.expect(kiosk.locator("#checkin-code")).to_have_text(later_code[:5])  # kept, to be completed
    kiosk.click(f'#checkin-keys [data-key="{later_code[5]}"]')
    sync_api.expect(kiosk.locator("#checkin-code")).to_have_text(later_code)
    kiosk.click('#checkin-keys [data-key="ok"]')
    # The same ticket screen as a walk-in's: people ahead, the wait, the counters, remember it.
    sync_api.expect(kiosk.locator("#issued-number")).to_have_text("1002")
    sync_api.expect(kiosk.locator("#checkin")).to_be_hidden()
    sync_api.expect(kiosk.locator("#issued-service")).to_contain_text("Đã đặt lịch")
    sync_api.expect(kiosk.locator("#issued-counters")).to_contain_text("Quầy")
    sync_api.expect(kiosk.locator("#issued-wait")).not_to_have_text("…")
    sync_api.expect(kiosk.locator("#paper")).to_contain_text("ghi nhớ số này")
    assert kiosk.locator("#issued-ahead").inner_text().isdigit()
    kiosk.click("#done")
    sync_api.expect(kiosk.locator("#start")).to_be_visible()
    # Scanned: a USB scanner types the QR's text and Enter, with no tap first.
    kiosk.keyboard.type(started_code.lower(), delay=5)
    kiosk.keyboard.press("Enter")
    sync_api.expect(kiosk.locator("#issued-number")).to_have_text("1003")
    sync_api.expect(kiosk.locator("#issued-service")).to_contain_text("Đã đặt lịch")
    kiosk.context.close()

    counter = context(browser, 1280, 900).new_page()
    counter.goto(srv.url + "/counter")
    counter.fill("#token", srv.token("officer")["Authorization"][7:])
    counter.click("#login-form button[type=submit]")
    call = counter.locator('[data-action="call-next"]')
    sync_api.expect(counter.locator("#status")).to_have_attribute("data-status", "online")
    called = []
    for _ in range(3):
        sync_api.expect(call).to_be_enabled()
        before = counter.locator("#current").inner_text()
        call.click()
        counter.wait_for_function(f"document.getElementById('current').textContent !== {before!r}")
        called.append((counter.locator("#current").inner_text(),
                       "Đã đặt lịch" in counter.locator("#current-field").inner_text()))
    # The booking whose slot had started goes before the walk-in who came after that
    # start; the walk-in goes before the booking whose slot is still to come.
    assert called == [("1003", True), (walk_in["number"], False), ("1002", True)], (called, later_slot)
    counter.context.close()
    for page in officers:
        page.disconnect()


def test_supervisor_sees_masked_bookings_and_cancels_one_with_a_reason(srv, browser):
    code, slot, citizens_page = book_on_phone(browser, srv)
    page = context(browser, 1280, 900).new_page()
    page.goto(srv.url + "/bookings")
    page.fill("#token", srv.token("supervisor")["Authorization"][7:])
    page.click("#login-form button[type=submit]")
    row = page.locator("#list tr", has_text=code)
    sync_api.expect(row).to_contain_text("*******456")
    sync_api.expect(row).not_to_contain_text("0905123456")
    sync_api.expect(page.locator("#slots tr", has_text=slot)).to_contain_text("Hộ tịch")
    sync_api.expect(row).to_contain_text("Chờ đến")          # booked, not yet here ("Đã đặt" is the reports' total)
    sync_api.expect(page.locator("table thead").first).to_contain_text("Chờ đến")
    page.once("dialog", lambda dialog: dialog.accept("Cán bộ đi tập huấn"))
    row.locator("button").click()
    sync_api.expect(row).to_contain_text("Đã huỷ")
    phone = context(browser, 412, 915).new_page()          # the citizen's page: nothing left to scan or keep
    phone.goto(citizens_page)
    sync_api.expect(phone.locator("#status-text")).to_contain_text("Đã huỷ")
    for gone in ("#qr", "#qr-hint", "#ics"):
        sync_api.expect(phone.locator(gone)).to_be_hidden()
    phone.context.close()

    # Closing the day states what it cancels and asks; "no" changes nothing.
    other = booking_already_started(srv)
    page.click("#pick button[type=submit]")
    pending = page.locator("#list tr", has_text=other)
    sync_api.expect(pending).to_contain_text("Chờ đến")
    asked = []

    def answer(accept):
        def handle(dialog):
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()
        page.once("dialog", handle)

    page.fill("#close-reason", "Mất điện")
    answer(False)
    page.click("#close button[type=submit]")
    for _ in range(50):                                   # the dry run's answer, then the question
        if asked:
            break
        page.wait_for_timeout(100)
    sync_api.expect(pending).to_contain_text("Chờ đến")
    assert asked and "huỷ 1 lịch hẹn" in asked[0] and "nhắn tin cho 1 công dân" in asked[0], asked
    assert "mọi lĩnh vực, cả ngày" in asked[0]
    answer(True)
    page.click("#close button[type=submit]")
    sync_api.expect(page.locator("#result")).to_contain_text("huỷ 1 lịch hẹn")
    sync_api.expect(pending).to_contain_text("Đã huỷ")
    answer(True)                                          # reopening says the cancelled stay cancelled
    page.locator("#closures button").click()
    sync_api.expect(page.locator("#result")).to_contain_text("lịch đã huỷ vẫn huỷ")
    assert "vẫn bị huỷ" in asked[-1]
    page.context.close()


@pytest.mark.parametrize("browser_zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_bookings_page_opens_on_the_centers_day_whatever_the_browsers_clock(srv, browser, browser_zone):
    """UTC+14 and UTC-11: at any instant one of them is on another date than the center (UTC+7)."""
    page = context(browser, 1280, 900, timezone_id=browser_zone).new_page()
    page.goto(srv.url + "/bookings")
    page.fill("#token", srv.token("supervisor")["Authorization"][7:])
    page.click("#login-form button[type=submit]")
    sync_api.expect(page.locator("#bookings")).to_be_visible()
    assert page.input_value("#day") == srv.now().date().isoformat()
    page.context.close()
