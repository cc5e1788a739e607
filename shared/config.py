"""Load and validate config.yaml, failing at start with an error that names the key.

A ward's IT officer edits this file by hand; a typo must stop the server with a
message pointing at the exact key, never surface later as a 500.
"""
import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .hours import parse_hours

DEFAULT_PATH = "config.yaml"
ASYNC_MODES = ("eventlet", "threading")
PRIORITY_POLICIES = ("strict", "interleave")
SERVICE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class ConfigError(ValueError):
    """A config value is missing or wrong; the message starts with its dotted key."""


def config_path(explicit: str | None = None) -> Path:
    """The config file: --config, else $MOTCUA_CONFIG, else ./config.yaml."""
    return Path(explicit or os.environ.get("MOTCUA_CONFIG") or DEFAULT_PATH)


def read_raw(path: str | os.PathLike | None = None) -> tuple[object, Path]:
    """The config file's parsed YAML, unvalidated, and its resolved path."""
    path = config_path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")), path.resolve()
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


def async_mode(raw) -> str:
    """server.async_mode alone, read before the rest is validated (see shared/server.py)."""
    server = raw.get("server") if isinstance(raw, dict) else None
    mode = server.get("async_mode", "eventlet") if isinstance(server, dict) else "eventlet"
    return _choice(mode, "server.async_mode", ASYNC_MODES)


def load_config(path: str | os.PathLike | None = None) -> dict:
    """Read and validate a config file; relative paths in it are relative to the file."""
    raw, path = read_raw(path)
    return validate(raw, base_dir=path.parent)


def _section(raw: dict, key: str, allowed: set[str]) -> dict:
    value = raw.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: must be a mapping")
    unknown = set(value) - allowed
    if unknown:
        raise ConfigError(f"{key}.{sorted(unknown)[0]}: unknown key")
    return value


def _int(value, key: str, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (
        high is not None and value > high
    ):
        bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ConfigError(f"{key}: must be a whole number {bound}")
    return value


def _text(value, key: str, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise ConfigError(f"{key}: must be a non-empty text")
    return value.strip()


def _choice(value, key: str, choices) -> str:
    if value not in choices:
        raise ConfigError(f"{key}: must be one of {', '.join(choices)}")
    return value


def _bool(value, key: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{key}: must be true or false")
    return value


def validate(raw, base_dir: Path = Path(".")) -> dict:
    """Return a complete config with defaults filled in, or raise ConfigError."""
    if not isinstance(raw, dict):
        raise ConfigError("config: the file must be a mapping of sections")
    sections = {"center", "database", "kiosk", "server", "queue", "services", "counters", "voice", "printer",
                "reports", "booking", "notify", "health"}
    unknown = set(raw) - sections
    if unknown:
        raise ConfigError(f"{sorted(unknown)[0]}: unknown section")

    center = _section(raw, "center", {"name", "timezone", "hours"})
    timezone = center.get("timezone", "Asia/Ho_Chi_Minh")
    try:
        ZoneInfo(_text(timezone, "center.timezone"))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"center.timezone: unknown time zone {timezone!r}") from None

    database = _section(raw, "database", {"path"})
    db_path = _text(database.get("path", "motcua.db"), "database.path")
    if db_path != ":memory:":
        db_path = str((base_dir / db_path).resolve())

    server = _section(raw, "server", {"host", "port", "async_mode", "public_url", "state_coalesce_ms",
                                      "max_connections", "max_connections_per_address", "idle_timeout_s",
                                      "message_queue", "log_file"})
    kiosk = _section(raw, "kiosk", {"max_tickets_per_minute", "priority_age"})
    queue = _section(raw, "queue", {"priority_policy", "priority_every", "recent_calls"})

    config = {
        "center": {
            "name": _text(center.get("name", ""), "center.name"),
            "timezone": timezone,
            "hours": center.get("hours") or {},
        },
        "database": {"path": db_path},
        "kiosk": {
            "max_tickets_per_minute": _int(kiosk.get("max_tickets_per_minute", 40),
                                           "kiosk.max_tickets_per_minute", 0),
            "priority_age": _int(kiosk.get("priority_age", 0), "kiosk.priority_age", 0, 120),
        },
        "server": {
            "host": _text(server.get("host", "0.0.0.0"), "server.host"),
            "port": _int(server.get("port", 5000), "server.port", 1, 65535),
            "async_mode": _choice(server.get("async_mode", "eventlet"), "server.async_mode", ASYNC_MODES),
            "public_url": _text(server.get("public_url", ""), "server.public_url", allow_empty=True).rstrip("/"),
            "state_coalesce_ms": _int(server.get("state_coalesce_ms", 1000), "server.state_coalesce_ms", 0, 1000),
            "max_connections": _int(server.get("max_connections", 2000), "server.max_connections", 50, 100000),
            "max_connections_per_address": _int(server.get("max_connections_per_address", 40),
                                                "server.max_connections_per_address", 0),
            "idle_timeout_s": _int(server.get("idle_timeout_s", 60), "server.idle_timeout_s", 2, 3600),
            "message_queue": _message_queue(server.get("message_queue", "")),
            "log_file": _log_file(server.get("log_file", ""), base_dir),
        },
        "queue": {
            "priority_policy": _choice(
                queue.get("priority_policy", "strict"), "queue.priority_policy", PRIORITY_POLICIES
            ),
            "priority_every": _int(queue.get("priority_every", 3), "queue.priority_every", 2, 100),
            "recent_calls": _int(queue.get("recent_calls", 8), "queue.recent_calls", 1, 50),
        },
    }
    config["reports"] = _reports(_section(raw, "reports", set(REPORT_DEFAULTS)))
    config["services"] = _services(raw.get("services"))
    config["counters"] = _counters(raw.get("counters"), {s["code"] for s in config["services"]})
    try:
        parse_hours(config["center"]["hours"])
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    config["booking"] = _booking(_section(raw, "booking", set(BOOKING_DEFAULTS) | {"services"}),
                                 {s["code"] for s in config["services"]}, config["center"]["hours"])
    config["notify"] = _notify(_section(raw, "notify", set(NOTIFY_DEFAULTS)))
    config["health"] = _health(_section(raw, "health", set(HEALTH_DEFAULTS)))
    # Imported here, not at the top: `motcua serve` reads the async mode before
    # anything heavy (python-escpos) is imported, so eventlet can patch first.
    from .printing import validate_printer_config
    from .voice import validate_voice_config

    for key, check in (("voice", validate_voice_config), ("printer", validate_printer_config)):
        try:
            config[key] = check(raw.get(key))
        except ValueError as exc:  # their messages already start with the dotted key
            raise ConfigError(str(exc)) from None
    if config["voice"]["clip_dir"]:  # relative to the config file, like database.path
        config["voice"]["clip_dir"] = str((base_dir / config["voice"]["clip_dir"]).resolve())
    return config


def _log_file(value, base_dir: Path) -> str:
    """Empty (log to stderr) or a file in an existing folder, relative to the config file."""
    text = _text(value, "server.log_file", allow_empty=True)
    if not text:
        return ""
    path = (base_dir / text).resolve()
    if not path.parent.is_dir():
        raise ConfigError(f"server.log_file: folder {path.parent} does not exist")
    if path.is_dir():
        raise ConfigError(f"server.log_file: {path} is a folder, not a file")
    return str(path)


def _message_queue(value) -> str:
    """Empty (one process) or a Redis URL that several processes share."""
    url = _text(value, "server.message_queue", allow_empty=True)
    if url and not re.match(r"^rediss?://[^/\s]+(/\d+)?$", url):
        raise ConfigError("server.message_queue: must be empty or a Redis URL such as redis://127.0.0.1:6379/0")
    return url


HEALTH_DEFAULTS = {  # key: (default, lowest, highest); docs/operations.md says what each means
    "presence_grace_s": (20, 1, 600),
    "no_officer_alert_min": (2, 0, 240),
    "unstaffed_alert_min": (10, 0, 240),
    "idle_alert_min": (5, 1, 240),
    "display_offline_s": (30, 5, 3600),
    "late_call_s": (10, 2, 600),
    "beat_s": (15, 1, 300),
}


def _health(raw: dict) -> dict:
    """Presence of officers and the health of the hall's screens (alerts' thresholds)."""
    return {key: _int(raw.get(key, default), f"health.{key}", low, high)
            for key, (default, low, high) in HEALTH_DEFAULTS.items()}


REPORT_DEFAULTS = {
    "rating_scale": ["Rất hài lòng", "Hài lòng", "Không hài lòng"],
    "rating_satisfied": None,  # min(2, len(rating_scale) - 1)
    "rating_window_s": 120,
    "rating_hold_s": 15,
    "wait_target_min": 15,
    "capacity_weeks": 4,
    "wait_alert_min": 30,
    "pause_alert_min": 15,
}


def _reports(raw: dict) -> dict:
    """Ratings and reports. The scale is ordered best first; the first
    `rating_satisfied` answers count as satisfied in the percentage centers report."""
    scale = raw.get("rating_scale", REPORT_DEFAULTS["rating_scale"])
    if not isinstance(scale, list) or not 2 <= len(scale) <= 7:
        raise ConfigError("reports.rating_scale: must be a list of 2 to 7 answers, best first")
    scale = [_text(label, f"reports.rating_scale[{i}]") for i, label in enumerate(scale)]
    if len(set(scale)) != len(scale) or any(len(label) > 40 for label in scale):
        raise ConfigError("reports.rating_scale: answers must be different and at most 40 characters")
    satisfied = raw.get("rating_satisfied")
    window = _int(raw.get("rating_window_s", 120), "reports.rating_window_s", 10, 1800)
    return {
        "rating_scale": scale,
        "rating_satisfied": min(2, len(scale) - 1) if satisfied is None
        else _int(satisfied, "reports.rating_satisfied", 1, len(scale) - 1),
        "rating_window_s": window,
        "rating_hold_s": _int(raw.get("rating_hold_s", 15), "reports.rating_hold_s", 0, min(60, window)),
        "wait_target_min": _int(raw.get("wait_target_min", 15), "reports.wait_target_min", 1, 240),
        "capacity_weeks": _int(raw.get("capacity_weeks", 4), "reports.capacity_weeks", 1, 52),
        "wait_alert_min": _int(raw.get("wait_alert_min", 30), "reports.wait_alert_min", 1, 480),
        "pause_alert_min": _int(raw.get("pause_alert_min", 15), "reports.pause_alert_min", 1, 480),
    }


def _services(raw) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("services: must be a non-empty list of fields")
    services, seen = [], set()
    for i, item in enumerate(raw):
        key = f"services[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{key}: must be a mapping")
        unknown = set(item) - {"code", "name", "name_en", "prefix", "start", "digits", "daily_cap", "open"}
        if unknown:
            raise ConfigError(f"{key}.{sorted(unknown)[0]}: unknown key")
        code = item.get("code")
        if not isinstance(code, str) or not SERVICE_CODE.match(code):
            raise ConfigError(f"{key}.code: must be 1-16 letters, digits, '-' or '_'")
        if code in seen:
            raise ConfigError(f"{key}.code: duplicate field code {code!r}")
        seen.add(code)
        cap = item.get("daily_cap")
        services.append({
            "code": code,
            "name": _text(item.get("name"), f"{key}.name"),
            "name_en": _text(item.get("name_en", ""), f"{key}.name_en", allow_empty=True),
            "prefix": _text(item.get("prefix", ""), f"{key}.prefix", allow_empty=True),
            "start": _int(item.get("start", 1), f"{key}.start", 0),
            "digits": _int(item.get("digits", 1), f"{key}.digits", 1, 9),
            "daily_cap": None if cap is None else _int(cap, f"{key}.daily_cap", 1),
            "open": _bool(item.get("open", True), f"{key}.open"),
        })
    return services


def _counters(raw, codes: set[str]) -> list[dict]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ConfigError("counters: must be a list")
    counters = []
    for i, item in enumerate(raw):
        key = f"counters[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{key}: must be a mapping")
        unknown = set(item) - {"name", "services", "open"}
        if unknown:
            raise ConfigError(f"{key}.{sorted(unknown)[0]}: unknown key")
        services = item.get("services") or []
        if not isinstance(services, list):
            raise ConfigError(f"{key}.services: must be a list of field codes")
        for code in services:
            if code not in codes:
                raise ConfigError(f"{key}.services: unknown field code {code!r}")
        counters.append({
            "name": _text(item.get("name"), f"{key}.name"),
            "services": services,
            "open": _bool(item.get("open", True), f"{key}.open"),
        })
    return counters


BOOKING_DEFAULTS = {
    "enabled": False,
    "days_ahead": 5,
    "slot_min": 30,
    "places": 4,
    "checkin_before_min": 15,
    "checkin_after_min": 10,
    "keep_days": 30,
    "max_per_hour": 300,
    "max_per_address_hour": 5,
}
BOOKING_RANGES = {"days_ahead": (0, 60), "slot_min": (5, 240), "places": (0, 500), "checkin_before_min": (0, 240),
                  "checkin_after_min": (0, 240), "keep_days": (1, 3650), "max_per_hour": (0, 100000),
                  "max_per_address_hour": (0, 10000)}


def _booking(raw: dict, codes: set[str], hours) -> dict:
    """Online booking (docs/booking.md): slots per field cut from center.hours."""
    result = {"enabled": _bool(raw.get("enabled", False), "booking.enabled")}
    for key, (low, high) in BOOKING_RANGES.items():
        result[key] = _int(raw.get(key, BOOKING_DEFAULTS[key]), f"booking.{key}", low, high)
    if result["enabled"] and not hours:
        raise ConfigError("booking.enabled: booking needs center.hours (slots are cut from the working hours)")
    fields = raw.get("services") or {}
    if not isinstance(fields, dict):
        raise ConfigError("booking.services: must be a mapping of field code to {slot_min, places}")
    result["services"] = {}
    for code, own in fields.items():
        key = f"booking.services.{code}"
        if code not in codes:
            raise ConfigError(f"{key}: unknown field code")
        if not isinstance(own, dict):
            raise ConfigError(f"{key}: must be a mapping such as {{slot_min: 20, places: 3}}")
        unknown = set(own) - {"slot_min", "places"}
        if unknown:
            raise ConfigError(f"{key}.{sorted(unknown)[0]}: unknown key")
        result["services"][code] = {name: _int(value, f"{key}.{name}", *BOOKING_RANGES[name])
                                    for name, value in own.items()}
    return result


NOTIFY_KINDS = ("none", "webhook")
NOTIFY_DEFAULTS = {
    "kind": "none",
    "url": "",
    "key_header": "",
    "key": "",
    "body": {"to": "{phone}", "text": "{message}", "id": "{id}"},
    "timeout_s": 10,
    "max_attempts": 10,
    "remind_before_min": 60,
    "near_turn_ahead": 3,
}


def _notify(raw: dict) -> dict:
    """Notices by SMS or Zalo: POST JSON to the center's gateway (shared/notify.py)."""
    kind = _choice(raw.get("kind", "none"), "notify.kind", NOTIFY_KINDS)
    url = _text(raw.get("url", ""), "notify.url", allow_empty=True)
    if kind == "webhook" and not re.match(r"^https?://[^/\s]+", url):
        raise ConfigError("notify.url: kind webhook needs the gateway's http:// or https:// address")
    header = _text(raw.get("key_header", ""), "notify.key_header", allow_empty=True)
    if header and not re.match(r"^[A-Za-z0-9-]{1,64}$", header):
        raise ConfigError("notify.key_header: must be a header name such as Authorization or X-Api-Key")
    body = raw.get("body", NOTIFY_DEFAULTS["body"])
    if not isinstance(body, dict) or not body:
        raise ConfigError("notify.body: must be a mapping, the JSON object sent, e.g. {to: \"{phone}\", text: \"{message}\"}")
    key = raw.get("key", "")
    if not isinstance(key, str):
        raise ConfigError("notify.key: must be a text")
    return {
        "kind": kind, "url": url, "key_header": header, "key": key, "body": body,
        "timeout_s": _int(raw.get("timeout_s", 10), "notify.timeout_s", 1, 120),
        "max_attempts": _int(raw.get("max_attempts", 10), "notify.max_attempts", 1, 100),
        "remind_before_min": _int(raw.get("remind_before_min", 60), "notify.remind_before_min", 0, 2880),
        "near_turn_ahead": _int(raw.get("near_turn_ahead", 3), "notify.near_turn_ahead", 0, 100),
    }
