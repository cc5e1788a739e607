"""One-time enrolment links, built in one place for the CLI, `serve` and the devices page."""
from dataclasses import replace

from shared.auth import enrol_device, list_devices
from shared.enrolment import enrolment_url, first_enrolment_links, invite_link


def test_a_link_is_at_public_url_else_the_address_given(config, db, clock):
    assert invite_link(config, db, "kiosk", "Sảnh", None, clock.tick(), "http://10.0.0.5:5000").startswith(
        "http://10.0.0.5:5000/enroll/")
    config = replace(config, server=replace(config.server, public_url="https://motcua.example"))
    assert invite_link(config, db, "rating", None, 1, clock.tick(), "http://10.0.0.5:5000").startswith(
        "https://motcua.example/enroll/")


def test_the_devices_page_link_is_the_same_link_and_enrols(app, supervisor):
    staff = app.test_client()
    link = staff.post("/api/devices", headers=supervisor, json={"kind": "kiosk", "name": "Sảnh 2"}).get_json()["link"]
    base, code = link.rsplit("/enroll/", 1)
    assert link == enrolment_url(base, code) and base == "http://localhost"
    tablet = app.test_client()
    assert tablet.post("/api/devices/enrol", json={"code": code}).status_code == 201


def test_serve_prints_the_missing_devices_links_at_every_start_without_piling_up(config, db, clock):
    first = first_enrolment_links(config, "http://192.168.1.10:5000")
    assert [line.split()[0] for line in first[1:]] == ["kiosk", "rating"]
    kiosk_code = first[1].rsplit("/", 1)[1]
    again = first_enrolment_links(config, "http://192.168.1.10:5000")   # a restart: fresh links...
    assert len(list_devices(db)) == 2                                     # ...replacing the unused ones
    assert enrol_device(db, kiosk_code, clock.tick()) is None          # the old link is gone
    enrol_device(db, again[1].rsplit("/", 1)[1], clock.tick())
    # The kiosk is enrolled, the tablet not yet: its link is still printed after the next restart.
    after = first_enrolment_links(config, "http://192.168.1.10:5000")
    assert [line.split()[0] for line in after[1:]] == ["rating"]
    assert [d["kind"] for d in list_devices(db)] == ["kiosk", "rating"]
    enrol_device(db, after[1].rsplit("/", 1)[1], clock.tick())
    assert first_enrolment_links(config, "http://192.168.1.10:5000") == []


def test_the_devices_page_shows_the_link_as_a_qr_code_and_warns_of_a_loopback_address(app, config, supervisor):
    """The link is shown to the supervisor as a QR code and text (the page that opens it asks
    before it uses it: tests of issue 24); at 127.0.0.1 or localhost it reaches no other device."""
    reply = app.test_client().post("/api/devices", json={"kind": "kiosk", "name": "Sảnh tầng 1"}, headers=supervisor)
    made = reply.get_json()
    assert reply.status_code == 201 and made["link"].startswith("http://localhost/enroll/")
    assert made["loopback"] is True                     # "localhost" reaches no other device
    code = made["link"].rsplit("/", 1)[1]
    lan = app.test_client().post("/api/devices", json={"kind": "kiosk", "name": "B"}, headers=supervisor,
                                 base_url="http://192.168.1.10:5000").get_json()
    assert lan["link"].startswith("http://192.168.1.10:5000/enroll/") and lan["loopback"] is False
    device = app.test_client()
    qr = device.get(made["qr"])
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    asked = device.get(f"/enroll/{code}")
    assert asked.status_code == 200 and "Đăng ký máy này làm kiosk 'Sảnh tầng 1'?" in asked.get_data(as_text=True)
    assert device.post("/api/devices/enrol", json={"code": code, "browser": True}).status_code == 201
    assert device.get(made["qr"]).status_code == 404          # used: the QR code is gone too
