"""The typed shapes the queue hands out: Ticket, Counter, Call, Snapshot and their public twins.

Frozen dataclasses (standard library: nothing to install on a Pi, fast enough to build one
per row). Each shape has one serialisation, `to_json()`, and the OpenAPI components are
derived from the same fields (core/schema.py). What anyone in the hall may see is a type
of its own (`PublicTicket`, ...): it has no field for the ticket's secret id, its status
URL, its rating or the clerk's name, so nothing can leak by forgetting to redact.

Shapes also read like their JSON (`ticket["number"]`, `ticket.get("counter")`) so the
printer layout, Jinja templates and tests can treat a shape and its JSON alike.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from . import states

COUNTER_STATUSES = ("open", "paused", "closed")


SCALARS = (str, int, bool, float, type(None))


def _json(value: Any) -> Any:
    if type(value) in SCALARS:
        return value
    if isinstance(value, Shape):
        return value.to_json()
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


def _is_scalar(tp: Any) -> bool:
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return all(_is_scalar(a) for a in typing.get_args(tp))
    return tp in SCALARS


_PLANS: dict[type, tuple[tuple[str, bool], ...]] = {}


def _plan(cls: type) -> tuple[tuple[str, bool], ...]:
    """(field name, needs converting) per field, worked out once per shape: to_json runs
    for every ticket of every message, so it must not walk the fields each time."""
    plan = _PLANS.get(cls)
    if plan is None:
        hints = typing.get_type_hints(cls)
        plan = tuple((f.name, not _is_scalar(hints[f.name])) for f in dataclasses.fields(cls))
        _PLANS[cls] = plan
    return plan


class Shape:
    """Base of every shape: one JSON form, and read access by JSON key."""

    __slots__ = ()

    def to_json(self) -> dict:
        """The shape as JSON-ready data (nested shapes included), in field order."""
        return {
            name: _json(getattr(self, name)) if deep else getattr(self, name)
            for name, deep in _plan(type(self))
        }

    def to_fields(self) -> list[tuple[str, Any]]:
        """(name, value) of each field, unconverted."""
        return [(name, getattr(self, name)) for name, _ in _plan(type(self))]

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def __contains__(self, key: str) -> bool:
        return hasattr(self, key)


def _status(help_: str = "") -> Any:
    return field(metadata={"enum": states.STATES, "help": help_})


@dataclass(frozen=True, slots=True)
class PublicTicket(Shape):
    """A ticket as the lobby, the public snapshot and the /display socket show it."""

    number: str
    service: str
    status: str = _status()
    priority: bool = False
    issued_at: str | None = field(default=None, metadata={"format": "date-time"})
    called_at: str | None = field(default=None, metadata={"format": "date-time"})
    started_at: str | None = field(default=None, metadata={"format": "date-time"})
    finished_at: str | None = field(default=None, metadata={"format": "date-time"})
    counter: int | None = None
    position: int | None = None
    estimated_wait_s: int | None = None
    day: str = field(default="", metadata={"format": "date"})


@dataclass(frozen=True, slots=True)
class Ticket(Shape):
    """A ticket as its holder, the kiosk and staff see it (the API's Ticket)."""

    id: str
    number: str
    service: str
    status: str = _status()
    priority: bool = False
    issued_at: str | None = field(default=None, metadata={"format": "date-time"})
    called_at: str | None = field(default=None, metadata={"format": "date-time"})
    started_at: str | None = field(default=None, metadata={"format": "date-time"})
    finished_at: str | None = field(default=None, metadata={"format": "date-time"})
    counter: int | None = None
    position: int | None = None
    estimated_wait_s: int | None = None
    estimated_wait_at_issue_s: int | None = None
    rating: int | None = None
    kiosk: str | None = None
    day: str = field(default="", metadata={"format": "date"})
    url: str = ""

    def public(self) -> PublicTicket:
        return PublicTicket(
            self.number, self.service, self.status, self.priority, self.issued_at,
            self.called_at, self.started_at, self.finished_at, self.counter, self.position,
            self.estimated_wait_s, self.day,
        )  # fmt: skip

    def with_url(self, url: str) -> Ticket:
        return dataclasses.replace(self, url=url)


@dataclass(frozen=True, slots=True)
class PublicCounter(Shape):
    """A counter as the lobby sees it: no clerk's name."""

    number: int
    name: str
    services: list[str]
    status: str = field(default="open", metadata={"enum": COUNTER_STATUSES})
    ticket: PublicTicket | None = None


@dataclass(frozen=True, slots=True)
class Counter(Shape):
    """A counter as staff see it: who works there and the ticket it holds."""

    number: int
    name: str
    services: list[str]
    status: str = field(default="open", metadata={"enum": COUNTER_STATUSES})
    clerk: str | None = None
    ticket: Ticket | None = None

    def public(self) -> PublicCounter:
        ticket = self.ticket.public() if self.ticket else None
        return PublicCounter(self.number, self.name, self.services, self.status, ticket)


@dataclass(frozen=True, slots=True)
class PublicCall(Shape):
    """A call as the lobby shows and says it."""

    ticket: PublicTicket
    counter: int
    at: str = field(metadata={"format": "date-time"})
    text: str = ""
    audio: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Call(Shape):
    """A ticket called to a counter. The queue leaves `text` and `audio` empty: the voice
    package plans them after the commit (see server/screens.py)."""

    ticket: Ticket
    counter: int
    at: str = field(metadata={"format": "date-time"})
    text: str = ""
    audio: list[str] = field(default_factory=list)

    def public(self) -> PublicCall:
        return PublicCall(self.ticket.public(), self.counter, self.at, self.text, self.audio)

    def said(self, text: str, audio: list[str]) -> Call:
        """The same call with what is said and the audio that says it."""
        return dataclasses.replace(self, text=text, audio=list(audio))


@dataclass(frozen=True, slots=True)
class PublicSnapshot(Shape):
    """What a lobby screen needs to draw itself from nothing."""

    seq: int
    counters: list[PublicCounter]
    waiting: dict[str, int]
    recent: list[PublicCall]
    now: str = field(default="", metadata={"format": "date-time"})


@dataclass(frozen=True, slots=True)
class Snapshot(Shape):
    """The whole live state with the `seq` it corresponds to; `recent` newest first.
    `now` is the server's time, so a screen can judge how old a call is without
    trusting its own clock."""

    seq: int
    counters: list[Counter]
    waiting: dict[str, int]
    recent: list[Call]
    now: str = field(default="", metadata={"format": "date-time"})

    def public(self) -> PublicSnapshot:
        return PublicSnapshot(
            self.seq,
            [c.public() for c in self.counters],
            self.waiting,
            [c.public() for c in self.recent],
            self.now,
        )

    def said(self, plan) -> Snapshot:
        """The snapshot with each recent call's sentence and audio from `plan(call)`."""
        return dataclasses.replace(self, recent=[plan(c) for c in self.recent])


DOSSIER_STATUSES = (
    "received", "in_progress", "ready", "returned", "more_needed", "rejected", "withdrawn",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Dossier(Shape):
    """A dossier as staff see it: whether a phone number is kept, never the number."""

    code: str
    service: str
    status: str = field(default="received", metadata={"enum": DOSSIER_STATUSES})
    due: str = field(default="", metadata={"format": "date"})
    day: str = field(default="", metadata={"format": "date"})
    ticket_number: str | None = None  # the ticket it was filed on
    counter: int | None = None
    clerk: str | None = None
    received_at: str | None = field(default=None, metadata={"format": "date-time"})
    ready_at: str | None = field(default=None, metadata={"format": "date-time"})
    returned_at: str | None = field(default=None, metadata={"format": "date-time"})
    return_number: str | None = None  # the return ticket taken at the kiosk, if any
    has_contact: bool = False


SHAPES = (
    Ticket, PublicTicket, Counter, PublicCounter, Call, PublicCall, Snapshot, PublicSnapshot,
    Dossier,
)  # fmt: skip
