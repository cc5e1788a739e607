"""Online booking on a bare database: slots, places, limits, check-in, closures, erasure; and its API."""
import threading
from datetime import date, datetime, timedelta

import pytest

from shared import booking, errors, notify, queue
from shared.config import ConfigError, validate
from shared.db import connect, init_database

from conftest import TZ, bearer, device_secret

HOURS = {"mon-fri": ["07:30-11:30", "13:30-17:00"]}
MONDAY = datetime(2026, 11, 23, 7, 0, tzinfo=TZ)
CARD = "001090012345|123456789|Nguyễn Văn An|01021950|Nam|Số 1, Hòa Cường, Đà Nẵng|15082021"


@pytest.fixture
def raw_config(raw_config):
    raw_config["center"]["hours"] = HOURS
    raw_config["booking"] = {"enabled": True, "places": 2, "slot_min": 30, "max_per_address_hour": 0,
                             "services": {"HT": {"places": 1}, "TKQ": {"places": 0}}}
    raw_config["notify"] = {"kind": "webhook", "url": "http://127.0.0.1:9/sms"}
    return raw_config


def citizen(phone="0912345678", **extra):
    return {"service": "CT", "day": "2026-11-23", "slot": "08:00", "name": "Trần Thị Bình", "phone": phone, **extra}


def make(db, config, at=MONDAY, client="10.0.0.1", **body):
    return booking.book(db, config, at, citizen(**body), client, "https://hcc.example")


def test_slots_are_cut_from_the_hours_and_count_places(db, config):
    slots = booking.slots(db, config, "CT", "2026-11-23", MONDAY)
    assert [s["start"] for s in slots[:3]] == ["07:30", "08:00", "08:30"]
    assert len(slots) == 8 + 7  # 07:30-11:30 and 13:30-17:00 in 30-minute slots
    make(db, config)
    free = {s["start"]: s["free"] for s in booking.slots(db, config, "CT", "2026-11-23", MONDAY)}
    assert free["08:00"] == 1 and free["08:30"] == 2
    # A slot that has started is not offered any more.
    later = booking.slots(db, config, "CT", "2026-11-23", MONDAY.replace(hour=8, minute=5))
    assert not next(s for s in later if s["start"] == "08:00")["open"]


def test_days_are_working_days_ahead_less_closed_ones(db, config):
    days = booking.booking_days(db, config, MONDAY)
    assert days == ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-30"]
    sunday = MONDAY - timedelta(days=1)
    assert booking.booking_days(db, config, sunday) == days[:5]  # today is no working day
    booking.close(db, config, "2026-11-25", "", "", "Tập huấn", MONDAY)
    assert "2026-11-25" not in booking.booking_days(db, config, MONDAY)
    with pytest.raises(errors.QueueError) as err:
        make(db, config, day="2026-11-25")
    assert err.value.code == "day_not_bookable"


def test_last_place_goes_once_and_one_booking_per_phone_field_day(db, config):
    make(db, config, service="HT")
    with pytest.raises(errors.Conflict) as err:
        make(db, config, service="HT", phone="0987654321")
    assert err.value.code == "slot_full"
    with pytest.raises(errors.Conflict) as err:
        make(db, config, slot="09:00", phone="+84 912 345 678", service="HT")
    assert err.value.code == "already_booked"
    # Another field the same day is allowed.
    assert make(db, config, service="CT")["status"] == "booked"


def test_twenty_phones_racing_for_the_last_place_only_one_wins(config):
    """Twenty connections book the one place of HT 08:00 at the same moment."""
    setup = connect(config["database"]["path"])
    init_database(setup, config)
    setup.conn.close()
    start = threading.Barrier(20)
    results = []

    def one(i):
        db = connect(config["database"]["path"], busy_timeout_s=30)
        start.wait()
        try:
            results.append(make(db, config, service="HT", phone=f"09{i:08d}")["code"])
        except errors.Conflict as exc:
            results.append(exc.code)
        finally:
            db.conn.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 20
    assert results.count("slot_full") == 19
    db = connect(config["database"]["path"])
    assert db.execute("SELECT count(*) FROM bookings WHERE service = 'HT' AND slot = '08:00'").fetchone()[0] == 1
    db.conn.close()


def test_bad_input_is_refused_with_a_code(db, config):
    for body, code in (({"phone": "12345"}, "invalid_phone"), ({"name": "x" * 81}, "invalid_name"),
                       ({"id_number": "12"}, "invalid_id_number"), ({"slot": "08:10"}, "slot_not_bookable"),
                       ({"service": "TKQ"}, "service_not_bookable"), ({"service": ["HT"]}, "unknown_service"),
                       ({"day": "2026-12-31"}, "day_not_bookable")):
        with pytest.raises(errors.QueueError) as err:
            make(db, config, **body)
        assert err.value.code == code, body


def test_hourly_limits_per_address_and_for_everyone(db, raw_config):
    raw_config["booking"].update(max_per_address_hour=2, max_per_hour=3)
    config = validate(raw_config)
    make(db, config, phone="0911111111")
    make(db, config, phone="0922222222", slot="08:30")
    with pytest.raises(booking.BookingsTooFast):
        make(db, config, phone="0933333333", slot="09:00")
    make(db, config, phone="0933333333", slot="09:00", client="10.0.0.2")
    with pytest.raises(booking.BookingsTooFast) as err:
        make(db, config, phone="0944444444", slot="09:30", client="10.0.0.3")
    assert err.value.retry_after > 0
    # An hour later both limits have room again.
    make(db, config, at=MONDAY + timedelta(hours=1, minutes=1), phone="0944444444", slot="09:30")


def test_check_in_by_code_or_card_puts_the_ticket_at_the_slot_start(db, config):
    made = make(db, config, id_number="001090012345")
    walk_in_early = queue.issue_ticket(db, "CT", False, MONDAY.replace(hour=7, minute=50))
    with pytest.raises(errors.Conflict) as err:
        booking.check_in(db, config, MONDAY.replace(hour=7, minute=40), made["code"])
    assert err.value.code == "booking_too_early" and "07:45" in err.value.message
    ticket = booking.check_in(db, config, MONDAY.replace(hour=7, minute=55), made["code"].lower())
    assert ticket["booked"] and ticket["status"] == "waiting"
    walk_in_late = queue.issue_ticket(db, "CT", False, MONDAY.replace(hour=8, minute=1))
    # A second scan (here the chip card) gives the same ticket.
    assert booking.check_in(db, config, MONDAY.replace(hour=7, minute=56), CARD)["id"] == ticket["id"]
    order = []
    for _ in range(3):
        called, _moved = queue.call_next(db, 3, MONDAY.replace(hour=8, minute=2), config["queue"])
        order.append(called["id"])
    assert order == [walk_in_early["id"], ticket["id"], walk_in_late["id"]]
    assert booking.booking_by_token(db, config, made["token"], MONDAY)["status"] == "checked_in"


def test_a_scanned_card_of_an_elder_gives_a_priority_ticket(db, raw_config):
    raw_config["kiosk"]["priority_age"] = 75
    config = validate(raw_config)
    elder = make(db, config, id_number="001090012345")                      # born 01/02/1950: 76
    young = make(db, config, id_number="001099000111", phone="0987654321")
    young_card = CARD.replace("001090012345", "001099000111").replace("01021950", "24111951")  # 75 tomorrow
    at = MONDAY.replace(hour=7, minute=50)
    assert booking.check_in(db, config, at, CARD)["priority"] is True
    assert booking.check_in(db, config, at, young_card)["priority"] is False
    assert booking.age_on_card(young_card, date(2026, 11, 24)) == 75
    assert booking.age_on_card("0|1|x|31021950|Nam", MONDAY.date()) is None
    assert booking.age_on_card("0|1|x|01012030|Nam", MONDAY.date()) is None
    assert [booking.booking_by_token(db, config, b["token"], at)["status"] for b in (elder, young)] == ["checked_in"] * 2


def test_check_in_too_late_or_unknown(db, config):
    made = make(db, config)
    with pytest.raises(errors.Conflict) as err:
        booking.check_in(db, config, MONDAY.replace(hour=8, minute=11), made["code"])
    assert err.value.code == "booking_too_late"
    with pytest.raises(errors.NotFound):
        booking.check_in(db, config, MONDAY.replace(hour=8), "ZZZZZZ")
    with pytest.raises(errors.NotFound):  # a card with no booking today
        booking.check_in(db, config, MONDAY.replace(hour=8), CARD)
    assert booking.id_number_from_card(CARD) == "001090012345"
    assert booking.id_number_from_card("not|a|card") is None


def test_personal_data_is_masked_and_erased_after_keep_days(db, config):
    made = make(db, config, id_number="001090012345")
    assert made["phone"] == "*******678" and made["id_number"] == "*********345"
    listing = booking.day_listing(db, config, "2026-11-23", MONDAY)
    assert "0912345678" not in str(listing) and "001090012345" not in str(listing)
    assert booking.erase_expired(db, config, MONDAY + timedelta(days=30)) == 0
    assert booking.erase_expired(db, config, MONDAY + timedelta(days=31)) == 1
    row = db.execute("SELECT name, phone, id_number, client FROM bookings").fetchone()
    assert tuple(row) == ("", "", "", "")
    assert db.execute("SELECT count(*) FROM outbox WHERE phone != ''").fetchone()[0] == 0


def test_each_change_writes_its_notice_in_the_same_transaction(db, config):
    made = make(db, config)
    booking.cancel_by_staff(db, config, made["id"], "Cán bộ đi tập huấn", MONDAY)
    kinds = [r[0] for r in db.execute("SELECT kind FROM outbox ORDER BY id")]
    assert kinds == ["booked", "cancelled"]
    # A refused booking leaves no notice behind.
    with pytest.raises(errors.QueueError):
        make(db, config, phone="1")
    assert db.execute("SELECT count(*) FROM outbox").fetchone()[0] == 2


def test_reminder_and_near_turn_are_queued_once(db, config):
    made = make(db, config, slot="09:00")
    assert booking.queue_reminders(db, config, MONDAY.replace(hour=7, minute=30)) == 0
    assert booking.queue_reminders(db, config, MONDAY.replace(hour=8, minute=0)) == 1
    assert booking.queue_reminders(db, config, MONDAY.replace(hour=8, minute=1)) == 0
    for minute in range(4):
        queue.issue_ticket(db, "CT", False, MONDAY.replace(hour=8, minute=minute))
    booking.check_in(db, config, MONDAY.replace(hour=8, minute=50), made["code"])
    assert booking.queue_near_turn(db, config, MONDAY.replace(hour=8, minute=51)) == 0  # 4 ahead
    queue.call_next(db, 3, MONDAY.replace(hour=8, minute=52), config["queue"])
    assert booking.queue_near_turn(db, config, MONDAY.replace(hour=8, minute=53)) == 1
    assert booking.queue_near_turn(db, config, MONDAY.replace(hour=8, minute=54)) == 0
    kinds = [r[0] for r in db.execute("SELECT kind FROM outbox ORDER BY id")]
    assert kinds == ["booked", "reminder", "near_turn"]


def test_closing_a_slot_cancels_and_notifies_its_bookings(db, config):
    kept = make(db, config, slot="08:30")
    gone = make(db, config, phone="0987654321")
    assert booking.close(db, config, "2026-11-23", "CT", "08:00", "Mất điện", MONDAY) == 1
    assert booking.booking_by_token(db, config, gone["token"], MONDAY)["status"] == "cancelled"
    assert booking.booking_by_token(db, config, kept["token"], MONDAY)["status"] == "booked"
    assert not next(s for s in booking.slots(db, config, "CT", "2026-11-23", MONDAY) if s["start"] == "08:00")["open"]
    assert booking.reopen(db, "2026-11-23", "CT", "08:00", MONDAY)
    with pytest.raises(errors.QueueError):
        booking.close(db, config, "2026-11-23", "CT", "08:10", "x", MONDAY)


def test_config_errors_name_the_key(raw_config):
    for section, values, key in (("booking", {"places": -1}, "booking.places"),
                                 ("booking", {"services": {"XX": {"places": 1}}}, "booking.services.XX"),
                                 ("booking", {"services": {"HT": {"seats": 1}}}, "booking.services.HT.seats"),
                                 ("notify", {"kind": "sms"}, "notify.kind"),
                                 ("notify", {"url": ""}, "notify.url"),
                                 ("notify", {"key_header": "bad header"}, "notify.key_header")):
        broken = {**raw_config, section: {**raw_config[section], **values}}
        with pytest.raises(ConfigError, match=f"^{key}"):
            validate(broken)
    without_hours = {**raw_config, "center": {**raw_config["center"], "hours": {}}}
    with pytest.raises(ConfigError, match="^booking.enabled"):
        validate(without_hours)


# The API, through the app (the clock is the conftest's Monday 07:30).

def test_api_books_shows_and_cancels(app):
    client = app.test_client()
    options = client.get("/api/booking").get_json()
    assert "TKQ" not in [s["code"] for s in options["services"]] and options["days"][0] == "2026-11-23"
    slots = client.get("/api/booking/slots?service=CT&day=2026-11-23").get_json()["slots"]
    assert slots[0]["start"] == "07:30" and not slots[0]["open"]  # 07:30 has started
    reply = client.post("/api/bookings", json=citizen())
    assert reply.status_code == 201
    made = reply.get_json()
    assert set(made["code"]) <= set(booking.CODE_ALPHABET) and made["phone"].endswith("678")
    assert client.get(f"/api/bookings/{made['token']}").get_json()["code"] == made["code"]
    ics = client.get(f"/b/{made['token']}/booking.ics")
    assert b"DTSTART:20261123T010000Z" in ics.data  # 08:00 in Hà Nội
    assert client.get(f"/b/{made['token']}/qr.svg").mimetype == "image/svg+xml"
    assert client.delete(f"/api/bookings/{made['token']}", json={}).get_json()["status"] == "cancelled"
    assert client.delete(f"/api/bookings/{made['token']}", json={}).status_code == 409
    assert client.get("/api/bookings/nope").status_code == 404


def test_api_refuses_unknown_keys_and_bad_bodies(app):
    client = app.test_client()
    assert client.post("/api/bookings", json={**citizen(), "kiosk": "x"}).get_json()["error"] == "unknown_field"
    assert client.post("/api/bookings", data="{}", content_type="text/plain").status_code == 415
    assert client.post("/api/bookings", json={**citizen(), "phone": 5}).get_json()["error"] == "invalid_phone"
    for key in ("service", "day", "slot", "name", "id_number"):
        reply = client.post("/api/bookings", json={**citizen(), key: ["08:00"]})
        assert reply.status_code == 400, key
    assert client.get("/api/booking/slots?service=CT&day=tomorrow").status_code == 400


def test_check_in_only_from_an_enrolled_kiosk(app, config, clock):
    client = app.test_client()
    made = client.post("/api/bookings", json=citizen()).get_json()
    clock.at = clock.at.replace(hour=7, minute=50)
    assert client.post("/api/bookings/check-in", json={"code": made["code"]}).status_code == 403
    rating = bearer(device_secret(config, "rating", "Quầy 1", 1))
    assert client.post("/api/bookings/check-in", json={"code": made["code"]}, headers=rating).status_code == 403
    kiosk = bearer(device_secret(config, "kiosk", "Sảnh"))
    reply = client.post("/api/bookings/check-in", json={"code": made["code"]}, headers=kiosk)
    assert reply.status_code == 201 and reply.get_json()["booked"]
    state = client.get("/api/counters").get_json()
    assert all(c["current"] is None for c in state)


def test_supervisor_listing_and_cancel_with_reason(app, supervisor, officer):
    client = app.test_client()
    made = client.post("/api/bookings", json=citizen()).get_json()
    assert client.get("/api/bookings", headers=officer).status_code == 403
    listing = client.get("/api/bookings?day=2026-11-23", headers=supervisor).get_json()
    assert listing["slots"] == [{"service": "CT", "slot": "08:00", "booked": 1, "checked_in": 0, "no_show": 0,
                                 "cancelled": 0}]
    assert listing["bookings"][0]["phone"] == "*******678" and listing["notices"]["pending"] == 1
    assert client.post(f"/api/bookings/{made['id']}/cancel", json={}, headers=supervisor).status_code == 400
    reply = client.post(f"/api/bookings/{made['id']}/cancel", json={"reason": "Nghỉ lễ"}, headers=supervisor)
    assert reply.get_json()["status"] == "cancelled"
    closed = client.post("/api/booking/closures", json={"day": "2026-11-24", "reason": "Nghỉ lễ"}, headers=supervisor)
    assert closed.status_code == 201
    assert "2026-11-24" not in client.get("/api/booking").get_json()["days"]
    for body in ({"day": "2026-11-24", "service": "HT", "slot": ["08:00"], "reason": "x"},
                 {"day": ["2026-11-24"], "reason": "x"}, {"day": "2026-11-24", "service": {}, "reason": "x"}):
        assert client.post("/api/booking/closures", json=body, headers=supervisor).status_code == 400, body
        assert client.delete("/api/booking/closures", json=body, headers=supervisor).status_code in (400, 404), body
    assert client.delete("/api/booking/closures", json={"day": "2026-11-24"}, headers=supervisor).status_code == 200


def test_booking_off_answers_404(raw_config, tmp_path):
    from shared.app import create_app

    raw_config["booking"]["enabled"] = False
    client = create_app(validate(raw_config)).test_client()
    assert client.get("/api/booking").get_json()["error"] == "booking_disabled"
    assert client.get("/book").status_code == 404


def test_notice_rows_absent_without_a_gateway(db, raw_config):
    raw_config["notify"] = {"kind": "none"}
    config = validate(raw_config)
    make(db, config)
    assert notify.summary(db)["pending"] == 0
