"""One setting's rule (type, default, range, choices, extra check) and how a value is checked.

Standard library only: systemd/site_config.py loads this package by path with the system
python3, without Flask.
"""

from __future__ import annotations

import datetime as dt
import re
import string
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.model import DAYS, Session


class ConfigError(ValueError):
    """A config file problem: which file, which key, why."""

    def __init__(self, path, key: str, reason: str):
        super().__init__(f"{path}: {key}: {reason}")
        self.path, self.key, self.reason = str(path), key, reason


@dataclass(frozen=True)
class Setting:
    """One key: its type, default and help, and every rule its value must follow.

    type: str, int, float, bool, "str_list", "int_list", "hours", "usb_id" (hex text such
    as "0x0416", read as an int) or "time" (HH:MM text). `lo`/`hi` bound numbers (and the
    items of an int_list); `each` lists the allowed items of a str_list; `check(value)`
    returns the reason a value is wrong, or None.
    """

    type: Any
    default: Any
    help: str
    choices: tuple = ()
    required: bool = False
    lo: float | None = None
    hi: float | None = None
    each: tuple = ()
    check: Callable[[Any], str | None] | None = None
    unique: bool = False  # str_list/int_list: no item twice

    def rules(self) -> str:
        """The rules in words, for the schema table."""
        out = []
        if self.choices:
            out.append(f"One of: {', '.join(map(str, self.choices))}.")
        if self.each:
            out.append(f"Each one of: {', '.join(self.each)}.")
        if self.lo is not None and self.hi is not None:
            out.append(f"{_num(self.lo)} to {_num(self.hi)}.")
        elif self.lo is not None:
            out.append(f"At least {_num(self.lo)}.")
        if self.check is not None and self.check.__doc__:
            out.append(self.check.__doc__)
        return " ".join(out)


REQUIRED = object()
SCALARS = (str, int, float, bool, "usb_id", "time")  # what ONESTOP_<SECTION>_<KEY> may set
TYPE_NAMES = {
    str: "text", int: "a whole number", float: "a number", bool: "true or false",
    "str_list": "list of text", "int_list": "list of whole numbers", "hours": "hours",
    "usb_id": "USB id (hex text)", "time": "time (HH:MM)",
}  # fmt: skip
HOURS_RE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
USB_ID_RE = re.compile(r"^(0[xX])?[0-9a-fA-F]{1,4}$")


def _num(x) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _nfc(value):
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _is(value, t) -> bool:
    """isinstance, except that true/false is not a number."""
    return t is bool if isinstance(value, bool) else isinstance(value, t)


def value(raw, s: Setting, path, key: str):
    """The checked (and parsed) value of `raw` for setting `s`, or ConfigError."""
    v = _typed(raw, s, path, key)
    if s.choices and v not in s.choices:
        raise ConfigError(path, key, f"must be one of {', '.join(map(str, s.choices))}, got {v!r}")
    items = v if isinstance(v, list) else [v]
    for i, item in enumerate(items):
        where = f"{key}[{i}]" if isinstance(v, list) else key
        if s.each and item not in s.each:
            raise ConfigError(path, where, f"must be one of {', '.join(s.each)}, got {item!r}")
        if s.unique and item in items[:i]:
            raise ConfigError(path, where, f"{item!r} is listed twice")
        if _is(item, (int, float)) and not _in_range(item, s):
            raise ConfigError(path, where, f"must be {_span(s)}, got {item!r}")
    reason = s.check(v) if s.check else None
    if reason:
        raise ConfigError(path, key, reason)
    return v


def _in_range(x, s: Setting) -> bool:
    return (s.lo is None or x >= s.lo) and (s.hi is None or x <= s.hi)


def _span(s: Setting) -> str:
    if s.hi is None:
        return f"at least {_num(s.lo)}"
    return f"{_num(s.lo)} to {_num(s.hi)}"


def _typed(raw, s: Setting, path, key: str):
    t = s.type
    if t is float and _is(raw, int):
        raw = float(raw)
    if t in (str, int, float, bool):
        if not _is(raw, t):
            raise ConfigError(path, key, f"expected {TYPE_NAMES[t]}, got {raw!r}")
        return _nfc(raw)
    if t in ("str_list", "int_list"):
        inner = str if t == "str_list" else int
        if not isinstance(raw, list) or not all(_is(v, inner) for v in raw):
            raise ConfigError(path, key, f"expected a list of {TYPE_NAMES[inner]}, got {raw!r}")
        return [_nfc(v) for v in raw]
    if t == "hours":
        return hours(raw, path, key)
    if t == "usb_id":
        return usb_id(raw, path, key)
    if t == "time":
        return time_of_day(raw, path, key)
    raise TypeError(f"unknown setting type {t!r}")  # a mistake in the schema, not the file


def usb_id(raw, path, key: str) -> int:
    """A USB vendor/product id: hex text "0x0416" (or a TOML integer) -> 0x0000..0xFFFF."""
    if _is(raw, int) and 0 <= raw <= 0xFFFF:
        return raw
    if isinstance(raw, str) and USB_ID_RE.match(raw.strip()):
        return int(raw.strip(), 16)
    raise ConfigError(
        path, key, f"expected a USB id such as 0x0416 (hex 0x0000-0xFFFF, see lsusb), got {raw!r}"
    )


def time_of_day(raw, path, key: str) -> str:
    """A local time "HH:MM" (00:00-23:59), returned as written with two-digit hours."""
    m = TIME_RE.match(raw) if isinstance(raw, str) else None
    if raw == "" and isinstance(raw, str):
        return ""  # "not set"; a setting that must be set says so in its check
    if not m or int(m[1]) > 23 or int(m[2]) > 59:
        raise ConfigError(path, key, f"expected HH:MM (00:00-23:59), got {raw!r}")
    return f"{int(m[1]):02d}:{m[2]}"


def hours(value, path, key) -> dict[str, tuple[Session, ...]]:
    """`{ weekdays = ["07:30-11:30", ...], sat = [...] }` -> day -> sorted sessions."""
    if not isinstance(value, dict):
        raise ConfigError(path, key, 'expected a table such as { weekdays = ["07:30-11:30"] }')
    out: dict[str, tuple[Session, ...]] = {}
    for day, spans in value.items():
        days = DAYS[:5] if day == "weekdays" else DAYS if day == "daily" else (day,)
        if day not in DAYS and day not in ("weekdays", "daily"):
            raise ConfigError(path, f"{key}.{day}", "unknown day (use mon..sun, weekdays, daily)")
        if not isinstance(spans, list):
            raise ConfigError(path, f"{key}.{day}", 'expected a list of "HH:MM-HH:MM"')
        sessions = tuple(_session(span, path, f"{key}.{day}") for span in spans)
        for d in days:
            out[d] = tuple(sorted(out.get(d, ()) + sessions, key=lambda s: s.start))
    return out


def _session(span, path, key: str) -> Session:
    m = HOURS_RE.match(span) if isinstance(span, str) else None
    try:
        start = dt.time(int(m[1]), int(m[2]))
        end = dt.time(int(m[3]), int(m[4]))
    except (TypeError, ValueError):
        raise ConfigError(path, key, f'bad session {span!r}, expected "HH:MM-HH:MM"') from None
    if end <= start:
        raise ConfigError(path, key, f"session {span!r} ends before it starts")
    return Session(start, end)


# -- extra checks: value -> reason, or None. The docstring is shown in the schema table. --


def not_empty(v) -> str | None:
    """Must not be empty."""
    return "must not be empty" if not v or (isinstance(v, str) and not v.strip()) else None


def time_zone(v: str) -> str | None:
    """An IANA name such as Asia/Ho_Chi_Minh."""
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {v!r}"
    return None


def time_set(v: str) -> str | None:
    return "expected HH:MM, got ''" if v == "" else None


def http_url(v: str) -> str | None:
    """Empty, or an http:// or https:// address."""
    if not v:
        return None
    try:
        parts = urlsplit(v)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return f"expected an address such as http://192.168.1.10:8000, got {v!r}"
    return None


def voice_template(v: str) -> str | None:
    """May use {number} (required) and {counter}, nothing else in braces."""
    only = "only {number} and {counter} may be used"
    try:
        fields = [(f, c, spec) for _, f, spec, c in string.Formatter().parse(v) if f is not None]
    except ValueError as e:
        return f"{only} ({e})"
    for name, conversion, spec in fields:
        if name not in ("number", "counter") or conversion or spec:
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            return f"{only}, not {{{shown}}}"
    if "number" not in (f for f, _, _ in fields):
        return "must say the ticket's {number}"
    return None


def code(v: str) -> str | None:
    """1-32 lower-case letters, digits, - or _."""
    ok = re.fullmatch(r"[a-z0-9_-]{1,32}", v)
    return None if ok else "use 1-32 lower-case letters, digits, - or _"


def prefix(v: str) -> str | None:
    """1-3 capital letters."""
    return None if re.fullmatch(r"[A-Z]{1,3}", v) else "use 1-3 capital letters"


def regex(v: str) -> str | None:
    """A Python regular expression."""
    try:
        re.compile(v)
    except re.error as e:
        return f"not a regular expression: {e}"
    return None
