"""Plain data describing one office, built from the config file by server.settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Session:
    """One opening session of a day, local wall-clock times."""

    start: dt.time
    end: dt.time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Service:
    """A procedure type citizens take tickets for."""

    code: str
    name: str
    name_en: str
    prefix: str
    range_start: int = 1
    range_end: int = 999
    target_wait_s: int = 900
    service_s: int = 600
    hours: dict[str, tuple[Session, ...]] = field(default_factory=dict)
    digits: int = 3
    kind: str = "normal"  # "return": the result-return procedure (kiosk's collect screen)

    def label(self, n: int) -> str:
        """The printed and spoken number of the n-th ticket of the day."""
        return f"{self.prefix}{self.range_start + n - 1:0{self.digits}d}"

    @property
    def capacity(self) -> int:
        return self.range_end - self.range_start + 1


@dataclass(frozen=True)
class Counter:
    number: int
    name: str
    services: tuple[str, ...]


@dataclass(frozen=True)
class Office:
    name: str
    timezone: str = "Asia/Ho_Chi_Minh"
    day_starts_at: int = 0  # hour at which numbering restarts
    enforce_hours: bool = True
    services: tuple[Service, ...] = ()
    counters: tuple[Counter, ...] = ()
    name_en: str = ""
    address: str = ""
    hotline: str = ""
    public_url: str = ""

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def service(self, code: str) -> Service | None:
        return next((s for s in self.services if s.code == code), None)

    @property
    def return_service(self) -> Service | None:
        """The result-return procedure, if the office has one (at most one)."""
        return next((s for s in self.services if s.kind == "return"), None)

    def counter(self, number: int) -> Counter | None:
        return next((c for c in self.counters if c.number == number), None)
