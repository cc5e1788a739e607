"""Page routes and the small APIs behind them: the phone page, its QR code, the
counter-top screen, the kiosk's field list and the bundled fonts."""
import xml.etree.ElementTree as ET


def issue(client, service="HT", priority=False):
    response = client.post("/api/tickets", json={"service": service, "priority": priority})
    assert response.status_code == 201
    return response.get_json()


def test_ticket_by_token_tells_the_citizen_everything(client, officer, clock, staffed):
    first, second = issue(client), issue(client)
    status = client.get(f"/api/t/{second['token']}").get_json()
    assert status["number"] == "1002" and status["status"] == "waiting" and status["ahead"] == 1
    assert [c["name"] for c in status["counters"]] == ["Quầy 1", "Quầy 2"]
    assert status["estimate"]["minutes"] == 0  # two free counters serve Hộ tịch
    assert "token" not in status
    client.post("/api/counters/1/call-next", headers=officer, json={})
    status = client.get(f"/api/t/{first['token']}").get_json()
    assert status["status"] == "called" and status["counter"]["name"] == "Quầy 1"
    assert status["counters"][0]["current"] == "1001"


def test_unknown_token_is_404_everywhere(client):
    assert client.get("/api/t/nope").get_json()["error"] == "ticket_not_found"
    assert client.get("/t/nope").status_code == 404
    assert client.get("/t/nope/qr.svg").status_code == 404


def test_phone_page_and_its_qr_code(client):
    ticket = issue(client)
    page = client.get(f"/t/{ticket['token']}")
    assert page.status_code == 200 and ticket["token"] in page.get_data(as_text=True)
    qr = client.get(f"/t/{ticket['token']}/qr.svg")
    assert qr.status_code == 200 and qr.mimetype == "image/svg+xml"
    svg = ET.fromstring(qr.data)
    assert svg.tag.endswith("svg") and svg.get("viewBox")


def test_kiosk_services_mark_full_fields(client, db):
    db.execute("UPDATE services SET daily_cap = 1 WHERE code = 'CT'")
    issue(client, "CT")
    fields = {s["code"]: s for s in client.get("/api/kiosk/services").get_json()}
    assert fields["CT"]["full"] is True and fields["HT"]["full"] is False
    assert fields["CT"]["open"] is True and fields["CT"]["waiting"] == 1


def test_counter_top_page(client):
    assert client.get("/display/counter/1").status_code == 200
    assert client.get("/display/counter/99").status_code == 404


def test_bundled_fonts_are_served(client):
    font = client.get("/fonts/NotoSans-Regular.ttf")
    assert font.status_code == 200 and font.data[:4] == b"\x00\x01\x00\x00"
    assert client.get("/fonts/OFL.txt").status_code == 404
    assert client.get("/fonts/../config.py").status_code == 404


def test_clips_come_from_voice_clip_dir_when_set_else_from_the_package(raw_config, tmp_path):
    from shared.app import create_app
    from shared.config import validate
    from shared.voice import VOICE_DIR

    shipped = create_app(validate(raw_config)).test_client()
    assert shipped.get("/display/static/voice/default/manifest.json").data == (
        VOICE_DIR / "default" / "manifest.json").read_bytes()
    (tmp_path / "built" / "default").mkdir(parents=True)
    (tmp_path / "built" / "default" / "manifest.json").write_text('{"clips": {}}', encoding="utf-8")
    raw_config["voice"] = {"clip_dir": str(tmp_path / "built")}
    built = create_app(validate(raw_config)).test_client()
    assert built.get("/display/static/voice/default/manifest.json").get_json() == {"clips": {}}
    assert built.get("/display/static/voice/chime.ogg").data == (VOICE_DIR / "chime.ogg").read_bytes()
    assert built.get("/display/static/voice/../../__init__.py").status_code == 404


def test_pages_load_only_local_assets(client):
    ticket = issue(client)
    for path in ("/kiosk", "/counter", "/display", "/supervisor", "/display/counter/1", f"/t/{ticket['token']}"):
        html = client.get(path).get_data(as_text=True)
        assert "http://" not in html and "https://" not in html, path


def test_supervisor_sets_the_hall_notice(client, officer, supervisor):
    assert client.get("/api/notice").get_json() == {"text": ""}
    body = {"text": "Thứ Bảy làm việc buổi sáng"}
    assert client.put("/api/notice", json=body).status_code == 401
    assert client.put("/api/notice", json=body, headers=officer).status_code == 403
    assert client.put("/api/notice", json=body, headers=supervisor).get_json() == body
    assert client.get("/api/notice").get_json() == body
    response = client.put("/api/notice", json={"text": 5}, headers=supervisor)
    assert response.status_code == 400 and response.get_json()["error"] == "bad_request"


def test_the_hall_clock_comes_from_the_server_in_the_centers_time_zone(client, clock):
    """Displays show this, not the TV's own clock (which may be hours off or in another zone)."""
    assert client.get("/api/time").get_json() == {"epoch_ms": round(clock().timestamp() * 1000),
                                                  "timezone": "Asia/Ho_Chi_Minh"}
    page = client.get("/display").get_data(as_text=True)
    assert f'"epoch_ms": {round(clock().timestamp() * 1000)}' in page and '"maxLag": 30' in page


def test_calls_since_give_a_returning_display_what_it_missed(client, officer, clock):
    for _ in range(3):
        issue(client)
    client.post("/api/counters/1/call-next", headers=officer, json={})
    since = client.get("/api/state").get_json()["recent"][0]["at"]
    clock.tick(5)
    client.post("/api/counters/2/call-next", headers=officer, json={})
    clock.tick(5)
    client.post("/api/counters/2/recall", headers=officer, json={})
    missed = client.get("/api/calls", query_string={"since": since}).get_json()
    assert [(c["ticket"]["number"], c["counter"]["name"], c["recall"], c["ticket"]["recalls"]) for c in missed] == [
        ("1002", "Quầy 2", False, 0), ("1002", "Quầy 2", True, 1)]
    assert missed[1]["at"] > missed[0]["at"] and "một nghìn không trăm linh hai" in missed[1]["announce"]["text"]
    for bad in ("yesterday", "2026-11-23T07:30:00"):                    # a time needs its zone
        assert client.get("/api/calls", query_string={"since": bad}).get_json()["error"] == "invalid_date"
    utc = client.get("/api/calls", query_string={"since": "2026-11-23T00:30:02Z"}).get_json()   # 07:30:02 here
    assert [c["recall"] for c in utc] == [False, True]
