"""config.yaml validation: defaults, and errors that name the key."""
from dataclasses import FrozenInstanceError

import pytest

from shared.config import Booking, ConfigError, Notify, Queue, Reports, load_config, validate
from conftest import ROOT


def test_shipped_config_is_a_realistic_demo_center():
    config = load_config(ROOT / "config.yaml")
    assert len(config["services"]) == 8 and len(config["counters"]) == 7
    assert config["server"]["async_mode"] == "eventlet"
    assert config["database"]["path"].endswith("instance/motcua.db")
    names = [s["name"] for s in config["services"]]
    assert "Hộ tịch" in names and "Chứng thực" in names
    starts = [s["start"] for s in config["services"]]
    assert len(set(starts)) == len(starts)


@pytest.mark.parametrize("path, value, key", [
    (("server", "async_mode"), "gevent", "server.async_mode"),
    (("server", "port"), "80", "server.port"),
    (("server", "port"), 70000, "server.port"),
    (("server", "colour"), "red", "server.colour"),
    (("center", "name"), "", "center.name"),
    (("center", "timezone"), "Mars/Base", "center.timezone"),
    (("queue", "priority_policy"), "random", "queue.priority_policy"),
    (("queue", "priority_every"), 1, "queue.priority_every"),
    (("services", 0, "code"), "H T", "services[0].code"),
    (("services", 1, "code"), "HT", "services[1].code"),
    (("services", 2, "daily_cap"), 0, "services[2].daily_cap"),
    (("services", 0, "open"), "yes", "services[0].open"),
    (("services", 3, "name_en"), 42, "services[3].name_en"),
    (("counters", 0, "services"), ["XX"], "counters[0].services"),
    (("counters", 1, "name"), None, "counters[1].name"),
    (("server", "log_file"), "/no/such/folder/motcua.log", "server.log_file"),
    (("server", "log_file"), "/tmp", "server.log_file"),
    (("server", "log_file"), 5, "server.log_file"),
])
def test_errors_name_the_key(raw_config, path, value, key):
    target = raw_config
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    with pytest.raises(ConfigError) as exc:
        validate(raw_config)
    assert str(exc.value).startswith(key + ":")


def test_unknown_section_and_empty_services(raw_config):
    raw_config["sevices"] = []
    with pytest.raises(ConfigError, match="^sevices: unknown section"):
        validate(raw_config)
    del raw_config["sevices"]
    raw_config["services"] = []
    with pytest.raises(ConfigError, match="^services:"):
        validate(raw_config)


def test_missing_and_broken_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("center: [", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken)


def test_database_path_is_relative_to_the_config_file(tmp_path, raw_config):
    raw_config["database"]["path"] = "data/q.db"
    assert validate(raw_config, base_dir=tmp_path)["database"]["path"] == str(tmp_path / "data/q.db")


def test_sections_are_typed_and_read_only(raw_config):
    config = validate(raw_config)
    assert isinstance(config.booking, Booking) and config.server.port == config["server"]["port"] == 5000
    with pytest.raises(FrozenInstanceError):
        config.server.port = 80
    with pytest.raises(FrozenInstanceError):
        config.services[0].name = "Hộ tịch - Chứng thực"


def test_a_missing_section_is_its_declared_defaults(raw_config):
    """Each default is declared once, on its section's field: the loader has no other copy."""
    for section, cls in (("notify", Notify), ("reports", Reports), ("booking", Booking), ("queue", Queue)):
        raw_config.pop(section, None)
        assert validate(raw_config)[section] == cls()


def test_hours_are_parsed_once_at_load(raw_config, clock, monkeypatch):
    from shared import hours
    from shared.app import create_app
    from conftest import enrolled_client

    raw_config["center"]["hours"] = {"mon-fri": ["07:30-11:30"], "sat": ["07:30-11:30"]}
    config = validate(raw_config)
    assert config.center.hours == {day: [(450, 690)] for day in range(6)}
    monkeypatch.setattr(hours, "parse_hours", lambda raw: pytest.fail("hours parsed again"))
    app = create_app(config)
    app.config["CLOCK"] = clock
    client = enrolled_client(app, config)
    assert client.get("/api/hours").get_json()["open"] is True  # Monday 07:30
    assert client.post("/api/tickets", json={"service": "HT"}).status_code == 201
