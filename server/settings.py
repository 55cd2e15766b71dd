"""One registry of settings with defaults and help, loaded from TOML.

The file is `config/site.toml` unless ONESTOP_CONFIG names another. Scalar settings can
be overridden by environment variables named ONESTOP_<SECTION>_<KEY> (for example
ONESTOP_PRINTER_TYPE=none). A bad file stops start-up with ConfigError naming the file,
the key and the reason. `flask config schema` prints the schema as Markdown.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.model import DAYS, Counter, Office, Service, Session

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config" / "site.toml"


class ConfigError(Exception):
    """A config file problem: which file, which key, why."""

    def __init__(self, path: Path | str, key: str, reason: str):
        super().__init__(f"{path}: {key}: {reason}")
        self.path, self.key, self.reason = str(path), key, reason


@dataclass(frozen=True)
class Setting:
    type: Any  # str, int, float, bool, "str_list", "int_list", "hours", "table_list"
    default: Any
    help: str
    choices: tuple = ()
    required: bool = False


REQUIRED = object()

# Sections of scalar settings. Array sections ([[services]] etc.) are in ITEMS below.
SECTIONS: dict[str, dict[str, Setting]] = {
    "office": {
        "name": Setting(
            str, REQUIRED, "Office name, shown on every screen and ticket.", required=True
        ),
        "name_en": Setting(str, "", "Office name in English."),
        "address": Setting(str, "", "Postal address, printed on tickets."),
        "hotline": Setting(str, "", "Phone number citizens can call, printed on tickets."),
        "timezone": Setting(str, "Asia/Ho_Chi_Minh", "IANA time zone of the office."),
        "day_starts_at": Setting(int, 0, "Hour (0-23) at which ticket numbers restart."),
        "enforce_hours": Setting(bool, True, "Refuse tickets outside each procedure's hours."),
        "public_url": Setting(
            str,
            "",
            "Base URL phones reach the server at (for QR codes); empty: the request's host.",
        ),
        "language": Setting(str, "vi", "Default language of screens.", choices=("vi", "en")),
        "target_share_pct": Setting(
            int, 80, "Goal: share of citizens called within the target wait."
        ),
        "closing_time": Setting(
            str, "17:30", "Local time the day is closed and summarised (HH:MM)."
        ),
    },
    "kiosk": {
        "id": Setting(str, "kiosk-1", "Identifies this kiosk on tickets and in the log."),
        "return_after_s": Setting(int, 8, "Seconds the issued number stays on screen."),
        "priority_categories": Setting(
            "str_list",
            [
                "Người cao tuổi",
                "Người khuyết tật",
                "Phụ nữ mang thai",
                "Trẻ em dưới 6 tuổi",
                "Người có công với cách mạng",
            ],
            "Who may take a priority ticket (shown on the kiosk).",
        ),  # fmt: skip
        "priority_categories_en": Setting(
            "str_list",
            [
                "Elderly",
                "People with disabilities",
                "Pregnant women",
                "Children under 6",
                "People with meritorious services",
            ],
            "The same list in English.",
        ),  # fmt: skip
        "gpio": Setting(bool, False, "Read physical buttons (gpiozero) on this machine."),
    },
    "printer": {
        "type": Setting(
            str,
            "file",
            "Printer connection.",
            choices=("usb", "network", "serial", "cups", "file", "none"),
        ),
        "paper_mm": Setting(
            int, 80, "Paper width in mm: 58 (384 dots) or 80 (576 dots).", choices=(58, 80)
        ),
        "path": Setting(
            str, "printer.bin", "file: where raw ESC/POS bytes go (relative to the data dir)."
        ),
        "usb_vendor": Setting(str, "0x0416", "usb: vendor id (hex, from lsusb)."),
        "usb_product": Setting(str, "0x5011", "usb: product id (hex, from lsusb)."),
        "host": Setting(str, "", "network: printer address."),
        "port": Setting(int, 9100, "network: TCP port."),
        "serial_device": Setting(str, "/dev/ttyUSB0", "serial: device path."),
        "baudrate": Setting(int, 19200, "serial: speed."),
        "cups_printer": Setting(str, "", "cups: queue name."),
        "timeout_s": Setting(float, 5.0, "Give up on one print job after this many seconds."),
        "profile": Setting(str, "default", "python-escpos capability profile."),
    },
    "voice": {
        "enabled": Setting(bool, True, "Announce calls by voice."),
        "engines": Setting(
            "str_list", ["gtts", "espeak"], "Text-to-speech engines, in order of preference."
        ),
        "languages": Setting("str_list", ["vi"], "Languages announced, in order (vi, en)."),
        "template_vi": Setting(
            str, "Mời công dân có số thứ tự {number} đến quầy số {counter}", "Vietnamese sentence."
        ),
        "template_en": Setting(
            str, "Ticket number {number}, please go to counter {counter}", "English sentence."
        ),
        "numbers": Setting(
            str, "digits", "Read numbers digit by digit or in words.", choices=("digits", "words")
        ),
        "repeat": Setting(int, 1, "How many times each call is spoken."),
        "gtts_timeout_s": Setting(float, 3.0, "Timeout of one gTTS request."),
        "warm_on_start": Setting(bool, True, "Render missing phrases in the background at start."),
        "server_playback": Setting(
            bool, False, "Also play calls on the server's own audio output."
        ),
        "player": Setting(str, "aplay", "Command used for server playback."),
        "mp3_player": Setting(str, "mpg123 -q", "Command used for server playback of MP3."),
        "dialect": Setting(
            str,
            "north",
            "Number words: north (linh, nghìn) or south (lẻ, ngàn).",
            choices=("north", "south"),
        ),
        "gtts_interval_s": Setting(float, 1.0, "Least time between two gTTS requests."),
        "espeak_speed": Setting(int, 140, "espeak-ng speaking rate in words per minute."),
    },
    "display": {
        "recent_calls": Setting(int, 8, "How many past calls the lobby shows."),
        "flash_s": Setting(int, 6, "Seconds a new call flashes."),
        "notice_rotate_s": Setting(int, 12, "Seconds each public notice stays."),
    },
    "backup": {
        "keep": Setting(int, 14, "How many daily backups `flask backup` keeps."),
        "dir": Setting(str, "", "Where backups go; empty: backups/ in the data dir."),
        "time": Setting(
            str, "", "Local time of the daily backup (HH:MM); empty: 30 min after closing_time."
        ),
    },
    "security": {
        "secure_cookies": Setting(
            bool, False, "Mark login cookies Secure (set when the site is served over HTTPS)."
        ),
    },
}

ITEMS: dict[str, dict[str, Setting]] = {
    "services": {
        "code": Setting(str, REQUIRED, "Short id used in URLs and the API.", required=True),
        "name": Setting(str, REQUIRED, "Vietnamese name.", required=True),
        "name_en": Setting(str, "", "English name."),
        "prefix": Setting(str, REQUIRED, "Letter(s) before the number.", required=True),
        "range_start": Setting(int, 1, "First number of the day."),
        "range_end": Setting(int, 999, "Last number of the day."),
        "target_wait_min": Setting(int, 15, "Target wait in minutes."),
        "service_min": Setting(int, 10, "Typical service time in minutes (until history exists)."),
        "fee": Setting(str, "", "Fees and charges, shown on the public notices."),
        "fee_en": Setting(str, "", "Fees in English."),
        "hours": Setting(
            "hours", {}, 'Opening sessions per day: mon..sun or weekdays = ["07:30-11:30", ...].'
        ),
    },
    "counters": {
        "number": Setting(int, REQUIRED, "Counter number (spoken and shown).", required=True),
        "name": Setting(str, "", "Name; default 'Quầy N'."),
        "services": Setting("str_list", REQUIRED, "Procedure codes served here.", required=True),
    },
    "displays": {
        "name": Setting(str, REQUIRED, "Display name, used as /display?name=...", required=True),
        "counters": Setting("int_list", [], "Only these counters (empty: all)."),
        "services": Setting("str_list", [], "Only these procedures (empty: all)."),
    },
    "notices": {
        "title": Setting(str, REQUIRED, "Heading.", required=True),
        "title_en": Setting(str, "", "Heading in English."),
        "text": Setting(str, "", "Body text."),
        "text_en": Setting(str, "", "Body in English."),
    },
    "officials": {
        "name": Setting(str, REQUIRED, "Full name.", required=True),
        "position": Setting(str, "", "Position, e.g. Công chức Tư pháp – Hộ tịch."),
        "phone": Setting(str, "", "Phone number."),
        "area": Setting(str, "", "What they are in charge of."),
    },
    "kiosk.buttons": {
        "pin": Setting(int, REQUIRED, "BCM GPIO pin of the button.", required=True),
        "service": Setting(str, REQUIRED, "Procedure code the button issues.", required=True),
        "priority": Setting(bool, False, "Issue a priority ticket."),
    },
}

TYPE_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true or false"}
HOURS_RE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def _nfc(value):
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _check(value, s: Setting, path, key):
    t = s.type
    if t is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if t in (str, int, float, bool):
        if not isinstance(value, t) or (t is int and isinstance(value, bool)):
            raise ConfigError(path, key, f"expected {TYPE_NAMES[t]}, got {value!r}")
        value = _nfc(value)
    elif t in ("str_list", "int_list"):
        inner = str if t == "str_list" else int
        if not isinstance(value, list) or not all(
            isinstance(v, inner) and not isinstance(v, bool) for v in value
        ):
            raise ConfigError(path, key, f"expected a list of {TYPE_NAMES[inner]}, got {value!r}")
        value = [_nfc(v) for v in value]
    elif t == "hours":
        value = _hours(value, path, key)
    if s.choices and value not in s.choices:
        raise ConfigError(
            path, key, f"must be one of {', '.join(map(str, s.choices))}, got {value!r}"
        )
    return value


def _hours(value, path, key) -> dict[str, tuple[Session, ...]]:
    if not isinstance(value, dict):
        raise ConfigError(path, key, 'expected a table such as { weekdays = ["07:30-11:30"] }')
    out: dict[str, tuple[Session, ...]] = {}
    for day, spans in value.items():
        days = DAYS[:5] if day == "weekdays" else DAYS if day == "daily" else (day,)
        if day not in DAYS and day not in ("weekdays", "daily"):
            raise ConfigError(path, f"{key}.{day}", "unknown day (use mon..sun, weekdays, daily)")
        if not isinstance(spans, list):
            raise ConfigError(path, f"{key}.{day}", 'expected a list of "HH:MM-HH:MM"')
        sessions = []
        for span in spans:
            m = HOURS_RE.match(span) if isinstance(span, str) else None
            try:
                start = dt.time(int(m[1]), int(m[2]))
                end = dt.time(int(m[3]), int(m[4]))
            except (TypeError, ValueError):
                raise ConfigError(
                    path, f"{key}.{day}", f'bad session {span!r}, expected "HH:MM-HH:MM"'
                ) from None
            if end <= start:
                raise ConfigError(path, f"{key}.{day}", f"session {span!r} ends before it starts")
            sessions.append(Session(start, end))
        for d in days:
            out[d] = tuple(sorted(out.get(d, ()) + tuple(sessions), key=lambda s: s.start))
    return out


def _section(data, schema, path, prefix, env=True) -> dict:
    if not isinstance(data, dict):
        raise ConfigError(path, prefix, "expected a table")
    unknown = set(data) - set(schema) - ({"buttons"} if prefix == "kiosk" else set())
    if unknown:
        raise ConfigError(
            path, f"{prefix}.{sorted(unknown)[0]}", "unknown key (see the schema in README.md)"
        )
    out = {}
    for key, s in schema.items():
        full = f"{prefix}.{key}"
        env_name = "ONESTOP_" + full.replace(".", "_").upper()
        if env and env_name in os.environ and s.type in (str, int, float, bool):
            out[key] = _check(_from_env(os.environ[env_name], s, env_name), s, env_name, full)
        elif key in data:
            out[key] = _check(data[key], s, path, full)
        elif s.required:
            raise ConfigError(path, full, "is required")
        else:
            out[key] = s.default
    return out


def _from_env(text: str, s: Setting, name: str):
    try:
        if s.type is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
        return s.type(text)
    except ValueError:
        raise ConfigError(
            "environment", name, f"cannot read {text!r} as {TYPE_NAMES[s.type]}"
        ) from None


def _items(data, name, path) -> list[dict]:
    items = data.get(name, [])
    if not isinstance(items, list):
        raise ConfigError(path, name, "expected an array of tables ([[" + name + "]])")
    return [
        _section(item, ITEMS[name], path, f"{name}[{i}]", env=False) for i, item in enumerate(items)
    ]


class Settings:
    """The loaded, checked configuration: `office` for the core, sections for the rest."""

    def __init__(self, data: dict, path: Path | str = "<dict>"):
        self.path = Path(path)
        p = str(path)
        known = set(SECTIONS) | {"services", "counters", "displays", "notices", "officials"}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(
                p, sorted(unknown)[0], "unknown section (see the schema in README.md)"
            )
        self.sections = {
            name: _section(data.get(name, {}), schema, p, name) for name, schema in SECTIONS.items()
        }
        kiosk_raw = data.get("kiosk", {})
        buttons = kiosk_raw.get("buttons", []) if isinstance(kiosk_raw, dict) else []
        if not isinstance(buttons, list):
            raise ConfigError(p, "kiosk.buttons", "expected an array of tables ([[kiosk.buttons]])")
        self.buttons = [
            _section(b, ITEMS["kiosk.buttons"], p, f"kiosk.buttons[{i}]", env=False)
            for i, b in enumerate(buttons)
        ]
        self.services = _items(data, "services", p)
        self.counters = _items(data, "counters", p)
        self.displays = _items(data, "displays", p)
        self.notices = _items(data, "notices", p)
        self.officials = _items(data, "officials", p)
        self._cross_check(p)
        self.office = self._office()

    def __getitem__(self, section: str) -> dict:
        return self.sections[section]

    def _cross_check(self, p: str) -> None:
        office = self.sections["office"]
        try:
            ZoneInfo(office["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                p, "office.timezone", f"unknown time zone {office['timezone']!r}"
            ) from None
        if not 0 <= office["day_starts_at"] <= 23:
            raise ConfigError(p, "office.day_starts_at", "must be an hour 0-23")
        if not HOURS_RE.match(office["closing_time"] + "-23:59"):
            raise ConfigError(p, "office.closing_time", "expected HH:MM")
        if self.sections["backup"]["time"] and not HOURS_RE.match(
            self.sections["backup"]["time"] + "-23:59"
        ):
            raise ConfigError(p, "backup.time", "expected HH:MM")
        if self.sections["backup"]["keep"] < 1:
            raise ConfigError(p, "backup.keep", "keep at least 1 backup")
        if not self.services:
            raise ConfigError(p, "services", "at least one procedure is required")
        codes = set()
        for i, s in enumerate(self.services):
            key = f"services[{i}]"
            if not re.fullmatch(r"[a-z0-9_-]{1,32}", s["code"]):
                raise ConfigError(p, f"{key}.code", "use 1-32 lower-case letters, digits, - or _")
            if s["code"] in codes:
                raise ConfigError(p, f"{key}.code", f"duplicate procedure code {s['code']!r}")
            codes.add(s["code"])
            if not re.fullmatch(r"[A-Z]{1,3}", s["prefix"]):
                raise ConfigError(p, f"{key}.prefix", "use 1-3 capital letters")
            if not 0 <= s["range_start"] <= s["range_end"] <= 9999:
                raise ConfigError(
                    p, f"{key}.range_end", "need 0 <= range_start <= range_end <= 9999"
                )
            if s["target_wait_min"] <= 0 or s["service_min"] <= 0:
                raise ConfigError(p, f"{key}.target_wait_min", "minutes must be positive")
        spans: dict[str, list[tuple[int, int, str]]] = {}
        for s in self.services:  # services sharing a prefix must not share numbers
            for lo, hi, other in spans.get(s["prefix"], []):
                if not (s["range_end"] < lo or s["range_start"] > hi):
                    raise ConfigError(p, f"services.{s['code']}.range_start",
                                      f"numbers overlap with {other!r}, which uses the same prefix")  # fmt: skip
            spans.setdefault(s["prefix"], []).append((s["range_start"], s["range_end"], s["code"]))
        if not self.counters:
            raise ConfigError(p, "counters", "at least one counter is required")
        numbers = set()
        for i, c in enumerate(self.counters):
            if c["number"] in numbers or c["number"] <= 0:
                raise ConfigError(p, f"counters[{i}].number", "must be positive and unique")
            numbers.add(c["number"])
            for code in c["services"]:
                if code not in codes:
                    raise ConfigError(p, f"counters[{i}].services", f"unknown procedure {code!r}")
        for i, d in enumerate(self.displays):
            for n in d["counters"]:
                if n not in numbers:
                    raise ConfigError(p, f"displays[{i}].counters", f"unknown counter {n}")
            for code in d["services"]:
                if code not in codes:
                    raise ConfigError(p, f"displays[{i}].services", f"unknown procedure {code!r}")
        for i, b in enumerate(self.buttons):
            if b["service"] not in codes:
                raise ConfigError(
                    p, f"kiosk.buttons[{i}].service", f"unknown procedure {b['service']!r}"
                )

    def _office(self) -> Office:
        o = self.sections["office"]
        services = tuple(
            Service(
                code=s["code"], name=s["name"], name_en=s["name_en"] or s["name"],
                prefix=s["prefix"], range_start=s["range_start"], range_end=s["range_end"],
                target_wait_s=s["target_wait_min"] * 60, service_s=s["service_min"] * 60,
                hours=s["hours"], digits=max(3, len(str(s["range_end"]))),
            )
            for s in self.services
        )  # fmt: skip
        counters = tuple(
            Counter(c["number"], c["name"] or f"Quầy {c['number']}", tuple(c["services"]))
            for c in self.counters
        )
        return Office(
            name=o["name"], name_en=o["name_en"], address=o["address"], hotline=o["hotline"],
            timezone=o["timezone"], day_starts_at=o["day_starts_at"],
            enforce_hours=o["enforce_hours"], services=services, counters=counters,
            public_url=o["public_url"],
        )  # fmt: skip

    def service_config(self, code: str) -> dict | None:
        return next((s for s in self.services if s["code"] == code), None)


def load(path: Path | str | None = None) -> Settings:
    """Read and check the config file (ONESTOP_CONFIG, else config/site.toml)."""
    path = Path(path or os.environ.get("ONESTOP_CONFIG") or DEFAULT_CONFIG)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ConfigError(path, "(file)", f"cannot read: {e.strerror or e}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(path, "(file)", "not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(path, "(syntax)", f"not valid TOML: {e}") from None
    return Settings(data, path)


def schema_markdown() -> str:
    """The settings registry as a Markdown table (pasted into README.md)."""
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]

    def row(key, s):
        t = s.type if isinstance(s.type, str) else TYPE_NAMES[s.type]
        d = "required" if s.required else repr(s.default)
        extra = f" One of: {', '.join(map(str, s.choices))}." if s.choices else ""
        lines.append(f"| `{key}` | {t} | {d} | {s.help}{extra} |")

    for sec, schema in SECTIONS.items():
        for k, s in schema.items():
            row(f"{sec}.{k}", s)
    for sec, schema in ITEMS.items():
        for k, s in schema.items():
            row(f"[[{sec}]].{k}", s)
    return "\n".join(lines)
