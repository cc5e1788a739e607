"""GET /healthz: the database, the migrations, the printer, the clients, the version."""
import requests
import socketio

from conftest import opened


def test_a_healthy_center(client):
    report = client.get("/healthz")
    assert report.status_code == 200
    body = report.get_json()
    assert body["status"] == "ok" and body["version"] == "0.1.0"
    assert body["database"]["reachable"] and body["database"]["writable"] and body["migrations_current"]
    assert body["printer"]["ok"] is True and body["connected_clients"] == 0


def test_a_database_that_takes_no_write_is_a_503(client, config):
    with opened(config) as stuck:
        stuck.execute("BEGIN IMMEDIATE")  # a writer that never finishes
        report = client.get("/healthz")
        stuck.execute("ROLLBACK")
    assert report.status_code == 503
    body = report.get_json()
    assert body["status"] == "unavailable" and body["database"]["reachable"] and not body["database"]["writable"]
    assert "locked" in body["database"]["error"]
    assert client.get("/healthz").status_code == 200


def test_pending_migrations_are_named(client, config):
    with opened(config) as db:
        db.execute("DELETE FROM _sqlite_migrations WHERE name = '0003_printer_agents'")
    body = client.get("/healthz").get_json()
    assert body["migrations_current"] is False and body["database"]["pending_migrations"] == ["0003_printer_agents"]


def test_connected_displays_are_counted(make_server):
    server = make_server("threading").start()
    display = socketio.Client(reconnection=False)
    display.connect(server.url, transports=["websocket"], wait_timeout=5)
    try:
        assert requests.get(server.url + "/healthz", timeout=5).json()["connected_clients"] == 1
    finally:
        display.disconnect()
