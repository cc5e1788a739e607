"""Tickets issued through the API reach the printer, and a dead printer never slows issue."""
import time
from datetime import datetime

import pytest
import requests
import socketio

from conftest import enrolled_client, opened
from escpos_fakes import FakeNetworkPrinter, assert_same_pixels, decode_ticket
from shared.printer_agent import PrinterAgent
from shared.ticket_image import TicketSlip, render_ticket

WIDTH = 384


@pytest.fixture
def fake_printer():
    printer = FakeNetworkPrinter()
    yield printer
    printer.stop()


def printer_app(raw_config, clock, printer_cfg):
    """An app with this printer, and a test client enrolled as its kiosk."""
    from shared.app import create_app
    from shared.config import validate

    raw_config["printer"] = printer_cfg
    config = validate(raw_config)
    app = create_app(config)
    app.config["CLOCK"] = clock
    return app, enrolled_client(app, config)


def expected_slip(ticket, counters, url_base="http://localhost"):
    return TicketSlip(
        center_name="Trung tâm Phục vụ hành chính công phường Hòa Cường",
        service_name=ticket["service_name"], number=ticket["number"], counters=counters,
        issued_at=datetime.fromisoformat(ticket["issued_at"]), ahead=ticket["ahead"],
        url=f"{url_base}/t/{ticket['token']}", footer="Số chỉ có giá trị trong ngày.",
        priority=ticket["priority"],
    )


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_each_ticket_prints_once_as_raster_then_cut(raw_config, clock, fake_printer):
    app, client = printer_app(raw_config, clock, {"kind": "network", "host": "127.0.0.1", "port": fake_printer.port,
                                          "width_px": WIDTH, "footer": "Số chỉ có giá trị trong ngày.",
                                          "timeout_s": 2})
    tickets = [client.post("/api/tickets", json={"service": s, "priority": p}).get_json()
               for s, p in (("HT", False), ("HT", True), ("LDXH", False))]
    jobs = fake_printer.wait_jobs(3)
    time.sleep(0.3)
    assert len(fake_printer.jobs) == 3
    serving = {"HT": ["Quầy 1", "Quầy 2"], "LDXH": ["Quầy 6"]}
    for ticket, job in zip(tickets, jobs):
        printed, commands = decode_ticket(job)
        assert [c[0] for c in commands][-1] == "cut" and [c[0] for c in commands].count("cut") == 1
        assert_same_pixels(printed, render_ticket(expected_slip(ticket, serving[ticket["service"]]), WIDTH))
    assert client.get("/api/state").get_json()["printer"]["ok"] is True


def test_dead_printer_never_slows_ticket_issue_and_is_reported(raw_config, clock, fake_printer, db):
    port = fake_printer.port
    fake_printer.stop()
    app, client = printer_app(raw_config, clock, {"kind": "network", "host": "127.0.0.1", "port": port,
                                          "width_px": WIDTH, "timeout_s": 3})
    started = time.monotonic()
    statuses = [client.post("/api/tickets", json={"service": "CT"}).status_code for _ in range(20)]
    elapsed = time.monotonic() - started
    assert statuses == [201] * 20
    assert elapsed < 3, "issue waited for the printer"
    assert wait_for(lambda: client.get("/api/state").get_json()["printer"]["ok"] is False)
    printer = client.get("/api/state").get_json()["printer"]
    assert printer["kind"] == "network" and printer["error"]
    assert wait_for(lambda: db.execute("SELECT count(*) FROM audit WHERE kind = 'print_failed'").fetchone()[0] >= 1)
    # The printer comes back: the next ticket prints again.
    revived = FakeNetworkPrinter(port)
    try:
        client.post("/api/tickets", json={"service": "CT"})
        assert revived.wait_jobs(1)
    finally:
        revived.stop()


def test_printer_agent_prints_its_kiosks_tickets(make_server, fake_printer):
    server = make_server("threading", {"printer": {"kind": "agent"}}).start()
    kiosk_a = server.device("kiosk", "Kiosk A")
    agent = PrinterAgent(server.url, kiosk_a["Authorization"][7:],
                         {"kind": "network", "host": "127.0.0.1", "port": fake_printer.port,
                          "width_px": WIDTH, "timeout_s": 2})
    agent.start()
    try:
        ticket = requests.post(server.url + "/api/tickets", headers=kiosk_a, json={"service": "HT"}, timeout=5).json()
        printed, commands = decode_ticket(fake_printer.wait_jobs(1)[0])
        assert printed.width == WIDTH and commands[-1][0] == "cut"
        slip = expected_slip(ticket, ["Quầy 1", "Quầy 2"], server.url)
        slip.footer = ""
        assert_same_pixels(printed, render_ticket(slip, WIDTH))
        # A kiosk with no agent: the ticket is still issued, the fault is shown.
        response = requests.post(server.url + "/api/tickets", headers=server.device("kiosk", "Kiosk B"),
                                 json={"service": "HT"}, timeout=5)
        assert response.status_code == 201
        state = requests.get(server.url + "/api/state", timeout=5).json()
        assert state["printer"]["ok"] is False and "Kiosk B" in state["printer"]["error"]
    finally:
        agent.stop()


@pytest.mark.parametrize("mode", ["eventlet", "threading"])
def test_printer_agent_holds_its_kiosks_credential_and_revoking_the_kiosk_cuts_it_off(make_server, mode):
    """Issue 24, medium 8: the agent held an officer token, named any kiosk, stayed
    connected after the token was revoked, and could set a 10 KB error every screen
    showed. Now it connects with its kiosk's own device credential (the kiosk is the
    credential's), its reports are bounded, and revoking the kiosk disconnects it, on
    /devices at once and by `motcua device revoke` within a few seconds."""
    server = make_server(mode, {"printer": {"kind": "agent"}}).start()
    officer = server.token("officer")["Authorization"][7:]
    supervisor = server.token("supervisor")
    for auth in ({"token": officer, "kiosk": "Kiosk A"}, {"device": officer}, {"device": "wrong"}):
        client = socketio.Client(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(server.url, auth=auth, transports=["websocket"], wait_timeout=5)
    agents = []
    for _ in range(2):
        kiosk = server.device("kiosk", "Kiosk A")["Authorization"][7:]
        agent = socketio.Client(reconnection=False)
        agent.connect(server.url, auth={"device": kiosk}, transports=["websocket"], wait_timeout=5)
        agents.append(agent)
    first, second = agents
    reply = first.call("print_result", {"number": "1001", "ok": False, "error": "x" * 10_000}, timeout=5)
    assert reply == {"error": "invalid_result"}
    assert first.call("print_result", {"number": "1001", "ok": True, "error": None}, timeout=5) == {"ok": True}
    devices = requests.get(server.url + "/api/devices", headers=supervisor, timeout=5).json()
    ids = [d["id"] for d in devices if d["name"] == "Kiosk A"]
    assert requests.delete(f"{server.url}/api/devices/{ids[-2]}", headers=supervisor, json={}, timeout=5).ok
    deadline = time.monotonic() + 3
    while first.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not first.connected and second.connected
    server.cli("device", "revoke", str(ids[-1]))
    deadline = time.monotonic() + 10  # the server looks every 5 s
    while second.connected and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not second.connected
    # Nobody but an agent may report print results: a display that tries is disconnected.
    display = socketio.Client(reconnection=False)
    display.connect(server.url, transports=["websocket"], wait_timeout=5)
    try:
        display.emit("print_result", {"number": "1001", "ok": False})
        deadline = time.monotonic() + 5
        while display.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not display.connected
    finally:
        display.disconnect()
    assert requests.get(server.url + "/api/state", timeout=5).json()["printer"]["ok"] is True


def test_in_lai_prints_the_kiosks_own_recent_ticket_again_a_bounded_number_of_times(raw_config, clock, fake_printer):
    app, client = printer_app(raw_config, clock, {"kind": "network", "host": "127.0.0.1", "port": fake_printer.port,
                                          "width_px": WIDTH, "timeout_s": 2})
    ticket = client.post("/api/tickets", json={"service": "HT"}).get_json()
    other = enrolled_client(app, app.config["MOTCUA"], name="Sảnh 2")
    assert other.post(f"/api/tickets/{ticket['id']}/reprint", json={}).get_json()["error"] == "ticket_not_found"
    for _ in range(2):
        clock.tick(60)
        again = client.post(f"/api/tickets/{ticket['id']}/reprint", json={})
        assert again.status_code == 200 and again.get_json()["number"] == "1001"
    jobs = fake_printer.wait_jobs(3)
    assert len(jobs) == 3 and all(decode_ticket(job)[0] == decode_ticket(jobs[0])[0] for job in jobs)
    third = client.post(f"/api/tickets/{ticket['id']}/reprint", json={})
    assert third.status_code == 409 and third.get_json()["error"] == "reprint_limit"
    late = client.post("/api/tickets", json={"service": "CT"}).get_json()
    clock.tick(301)
    assert client.post(f"/api/tickets/{late['id']}/reprint", json={}).get_json()["error"] == "reprint_expired"


def test_checking_a_booking_in_again_shows_its_ticket_without_printing_it_again(raw_config, clock, fake_printer):
    """Issue 24, low 12: each repeated check-in of one booking code printed again, around
    the reprint limit. A second scan shows the same ticket (200, `again`); paper again
    only through "In lại", which is limited."""
    from shared import booking
    from shared.config import validate

    raw_config["center"]["hours"] = {"mon-sun": ["07:00-17:00"]}
    raw_config["booking"] = {"enabled": True}
    app, client = printer_app(raw_config, clock, {"kind": "network", "host": "127.0.0.1", "port": fake_printer.port,
                                                  "width_px": WIDTH, "timeout_s": 2})
    config = validate(raw_config)
    with opened(config) as db:
        made = booking.book(db, config, clock.at.replace(hour=7, minute=0), {
            "service": "HT", "day": clock.at.date().isoformat(), "slot": "08:00", "name": "Võ Văn Em",
            "phone": "0977000111"}, "127.0.0.1", "")
    clock.at = clock.at.replace(hour=7, minute=50)
    first = client.post("/api/bookings/check-in", json={"code": made["code"]})
    assert first.status_code == 201 and first.get_json()["again"] is False
    for _ in range(4):
        again = client.post("/api/bookings/check-in", json={"code": made["code"]})
        assert again.status_code == 200 and again.get_json()["again"] is True
        assert again.get_json()["number"] == first.get_json()["number"]
    fake_printer.wait_jobs(1)
    time.sleep(1)  # a print of a repeated check-in would have arrived by now
    assert len(fake_printer.jobs) == 1
