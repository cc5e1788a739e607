"""Load and validate config.yaml into typed, frozen sections, failing at start with an
error that names the key.

A ward's IT officer edits this file by hand; a typo must stop the server with a
message pointing at the exact key, never surface later as a 500.

Each section is a frozen dataclass whose fields are its keys: a field's default is the
key's only default and its `check` turns the YAML value into the typed one or raises
`ConfigError("<dotted key>: <what is wrong>")`. A new key is one field here and one line
in docs/config.md. Code reads sections by attribute (`config.booking.slot_min`) and hands
each domain function the section it needs; a section also reads as a mapping
(`section["slot_min"]`) for templates and for a domain function given raw YAML.
"""
import copy
import dataclasses
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from .hours import Week, parse_hours

DEFAULT_PATH = "config.yaml"
ASYNC_MODES = ("eventlet", "threading")
PRIORITY_POLICIES = ("strict", "interleave")
SERVICE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class ConfigError(ValueError):
    """A config value is missing or wrong; the message starts with its dotted key."""


# --------------------------------------------------------------------------- the style

def option(default: Any = MISSING, check=None):
    """A config key: its one default (none: required) and `check(value, dotted_key)`."""
    meta = {"check": check}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True, kw_only=True)
class Section(Mapping):
    """A validated config section: read-only, its keys as attributes and as a mapping."""

    def __getitem__(self, name):
        if name not in self.__dataclass_fields__:
            raise KeyError(name)
        return getattr(self, name)

    def __iter__(self):
        return iter(self.__dataclass_fields__)

    def __len__(self):
        return len(self.__dataclass_fields__)


def _mapping(raw, where: str) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: must be a mapping")
    return dict(raw)


def checked(cls, raw, where: str) -> dict:
    """`raw`'s keys checked against `cls`'s fields (each by its own check, under its dotted
    key), defaults filled in; a key left empty in the YAML takes its default."""
    raw = _mapping(raw, where)
    names = [f.name for f in fields(cls)]
    unknown = sorted(str(k) for k in raw if k not in names)
    if unknown:
        raise ConfigError(f"{where}.{unknown[0]}: unknown key (known: {', '.join(names)})")
    values = {}
    for f in fields(cls):
        value = raw.get(f.name)
        if value is None:
            value = f.default_factory() if f.default_factory is not MISSING else \
                None if f.default is MISSING else f.default
        check = f.metadata.get("check")
        values[f.name] = check(value, f"{where}.{f.name}") if check else value
    return values


def read(cls, raw, where: str):
    """A `cls` section from raw YAML (an already validated section is returned as is)."""
    return raw if isinstance(raw, cls) else cls(**checked(cls, raw, where))


def whole(low: int, high: int | None = None):
    def check(value, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (
                high is not None and value > high):
            bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise ConfigError(f"{where}: must be a whole number {bound}")
        return value
    return check


def seconds(low: float, high: float):
    def check(value, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise ConfigError(f"{where}: must be a number of seconds from {low:g} to {high:g}")
        return value
    return check


def text(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: must be a non-empty text")
    return value.strip()


def optional_text(value, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be a text")
    return value.strip()


def one_of(*choices):
    def check(value, where: str) -> str:
        if value not in choices:
            raise ConfigError(f"{where}: must be one of {', '.join(choices)}")
        return value
    return check


def flag(value, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: must be true or false")
    return value


def _list(value, where: str) -> list:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: must be a list")
    return value


# --------------------------------------------------------------------------- sections

def _timezone(value, where: str) -> str:
    try:
        ZoneInfo(text(value, where))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: unknown time zone {value!r}") from None
    return value


def _hours(value, where: str) -> Week:
    try:
        return parse_hours(value, where)
    except ValueError as exc:  # parse_hours names the key already
        raise ConfigError(str(exc)) from None


@dataclass(frozen=True, kw_only=True)
class Center(Section):
    name: str = option("", text)
    timezone: str = option("Asia/Ho_Chi_Minh", _timezone)
    #: Weekday (0 = Monday) -> sorted (open, close) minutes, parsed here once; {} = always open.
    hours: Week = option({}, _hours)
    #: When the counters call (wait estimates: the lunch break, closing time); {} = the kiosk's hours.
    counter_hours: Week = option({}, _hours)
    #: How far past closing the kiosk still promises a same-day call (the counters then serve it).
    promise_past_closing_min: int = option(25, whole(0, 240))


@dataclass(frozen=True, kw_only=True)
class Database(Section):
    path: str = option("motcua.db", text)  # resolved against the config file's folder by `validate`


def _message_queue(value, where: str) -> str:
    """Empty (one process) or a Redis URL that several processes share."""
    url = optional_text(value, where)
    if url and not re.match(r"^rediss?://[^/\s]+(/\d+)?$", url):
        raise ConfigError(f"{where}: must be empty or a Redis URL such as redis://127.0.0.1:6379/0")
    return url


@dataclass(frozen=True, kw_only=True)
class Server(Section):
    host: str = option("0.0.0.0", text)
    port: int = option(5000, whole(1, 65535))
    async_mode: str = option("eventlet", one_of(*ASYNC_MODES))
    public_url: str = option("", lambda value, where: optional_text(value, where).rstrip("/"))
    state_coalesce_ms: int = option(1000, whole(0, 1000))
    max_connections: int = option(2000, whole(50, 100000))
    max_connections_per_address: int = option(40, whole(0))
    trusted_proxies: int = option(0, whole(0, 5))  # reverse proxies whose X-Forwarded-For is believed
    idle_timeout_s: int = option(60, whole(2, 3600))
    message_queue: str = option("", _message_queue)
    log_file: str = option("", optional_text)  # resolved against the config file's folder by `validate`


@dataclass(frozen=True, kw_only=True)
class Kiosk(Section):
    max_tickets_per_minute: int = option(40, whole(0))
    priority_age: int = option(0, whole(0, 120))


@dataclass(frozen=True, kw_only=True)
class Queue(Section):
    """The calling order's policy (queue.call_next)."""
    priority_policy: str = option("strict", one_of(*PRIORITY_POLICIES))
    priority_every: int = option(3, whole(2, 100))
    recent_calls: int = option(8, whole(1, 50))


def _rating_scale(value, where: str) -> list[str]:
    if not isinstance(value, list) or not 2 <= len(value) <= 7:
        raise ConfigError(f"{where}: must be a list of 2 to 7 answers, best first")
    scale = [text(label, f"{where}[{i}]") for i, label in enumerate(value)]
    if len(set(scale)) != len(scale) or any(len(label) > 40 for label in scale):
        raise ConfigError(f"{where}: answers must be different and at most 40 characters")
    return scale


@dataclass(frozen=True, kw_only=True)
class Reports(Section):
    """Ratings and reports. The scale is ordered best first; the first
    `rating_satisfied` answers count as satisfied in the percentage centers report."""
    rating_scale: list[str] = option(["Rất hài lòng", "Hài lòng", "Không hài lòng"], _rating_scale)
    rating_satisfied: int = option(None)  # default min(2, len(rating_scale) - 1); bounds set by the scale
    rating_window_s: int = option(120, whole(10, 1800))
    rating_hold_s: int = option(15)  # at most min(60, rating_window_s)
    wait_target_min: int = option(15, whole(1, 240))
    capacity_weeks: int = option(4, whole(1, 52))
    wait_alert_min: int = option(30, whole(1, 480))
    pause_alert_min: int = option(15, whole(1, 480))

    def __post_init__(self):
        if self.rating_satisfied is None:  # a default that follows the scale
            object.__setattr__(self, "rating_satisfied", min(2, len(self.rating_scale) - 1))


def _reports(raw) -> Reports:
    values = checked(Reports, raw, "reports")
    if values["rating_satisfied"] is not None:
        whole(1, len(values["rating_scale"]) - 1)(values["rating_satisfied"], "reports.rating_satisfied")
    values["rating_hold_s"] = whole(0, min(60, values["rating_window_s"]))(values["rating_hold_s"],
                                                                          "reports.rating_hold_s")
    return Reports(**values)


def _service_code(value, where: str) -> str:
    if not isinstance(value, str) or not SERVICE_CODE.match(value):
        raise ConfigError(f"{where}: must be 1-16 letters, digits, '-' or '_'")
    return value


SHORT_NAME_MAX = 20


def _short_name(value, where: str) -> str:
    """What a hall display shows for a field whose name is too long for a counter's tile."""
    value = optional_text(value, where)
    if len(value) > SHORT_NAME_MAX:
        raise ConfigError(f"{where}: at most {SHORT_NAME_MAX} characters (it must fit a hall display's tile)")
    return value


@dataclass(frozen=True, kw_only=True)
class Service(Section):
    """A procedure field as first created in the database (the supervisor edits it after)."""
    code: str = option(check=_service_code)
    name: str = option(check=text)
    name_en: str = option("", optional_text)
    short_name: str = option("", _short_name)
    prefix: str = option("", optional_text)
    start: int = option(1, whole(0))
    digits: int = option(1, whole(1, 9))
    daily_cap: int | None = option(None, lambda value, where: None if value is None else whole(1)(value, where))
    open: bool = option(True, flag)


def _services(raw) -> list[Service]:
    if not isinstance(raw, list) or not raw:
        raise ConfigError("services: must be a non-empty list of fields")
    services, seen = [], set()
    for i, item in enumerate(raw):
        service = read(Service, item, f"services[{i}]")
        if service.code in seen:
            raise ConfigError(f"services[{i}].code: duplicate field code {service.code!r}")
        seen.add(service.code)
        services.append(service)
    return services


@dataclass(frozen=True, kw_only=True)
class Counter(Section):
    """A counter as first created in the database."""
    name: str = option(check=text)
    services: list[str] = option([])  # field codes, checked against `services` by `_counters`
    open: bool = option(True, flag)


def _counters(raw, codes: set[str]) -> list[Counter]:
    counters = []
    for i, item in enumerate(_list([] if raw is None else raw, "counters")):
        counter = read(Counter, item, f"counters[{i}]")
        if not isinstance(counter.services, list):
            raise ConfigError(f"counters[{i}].services: must be a list of field codes")
        for code in counter.services:
            if code not in codes:
                raise ConfigError(f"counters[{i}].services: unknown field code {code!r}")
        counters.append(counter)
    return counters


@dataclass(frozen=True, kw_only=True)
class FieldSlots(Section):
    """One field's own slot length and places (booking.services.<code>); unset keys follow booking."""
    slot_min: int | None = option(None, lambda value, where: None if value is None else whole(5, 240)(value, where))
    places: int | None = option(None, lambda value, where: None if value is None else whole(0, 500)(value, where))


@dataclass(frozen=True, kw_only=True)
class Booking(Section):
    """Online booking (docs/booking.md): slots per field cut from center.hours."""
    enabled: bool = option(False, flag)
    days_ahead: int = option(5, whole(0, 60))
    slot_min: int = option(30, whole(5, 240))
    places: int = option(4, whole(0, 500))
    checkin_before_min: int = option(15, whole(0, 240))
    checkin_after_min: int = option(10, whole(0, 240))
    keep_days: int = option(30, whole(1, 3650))
    max_per_address_hour: int = option(5, whole(0, 10000))
    max_per_person_day: int = option(3, whole(1, 100))
    services: dict[str, FieldSlots] = option({})  # checked by `_booking` against the fields

    def slots_of(self, service: str) -> "FieldSlots":
        """A field's slot length and places: its own (booking.services) or the booking defaults."""
        own = self.services.get(service) or FieldSlots()
        return FieldSlots(slot_min=self.slot_min if own.slot_min is None else own.slot_min,
                          places=self.places if own.places is None else own.places)


def _booking(raw, codes: set[str], hours: Week) -> Booking:
    values = checked(Booking, raw, "booking")
    if values["enabled"] and not hours:
        raise ConfigError("booking.enabled: booking needs center.hours (slots are cut from the working hours)")
    if not isinstance(values["services"], dict):
        raise ConfigError("booking.services: must be a mapping of field code to {slot_min, places}")
    own = {}
    for code, rules in values["services"].items():
        where = f"booking.services.{code}"
        if code not in codes:
            raise ConfigError(f"{where}: unknown field code")
        if not isinstance(rules, dict):
            raise ConfigError(f"{where}: must be a mapping such as {{slot_min: 20, places: 3}}")
        own[code] = read(FieldSlots, rules, where)
    return Booking(**values | {"services": own})


def _key_header(value, where: str) -> str:
    header = optional_text(value, where)
    if header and not re.match(r"^[A-Za-z0-9-]{1,64}$", header):
        raise ConfigError(f"{where}: must be a header name such as Authorization or X-Api-Key")
    return header


def _body(value, where: str) -> dict:
    if not isinstance(value, dict) or not value:
        raise ConfigError(f"{where}: must be a mapping, the JSON object sent, e.g. "
                          "{to: \"{phone}\", text: \"{message}\"}")
    return value


def _secret(value, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be a text")
    return value


@dataclass(frozen=True, kw_only=True)
class Notify(Section):
    """Notices by SMS or Zalo: POST JSON to the center's gateway (shared/notify.py)."""
    kind: str = option("none", one_of("none", "webhook"))
    url: str = option("", optional_text)
    key_header: str = option("", _key_header)
    key: str = option("", _secret)
    body: dict = option({"to": "{phone}", "text": "{message}", "id": "{id}"}, _body)
    timeout_s: int = option(10, whole(1, 120))
    max_attempts: int = option(10, whole(1, 100))
    remind_before_min: int = option(60, whole(0, 2880))
    near_turn_ahead: int = option(3, whole(0, 100))


def _notify(raw) -> Notify:
    notify = read(Notify, raw, "notify")
    if notify.kind == "webhook" and not re.match(r"^https?://[^/\s]+", notify.url):
        raise ConfigError("notify.url: kind webhook needs the gateway's http:// or https:// address")
    return notify


# --------------------------------------------------------------------------- voice

VOICE_MODES = ("auto", "clips", "speech", "chime")
LANGUAGES = ("vi", "en")
NUMBER_READINGS = ("whole", "digits")
#: The phrases as halls say them. ``call``/``recall`` are read when the announcer has time;
#: ``short``/``short_recall`` when calls queue up (see docs/voice.md, "Pacing").
DEFAULT_TEMPLATES = {
    "vi": {
        "call": "Mời số {number} đến {counter}",
        "recall": "Nhắc lại, mời số {number} đến {counter}",
        "short": "{number}, {counter}",
        "short_recall": "Nhắc lại {number}, {counter}",
    },
    "en": {
        "call": "Ticket number {number}, please go to {counter}",
        "recall": "Once again, ticket number {number}, please go to {counter}",
        "short": "{number}, {counter}",
        "short_recall": "Again {number}, {counter}",
    },
}
TEMPLATE_KINDS = tuple(DEFAULT_TEMPLATES["vi"])
PLACEHOLDER = re.compile(r"(\{[^{}]*\})")


def spoken_words(text_: str) -> list[str]:
    """The lowercased words of a text, as clips are named after them."""
    return re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text_).lower())


def _template(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: must be a non-empty string")
    names = []
    for part in PLACEHOLDER.split(value):
        if part.startswith("{") and part.endswith("}"):
            names.append(part[1:-1])
        elif "{" in part or "}" in part:
            raise ConfigError(f"{where}: unbalanced brace in {value!r}")
    bad = [n for n in names if n not in ("number", "counter")]
    if bad:
        raise ConfigError(f"{where}: unknown placeholder {{{bad[0]}}} (only {{number}} and {{counter}} are allowed)")
    if "number" not in names:
        raise ConfigError(f"{where}: must contain {{number}}")
    return " ".join(value.split())


def _letters(value, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: must be a mapping of letter -> spoken name")
    letters = {}
    for letter, spoken in value.items():
        name = unicodedata.normalize("NFC", str(letter)).upper()
        if len(name) != 1 or not name.isalpha():
            raise ConfigError(f"{where}.{letter}: key must be a single letter")
        if not isinstance(spoken, str) or not spoken.strip():
            raise ConfigError(f"{where}.{letter}: spoken name must be a non-empty string")
        letters[name] = " ".join(unicodedata.normalize("NFC", spoken).split())
    return letters


def _templates(value, where: str) -> dict[str, dict[str, str]]:
    """Per language the four phrases; only the keys given replace the built-in ones."""
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: must be a mapping of language -> {{call, recall}}")
    for lang in value:
        if lang not in LANGUAGES:
            raise ConfigError(f"{where}.{lang}: unknown language (known: {', '.join(LANGUAGES)})")
    templates = {}
    for lang in LANGUAGES:
        given = value.get(lang) or {}
        if not isinstance(given, dict):
            raise ConfigError(f"{where}.{lang}: must be a mapping with call and recall")
        for kind in given:
            if kind not in TEMPLATE_KINDS:
                raise ConfigError(f"{where}.{lang}.{kind}: unknown key (known: {', '.join(TEMPLATE_KINDS)})")
        templates[lang] = {kind: _template(given.get(kind, default), f"{where}.{lang}.{kind}")
                           for kind, default in DEFAULT_TEMPLATES[lang].items()}
    return templates


def _clip_set(value, where: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", value):
        raise ConfigError(f"{where}: must be a folder name of letters, digits, '-' or '_' (got {value!r})")
    return value


def _words(value, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value):
        raise ConfigError(f"{where}: must be a list of words, e.g. [phúc, khảo]")
    return sorted({w for phrase in value for w in spoken_words(phrase)})


@dataclass(frozen=True, kw_only=True)
class Voice(Section):
    """The hall announcement (docs/voice.md): how calls are read out on the displays."""
    mode: str = option("auto", one_of(*VOICE_MODES))
    language: str = option("vi", one_of(*LANGUAGES))
    southern: bool = option(False, flag)
    number_reading: str = option("whole", one_of(*NUMBER_READINGS))
    letters: dict[str, str] = option({}, _letters)
    templates: dict[str, dict[str, str]] = option({}, _templates)
    clip_set: str = option("default", _clip_set)
    clip_dir: str = option("", optional_text)  # resolved against the config file's folder by `validate`
    words: list[str] = option([], _words)
    max_lag_s: float = option(30, seconds(5, 600))
    repeat: bool = option(False, flag)


def validate_voice_config(raw) -> Voice:
    """The ``voice:`` section (raw YAML or already validated) with defaults filled in."""
    return read(Voice, raw, "voice")


# --------------------------------------------------------------------------- printer

LOCAL_PRINTER_KINDS = ("network", "usb", "serial", "file")
PRINTER_KINDS = ("none", "agent", "browser") + LOCAL_PRINTER_KINDS
IMAGE_IMPLS = ("bitImageRaster", "graphics")


def _printer_int(low: int, high: int, hex_strings: bool = False):
    """Whole numbers; USB ids may be written as hex strings because lsusb and Windows show them so."""
    def check(value, where: str) -> int | None:
        if value is None:
            return None
        if isinstance(value, str) and hex_strings:
            digits = value.strip().lower()
            try:
                value = int(digits[2:] if digits.startswith("0x") else digits, 16)
            except ValueError:
                raise ConfigError(f'{where}: {value!r} is not a hexadecimal number like "0x04b8"') from None
        elif isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            shown = f"0x{low:04x} to 0x{high:04x}" if hex_strings else f"{low} to {high}"
            raise ConfigError(f"{where}: must be an integer from {shown}")
        return value
    return check


def _optional(check):
    return lambda value, where: None if value is None else check(value, where)


def _footer(value, where: str) -> str:
    if not isinstance(value, str) or len(value) > 300:
        raise ConfigError(f"{where}: must be a text of at most 300 characters")
    return value.strip()


@dataclass(frozen=True, kw_only=True)
class Printer(Section):
    """The ticket printer (docs/printing.md); `motcua printer-agent` reads this section alone."""
    kind: str = option("none", one_of(*PRINTER_KINDS))
    profile: str = option("default", text)  # checked against python-escpos's profiles by `validate_printer_config`
    width_px: int | None = option(None)  # default: the widest of ticket_image.WIDTHS the profile takes
    image_impl: str = option("bitImageRaster", one_of(*IMAGE_IMPLS))
    host: str | None = option(None, _optional(text))
    port: int = option(9100, _printer_int(1, 65535))
    usb_vendor_id: int | None = option(None, _printer_int(1, 0xFFFF, hex_strings=True))
    usb_product_id: int | None = option(None, _printer_int(1, 0xFFFF, hex_strings=True))
    usb_out_ep: int | None = option(None, _printer_int(1, 0xFF, hex_strings=True))
    usb_in_ep: int | None = option(None, _printer_int(1, 0xFF, hex_strings=True))
    serial_device: str | None = option(None, _optional(text))
    baudrate: int = option(9600, _printer_int(300, 4_000_000))
    device: str | None = option(None, _optional(text))
    timeout_s: float = option(3.0, lambda value, where: float(seconds(0.1, 60)(value, where)))
    footer: str = option("", _footer)


REQUIRED_BY_KIND = {"network": ("host",), "usb": ("usb_vendor_id", "usb_product_id"),
                    "serial": ("serial_device",), "file": ("device",)}


def validate_printer_config(raw) -> Printer:
    """The ``printer:`` section (raw YAML or already validated) with defaults filled in;
    the profile is checked against python-escpos's printer database, imported only here."""
    if isinstance(raw, Printer):
        return raw
    from .printer_profiles import CAPABILITIES, profile_width
    from .ticket_image import WIDTHS

    values = checked(Printer, raw, "printer")
    profile, impl = values["profile"], values["image_impl"]
    if profile not in CAPABILITIES["profiles"]:
        raise ConfigError(f"printer.profile: unknown profile {profile!r}; "
                          f"known: {', '.join(sorted(CAPABILITIES['profiles']))}")
    if not CAPABILITIES["profiles"][profile].get("features", {}).get(impl):
        raise ConfigError(f"printer.profile: {profile} cannot print images with {impl}")
    limit, width = profile_width(profile), values["width_px"]
    if width is None:
        fitting = [w for w in WIDTHS if limit is None or w <= limit]
        values["width_px"] = max(fitting) if fitting else WIDTHS[0]
    elif width not in WIDTHS or isinstance(width, bool):
        raise ConfigError(f"printer.width_px: must be one of {', '.join(map(str, WIDTHS))}")
    elif limit is not None and width > limit:
        raise ConfigError(f"printer.width_px: {width} is wider than the {limit} dots of profile {profile}")
    for name in REQUIRED_BY_KIND.get(values["kind"], ()):
        if values[name] is None:
            raise ConfigError(f"printer.{name}: required when printer.kind is {values['kind']}")
    return Printer(**values)


@dataclass(frozen=True, kw_only=True)
class Health(Section):
    """Officers' presence and the health of the hall's screens: the alerts' thresholds
    (docs/operations.md says what each means and what the supervisor does)."""
    presence_grace_s: int = option(20, whole(1, 600))
    no_officer_alert_min: int = option(2, whole(0, 240))
    unstaffed_alert_min: int = option(10, whole(0, 240))
    idle_alert_min: int = option(5, whole(1, 240))
    display_offline_s: int = option(30, whole(5, 3600))
    late_call_s: int = option(10, whole(2, 600))
    beat_s: int = option(15, whole(1, 300))


# --------------------------------------------------------------------------- the whole file

@dataclass(frozen=True, kw_only=True)
class Config(Section):
    """The whole validated config.yaml: one typed section per top-level key."""
    center: Center
    database: Database
    server: Server
    kiosk: Kiosk
    queue: Queue
    reports: Reports
    services: list[Service]
    counters: list[Counter]
    booking: Booking
    notify: Notify
    voice: Voice
    printer: Printer
    health: Health


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
    mode = server.get("async_mode") if isinstance(server, dict) else None
    return one_of(*ASYNC_MODES)("eventlet" if mode is None else mode, "server.async_mode")


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read and validate a config file; relative paths in it are relative to the file."""
    raw, path = read_raw(path)
    return validate(raw, base_dir=path.parent)


def _log_file(value: str, base_dir: Path) -> str:
    """Empty (log to stderr) or a file in an existing folder, relative to the config file."""
    if not value:
        return ""
    path = (base_dir / value).resolve()
    if not path.parent.is_dir():
        raise ConfigError(f"server.log_file: folder {path.parent} does not exist")
    if path.is_dir():
        raise ConfigError(f"server.log_file: {path} is a folder, not a file")
    return str(path)


def validate(raw, base_dir: Path = Path(".")) -> Config:
    """The typed config with defaults filled in, or ConfigError naming the key."""
    if not isinstance(raw, dict):
        raise ConfigError("config: the file must be a mapping of sections")
    unknown = sorted(set(raw) - {f.name for f in fields(Config)})
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown section")
    center = read(Center, raw.get("center"), "center")
    if not center.counter_hours:
        center = dataclasses.replace(center, counter_hours=center.hours)
    database = read(Database, raw.get("database"), "database")
    if database.path != ":memory:":
        database = dataclasses.replace(database, path=str((base_dir / database.path).resolve()))
    server = read(Server, raw.get("server"), "server")
    server = dataclasses.replace(server, log_file=_log_file(server.log_file, base_dir))
    services = _services(raw.get("services"))
    codes = {s.code for s in services}
    voice = validate_voice_config(raw.get("voice"))
    if voice.clip_dir:  # relative to the config file, like database.path
        voice = dataclasses.replace(voice, clip_dir=str((base_dir / voice.clip_dir).resolve()))
    return Config(
        center=center, database=database, server=server,
        kiosk=read(Kiosk, raw.get("kiosk"), "kiosk"),
        queue=read(Queue, raw.get("queue"), "queue"),
        reports=_reports(raw.get("reports")),
        services=services,
        counters=_counters(raw.get("counters"), codes),
        booking=_booking(raw.get("booking"), codes, center.hours),
        notify=_notify(raw.get("notify")),
        voice=voice,
        printer=validate_printer_config(raw.get("printer")),
        health=read(Health, raw.get("health"), "health"),
    )
