"""One-time enrolment links, built in one place for the CLI, `serve` and the devices page."""
from dataclasses import replace

from shared.enrolment import enrolment_url, invite_link


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
