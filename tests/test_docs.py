"""The docs stay true to the code: every config key, event and error code is documented."""
import re

from shared.config import validate
from conftest import ROOT, demo_raw

API = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
CONFIG = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
SOURCES = [p for d in ("shared", "kiosk", "counter", "display") for p in (ROOT / d).glob("*.py")]


def config_keys(tmp_path) -> set[str]:
    config = validate(demo_raw(tmp_path / "x.db"))
    keys = set()
    for section, value in config.items():
        if isinstance(value, list):
            keys |= {f"{section}[].{k}" for item in value for k in item}
        else:
            keys |= {f"{section}.{k}" for k in value}
    return keys


def test_every_config_key_is_documented(tmp_path):
    sections = "|".join(re.escape(k.split(".")[0]) for k in config_keys(tmp_path))
    documented = set(re.findall(rf"`((?:{sections})\.[a-z_]+)`", CONFIG))
    assert config_keys(tmp_path) - documented == set()
    assert documented - config_keys(tmp_path) == set(), "docs name keys the code does not have"


def test_every_socket_event_is_documented():
    code = "\n".join(p.read_text(encoding="utf-8") for p in SOURCES)
    events = set(re.findall(r'(?:emit|\.on)\(\s*"([a-z_]+)"', code)) - {"connect", "disconnect"}
    assert events >= {"state", "called", "print", "print_result"}
    for name in events:
        assert f"`{name}`" in API, name


def test_every_error_code_is_documented():
    code = "\n".join(p.read_text(encoding="utf-8") for p in SOURCES)
    codes = set(re.findall(r'(?:QueueError|NotFound|Conflict)\([^)]*?"([a-z_]+)"\)', code, re.S))
    codes |= set(re.findall(r'error\(\d{3}, "([a-z_]+)"', code))
    codes |= set(re.findall(r'slow_down\("([a-z_]+)"', code)) | set(re.findall(r'^    code = "([a-z_]+)"', code, re.M))
    assert "daily_cap_reached" in codes and "unauthorized" in codes
    for name in codes:
        assert f"`{name}`" in API, name


def test_readme_states_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme


def test_readme_quick_start_gives_the_staff_tokens_with_the_config():
    """A newcomer at /counter needs a token: the quick start says how, and every `motcua`
    command line in the README names the config it acts on."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme[:readme.index("## Deploying")]
    assert "token create --role officer" in quick_start and "/counter" in quick_start
    assert "center.hours" in quick_start                       # the demo's hours are said before a Sunday try-out
    commands = [line.strip() for line in readme.splitlines() if line.strip().startswith(".venv/bin/motcua ")]
    assert commands and all("--config" in line for line in commands), commands
