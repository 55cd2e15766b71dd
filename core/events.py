"""The one registry of event types. Everything else reads it; no other list of event names.

Two kinds of entries share it:
- logged events (`stored=True`): a row of the append-only `events` table, the source of
  every statistic; their payload type is the row's `data` column;
- messages (`stored=False`): what the bus hands to screens, the printer and voice after a
  commit; their payload type is the message itself.

For each: who may see it (`PUBLIC` lobby screens, `STAFF` consoles, `INTERNAL` nobody
outside this process), whether it is an alert for supervisors, and whether it leaves the
office for the province hub. The module constants are the names (`ISSUED == "issued"`),
so code compares and passes plain strings but never spells one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .shapes import Call, Counter, PublicSnapshot, Shape, Ticket

PUBLIC, STAFF, INTERNAL = "public", "staff", "internal"


class UnknownEvent(ValueError):
    """An event name the registry does not know, or a payload its type does not fit."""


@dataclass(frozen=True, slots=True)
class EventType:
    name: str
    payload: type
    audience: str
    stored: bool
    alert: bool = False
    hub: bool = False
    help: str = ""


REGISTRY: dict[str, EventType] = {}


def _register(name: str, payload: type, audience: str, stored: bool, **flags: Any) -> str:
    assert name not in REGISTRY, name
    REGISTRY[name] = EventType(name, payload, audience, stored, **flags)
    return name


def get(name: str) -> EventType:
    """The registered type of `name`; UnknownEvent otherwise."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise UnknownEvent(f"unknown event type {name!r}") from None


def names(**where: Any) -> tuple[str, ...]:
    """Names of the types whose attributes equal `where` (e.g. alert=True), in order."""
    return tuple(
        t.name for t in REGISTRY.values() if all(getattr(t, k) == v for k, v in where.items())
    )


def check_data(name: str, data: dict) -> dict:
    """`data` checked against the payload type of logged event `name`; returns it."""
    etype = get(name)
    if not etype.stored:
        raise UnknownEvent(f"{name!r} is a message, not a logged event")
    try:
        etype.payload(**data)
    except TypeError as e:
        raise UnknownEvent(f"{name}: payload does not fit {etype.payload.__name__}: {e}") from None
    return data


# -- payloads of logged events (the `data` column) ---------------------------------------


@dataclass(frozen=True)
class NoData:
    """The row itself says it all (ticket, counter, clerk, time)."""


@dataclass(frozen=True)
class Issued:
    priority: bool = False
    kiosk: str | None = None
    estimated_wait_s: int | None = None
    ahead: int | None = None


@dataclass(frozen=True)
class Moved:
    previous: str | None = None  # the status it left
    to: str | None = None  # transfers: the procedure it joined


@dataclass(frozen=True)
class Rated:
    rating: int = 0


@dataclass(frozen=True)
class Printed:
    reprint: bool = False
    ms: int | None = None


@dataclass(frozen=True)
class PrintFailed:
    reason: str = ""
    message: str = ""
    reprint: bool = False
    number: str | None = None
    printer: str | None = None


@dataclass(frozen=True)
class VoiceGap:
    missing: list[str] = dataclasses.field(default_factory=list)
    reason: str = ""
    engines: list[str] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class DisplayLost:
    name: str = ""
    address: str = ""
    last_seen: str | None = None


@dataclass(frozen=True)
class Overridden:
    action: str = ""
    signed_in: int | None = None  # the counter the supervisor was signed in at, if any


@dataclass(frozen=True)
class ClockStepped:
    step_s: float = 0.0  # signed: + the clock was behind and jumped forward
    old_wall: str | None = None  # what the wall clock would have said without the step
    new_wall: str | None = None


@dataclass(frozen=True)
class VoiceRecording:
    """A segment of the office's recorded voice: which one, and what was recorded."""

    key: str = ""
    lang: str = ""
    text: str = ""
    duration_ms: int | None = None
    peak_db: float | None = None


@dataclass(frozen=True)
class ConfigSaved:
    version: int = 0
    reason: str = ""


@dataclass(frozen=True)
class DossierReceived:
    code: str = ""
    service: str = ""
    due: str = ""


@dataclass(frozen=True)
class DossierCorrected:
    code: str = ""
    field: str = ""  # code, due or service
    old: Any = None
    new: Any = None


class DossierStatus:
    """A dossier's new status; `from` (the status it left) is a keyword, so no dataclass."""

    KEYS = frozenset({"code", "status", "from", "due", "source", "ready_at"})

    def __init__(self, **data: Any):
        stray = set(data) - self.KEYS
        if stray:
            raise TypeError(f"unexpected keys {sorted(stray)}")


@dataclass(frozen=True)
class ContactAccess:
    """A phone number was read or deleted: which dossier's and why, never the number."""

    code: str = ""
    purpose: str | None = None  # read: staff, sms, ...; deleted: schedule


@dataclass(frozen=True)
class SmsFailed:
    """An SMS to a citizen given up after its tries (sms/); never the phone number."""

    id: int = 0  # the sms_outbox row a supervisor may retry
    code: str = ""
    purpose: str = ""
    tries: int = 0
    error: str = ""


# -- payloads of messages ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketIssued(Shape):
    seq: int
    ticket: Ticket
    waiting: dict[str, int]


@dataclass(frozen=True, slots=True)
class TicketCalled(Shape):
    seq: int
    call: Call
    recall: bool
    counters: list[Counter]
    waiting: dict[str, int]


@dataclass(frozen=True, slots=True)
class QueueChanged(Shape):
    seq: int
    counters: list[Counter]
    waiting: dict[str, int]


@dataclass(frozen=True, slots=True)
class TicketRated(Shape):
    ticket: Ticket


@dataclass(frozen=True, slots=True)
class Logged(Shape):
    """The message of a logged event that staff see as it happens (alerts, print outcomes)."""

    ticket_id: str | None
    at: str
    data: dict

    def to_json(self) -> dict:
        return {"ticket_id": self.ticket_id, "at": self.at, **self.data}

    def __getitem__(self, key: str) -> Any:
        return self.to_json()[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.to_json().get(key, default)


@dataclass(frozen=True, slots=True)
class ConfigChanged(Shape):
    """A new configuration version is in force: screens re-read what they show."""

    version: int


# Ticket transitions, in the order a ticket lives them.
ISSUED = _register("issued", Issued, INTERNAL, True, hub=True)
CALLED = _register("called", NoData, INTERNAL, True, hub=True)
RECALLED = _register("recalled", NoData, INTERNAL, True, hub=True)
STARTED = _register("started", NoData, INTERNAL, True, hub=True)
TRANSFERRED = _register("transferred", Moved, INTERNAL, True, hub=True)
FINISHED = _register("finished", NoData, INTERNAL, True, hub=True)
NO_SHOW = _register("no_show", NoData, INTERNAL, True, hub=True)
CANCELLED = _register("cancelled", NoData, INTERNAL, True, hub=True)
EXPIRED = _register("expired", Moved, INTERNAL, True, hub=True)
RATED = _register("rated", Rated, INTERNAL, True, hub=True)
COUNTER_PAUSED = _register("counter_paused", NoData, INTERNAL, True, hub=True)
COUNTER_RESUMED = _register("counter_resumed", NoData, INTERNAL, True, hub=True)
# Devices: logged and relayed to staff as they happen.
PRINTED = _register("printed", Printed, STAFF, True, hub=True)
PRINT_FAILED = _register("print_failed", PrintFailed, STAFF, True, alert=True, hub=True)
REPRINT_REQUESTED = _register("reprint_requested", NoData, STAFF, True, hub=True)
VOICE_GAP = _register("voice_gap", VoiceGap, STAFF, True, alert=True, hub=True)
DISPLAY_LOST = _register("display_lost", DisplayLost, STAFF, True, alert=True, hub=True)
# A supervisor acting on a counter they are not signed in at (least privilege, logged).
COUNTER_OVERRIDDEN = _register("counter_overridden", Overridden, STAFF, True, hub=True)
# The wall clock jumped (NTP after a stale boot): shown to staff, changes no ticket.
CLOCK_STEPPED = _register("clock_stepped", ClockStepped, STAFF, True, alert=True, hub=True)
# Dossiers (core/dossiers.py); no phone number in any of them.
DOSSIER_RECEIVED = _register("dossier_received", DossierReceived, STAFF, True, hub=True)
DOSSIER_CORRECTED = _register("dossier_corrected", DossierCorrected, STAFF, True, hub=True)
DOSSIER_STATUS = _register("dossier_status", DossierStatus, STAFF, True, hub=True)
ADVICE_ONLY = _register("advice_only", NoData, STAFF, True, hub=True)
CONTACT_READ = _register("contact_read", ContactAccess, INTERNAL, True, hub=True)
CONTACT_DELETED = _register("contact_deleted", ContactAccess, INTERNAL, True, hub=True)
# Messages after a commit.
TICKET_ISSUED = _register("ticket_issued", TicketIssued, PUBLIC, False)
TICKET_CALLED = _register("ticket_called", TicketCalled, PUBLIC, False)
QUEUE_CHANGED = _register("queue_changed", QueueChanged, PUBLIC, False)
TICKET_RATED = _register("ticket_rated", TicketRated, STAFF, False)
# Socket replies (not on the bus): the whole state for one screen; devices for supervisors.
SNAPSHOT = _register("snapshot", PublicSnapshot, PUBLIC, False)
PRESENCE = _register("presence", dict, STAFF, False)
# The office's recorded voice (admin): uploaded (pending), saved (played from now), deleted;
# audited like every stored event, at the hub too (no personal data, the admin's name).
VOICE_UPLOADED = _register("voice_uploaded", VoiceRecording, STAFF, True, hub=True)
VOICE_SAVED = _register("voice_saved", VoiceRecording, STAFF, True, hub=True)
VOICE_DELETED = _register("voice_deleted", VoiceRecording, STAFF, True, hub=True)
# The office's configuration: each version logged (who: `clerk`), then every screen told.
CONFIG_SAVED = _register("config_saved", ConfigSaved, STAFF, True, hub=True)
CONFIG_CHANGED = _register("config_changed", ConfigChanged, PUBLIC, False)
# Messages to citizens (sms/): a message given up (its payload holds no phone number).
SMS_FAILED = _register("sms_failed", SmsFailed, STAFF, True, alert=True, hub=True)

# A ticket's last word: after one of these it no longer waits or is held by a counter.
OUTCOMES = (FINISHED, NO_SHOW, CANCELLED, EXPIRED)
# Events that put a ticket in a line.
QUEUED = (ISSUED, TRANSFERRED)
# The event logged for each action of the state table (core/states.py).
OF_ACTION = {
    "call": CALLED, "recall": RECALLED, "start": STARTED, "finish": FINISHED,
    "no_show": NO_SHOW, "transfer": TRANSFERRED, "cancel": CANCELLED, "expire": EXPIRED,
}  # fmt: skip


def to_json(name: str, payload: Any, audience: str) -> dict:
    """A message's JSON as `audience` may see it: public readers get the public shapes."""
    etype = get(name)
    if audience == PUBLIC and etype.audience != PUBLIC:
        raise UnknownEvent(f"{name!r} is not for the public lobby")
    if audience != PUBLIC or not isinstance(payload, Shape):
        return payload.to_json() if isinstance(payload, Shape) else payload
    out = {}
    for key, value in payload.to_fields():
        if isinstance(value, list):
            value = [v.public().to_json() if hasattr(v, "public") else v for v in value]
        elif hasattr(value, "public"):
            value = value.public().to_json()
        elif isinstance(value, Shape):
            value = value.to_json()
        out[key] = value
    return out


# Administration (the /admin pages): who changed which user or device, audited; the admin's
# name is the row's clerk. They go to the hub like every logged event (an audit trail).
@dataclass(frozen=True)
class UserChanged:
    name: str = ""
    change: str = ""  # added, role, active, counters, password
    role: str | None = None
    active: bool | None = None
    counters: list[int] | None = None


@dataclass(frozen=True)
class DeviceChanged:
    name: str = ""
    kind: str | None = None
    counter: int | None = None


@dataclass(frozen=True)
class AdminAction:
    action: str = ""  # printer_test, voice_warm, voice_say
    ok: bool = True
    detail: str = ""


USER_CHANGED = _register("user_changed", UserChanged, STAFF, True, hub=True)
DEVICE_ENROLLED = _register("device_enrolled", DeviceChanged, STAFF, True, hub=True)
DEVICE_REVOKED = _register("device_revoked", DeviceChanged, STAFF, True, hub=True)
ADMIN_ACTION = _register("admin_action", AdminAction, STAFF, True, hub=True)
