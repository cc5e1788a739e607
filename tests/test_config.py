"""config.yaml validation: defaults, and errors that name the key."""
import pytest

from shared.config import ConfigError, load_config, validate
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
    (("services", 4, "short_name"), "Lao động - Thương binh", "services[4].short_name"),
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
