"""Settings: site.toml read against the schema, cross-references checked, the core's Office.

Every rule about the config file lives in this package: per key in schema.py (types,
ranges, choices, hex ids, templates), across keys here (procedures that counters, displays
and buttons name must exist; codes, numbers, pins and names unique; number ranges of one
prefix must not overlap). Nothing else validates the file.
"""

from __future__ import annotations

import copy
import os
import tomllib
from pathlib import Path

from core.model import Counter, Office, Service

from .fields import SCALARS, TYPE_NAMES, ConfigError, Setting, value
from .schema import ITEMS, SECTIONS

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_CONFIG = ROOT / "config" / "site.toml"
ARRAYS = ("services", "counters", "displays", "notices", "officials")


def env_name(key: str) -> str:
    """ONESTOP_<SECTION>_<KEY>, the environment variable that overrides `key`."""
    return "ONESTOP_" + key.replace(".", "_").upper()


def _section(data, schema: dict[str, Setting], path, prefix: str, env=True) -> dict:
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
        name = env_name(full)
        if env and name in os.environ and s.type in SCALARS:
            out[key] = value(_from_env(os.environ[name], s, name), s, name, full)
        elif key in data:
            out[key] = value(data[key], s, path, full)
        elif s.required:
            raise ConfigError(path, full, "is required")
        else:
            out[key] = value(s.default, s, "(schema default)", full)
    return out


def _from_env(text: str, s: Setting, name: str):
    if s.type in (str, "usb_id", "time"):
        return text
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


def _array(items, schema, path, name: str) -> list[dict]:
    if not isinstance(items, list):
        raise ConfigError(path, name, "expected an array of tables ([[" + name + "]])")
    return [_section(item, schema, path, f"{name}[{i}]", env=False) for i, item in enumerate(items)]


def _unique(rows: list[dict], field: str, path, name: str, reason: str) -> None:
    seen = set()
    for i, row in enumerate(rows):
        if row[field] in seen:
            raise ConfigError(path, f"{name}[{i}].{field}", reason.format(row[field]))
        seen.add(row[field])


class Settings:
    """The loaded, checked configuration: `office` for the core, sections for the rest.

    settings["printer"]["usb_vendor"] is the parsed id (an int), settings["display"]
    ["recent_calls"] a number 1-50, and so on: readers need not check again.
    """

    def __init__(self, data: dict, path: Path | str = "<dict>"):
        self.path = Path(path)
        p = str(path)
        if not isinstance(data, dict):
            raise ConfigError(p, "(file)", "expected a table of sections")
        self.data = copy.deepcopy(data)  # as written, without environment overrides
        unknown = set(data) - set(SECTIONS) - set(ARRAYS)
        if unknown:
            raise ConfigError(
                p, sorted(unknown)[0], "unknown section (see the schema in README.md)"
            )
        self.sections = {
            name: _section(data.get(name, {}), schema, p, name) for name, schema in SECTIONS.items()
        }
        kiosk = data.get("kiosk", {})
        buttons = kiosk.get("buttons", []) if isinstance(kiosk, dict) else []
        if not isinstance(buttons, list):
            raise ConfigError(p, "kiosk.buttons", "expected an array of tables ([[kiosk.buttons]])")
        self.buttons = [
            _section(b, ITEMS["kiosk.buttons"], p, f"kiosk.buttons[{i}]", env=False)
            for i, b in enumerate(buttons)
        ]
        for name in ARRAYS:
            setattr(self, name, _array(data.get(name, []), ITEMS[name], p, name))
        self._cross_check(p)
        self.office = self._office()

    services: list[dict]
    counters: list[dict]
    displays: list[dict]
    notices: list[dict]
    officials: list[dict]

    def __getitem__(self, section: str) -> dict:
        return self.sections[section]

    def _cross_check(self, p: str) -> None:
        """The rules that involve more than one key."""
        printer = self.sections["printer"]
        if printer["type"] == "network" and not printer["host"].strip():
            raise ConfigError(p, "printer.host", "is required when printer.type is network")
        hub = self.sections["hub"]
        for key in ("office_code", "token"):
            if hub["url"] and not hub[key].strip():
                raise ConfigError(p, f"hub.{key}", "is required when hub.url is set")
        if not self.services:
            raise ConfigError(p, "services", "at least one procedure is required")
        _unique(self.services, "code", p, "services", "duplicate procedure code {!r}")
        returns = [i for i, s in enumerate(self.services) if s["kind"] == "return"]
        if len(returns) > 1:
            raise ConfigError(p, f"services[{returns[1]}].kind",
                              "only one procedure may be the result-return one")  # fmt: skip
        self._ranges(p)
        if not self.counters:
            raise ConfigError(p, "counters", "at least one counter is required")
        _unique(self.counters, "number", p, "counters", "must be positive and unique ({} twice)")
        _unique(self.displays, "name", p, "displays", "duplicate display name {!r}")
        _unique(self.buttons, "pin", p, "kiosk.buttons", "GPIO pin {} is used twice")
        codes = {s["code"] for s in self.services}
        numbers = {c["number"] for c in self.counters}
        for i, c in enumerate(self.counters):
            self._known(c["services"], codes, p, f"counters[{i}].services", "procedure")
        for i, d in enumerate(self.displays):
            self._known(d["counters"], numbers, p, f"displays[{i}].counters", "counter")
            self._known(d["services"], codes, p, f"displays[{i}].services", "procedure")
        returns = {s["code"] for s in self.services if s["kind"] == "return"}
        for i, b in enumerate(self.buttons):
            self._known([b["service"]], codes, p, f"kiosk.buttons[{i}].service", "procedure")
            if b["service"] in returns:  # a return ticket is for a ready dossier's code only
                raise ConfigError(p, f"kiosk.buttons[{i}].service",
                                  "the result-return procedure has no button")  # fmt: skip

    @staticmethod
    def _known(names, known: set, p: str, key: str, what: str) -> None:
        for name in names:
            if name not in known:
                raise ConfigError(p, key, f"unknown {what} {name!r}")

    def _ranges(self, p: str) -> None:
        """range_start <= range_end; services sharing a prefix must not share numbers."""
        spans: dict[str, list[tuple[int, int, str]]] = {}
        for i, s in enumerate(self.services):
            if s["range_start"] > s["range_end"]:
                raise ConfigError(p, f"services[{i}].range_end",
                                  "need 0 <= range_start <= range_end <= 9999")  # fmt: skip
            for lo, hi, other in spans.get(s["prefix"], []):
                if not (s["range_end"] < lo or s["range_start"] > hi):
                    raise ConfigError(p, f"services.{s['code']}.range_start",
                                      f"numbers overlap with {other!r}, which uses the same prefix")  # fmt: skip
            spans.setdefault(s["prefix"], []).append((s["range_start"], s["range_end"], s["code"]))

    def _office(self) -> Office:
        o = self.sections["office"]
        services = tuple(
            Service(
                code=s["code"], name=s["name"], name_en=s["name_en"] or s["name"],
                prefix=s["prefix"], range_start=s["range_start"], range_end=s["range_end"],
                target_wait_s=s["target_wait_min"] * 60, service_s=s["service_min"] * 60,
                hours=s["hours"], digits=max(3, len(str(s["range_end"]))), kind=s["kind"],
            )
            for s in self.services
        )  # fmt: skip
        counters = tuple(
            Counter(c["number"], c["name"] or f"Quầy {c['number']}", tuple(c["services"]))
            for c in self.counters
            if not c["closed"]  # a closed counter is inactive: not shown, cannot call
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
