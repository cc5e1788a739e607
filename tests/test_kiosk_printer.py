"""Tickets issued through the API reach the printer, and a dead printer never slows issue."""
import time
from datetime import datetime

import pytest
import requests
import socketio

from conftest import enrolled_client
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
    officer = server.token("officer")["Authorization"][7:]
    agent = PrinterAgent(server.url, "Kiosk A", officer,
                         {"kind": "network", "host": "127.0.0.1", "port": fake_printer.port,
                          "width_px": WIDTH, "timeout_s": 2})
    agent.start()
    try:
        ticket = requests.post(server.url + "/api/tickets", headers=server.device("kiosk", "Kiosk A"),
                               json={"service": "HT"}, timeout=5).json()
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


def test_printer_agent_needs_an_officer_token(make_server):
    server = make_server("threading", {"printer": {"kind": "agent"}}).start()
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, auth={"token": "wrong", "kiosk": "Kiosk A"}, transports=["websocket"],
                       wait_timeout=5)
    # Nobody but an agent may report print results.
    display = socketio.Client(reconnection=False)
    display.connect(server.url, transports=["websocket"], wait_timeout=5)
    try:
        assert display.call("print_result", {"number": "1001", "ok": False}, timeout=5) == {"error": "forbidden"}
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
