"""Which lobby displays and kiosks are connected, since when, and which vanished.

Only enrolled devices are listed (server/sockets.py knows them by the enrolment cookie or
token their socket connects with; a name a socket merely claims is ignored). One device
may hold several sockets (two tabs, a reconnect racing the old socket's close); it counts
as connected while any is open. A display gone for `grace_s` seconds while the office is
open is a fault; supervisors see it and it is written to the event log once.

The list is also kept in a small JSON file, so that after a server restart a display that
was there earlier the same office day and does not come back is still noticed.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.model import Office
from core.timeutil import is_open, iso, office_day

log = logging.getLogger("onestop")

KINDS = ("display", "kiosk")


@dataclass
class Device:
    kind: str
    name: str
    address: str
    since: float
    last_seen: float
    sids: set[str] = field(default_factory=set)
    reported: bool = False  # a fault already written to the log for this absence


def clean_name(value) -> str | None:
    """A device name as sent by a page: short NFC text, or None when unusable."""
    if not isinstance(value, str):
        return None
    value = unicodedata.normalize("NFC", value).strip()
    return value if 0 < len(value) <= 64 and value.isprintable() else None


class Presence:
    """Registry of connected devices, kept in memory by the one server process."""

    def __init__(
        self,
        office: Office,
        clock: Callable[[], float],
        grace_s: float = 30.0,
        path: Path | None = None,
    ):
        self.office = office
        self.clock = clock
        self.grace_s = grace_s
        self.path = path
        self._devices: dict[tuple[str, str], Device] = {}
        self._by_sid: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()
        self._load()

    def _day(self, ts: float) -> str:
        return office_day(ts, self.office.tz, self.office.day_starts_at)

    def _load(self) -> None:
        """Devices seen earlier today, before a restart: known, not connected."""
        if not self.path or not self.path.exists():
            return
        try:
            rows = json.loads(self.path.read_text(encoding="utf-8"))
            today = self._day(self.clock())
            for r in rows:
                if r["kind"] in KINDS and self._day(r["last_seen"]) == today:
                    self._devices[(r["kind"], r["name"])] = Device(
                        r["kind"], r["name"], r["address"], r["since"], r["last_seen"]
                    )
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("ignoring unreadable %s", self.path)

    def _save(self) -> None:
        """Write the device list (under the lock); a failure only costs the restart memory."""
        if not self.path:
            return
        rows = [
            {"kind": d.kind, "name": d.name, "address": d.address, "since": d.since,
             "last_seen": d.last_seen}
            for d in self._devices.values()
        ]  # fmt: skip
        tmp = self.path.with_suffix(".tmp")
        try:
            tmp.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            log.warning("cannot write %s", self.path, exc_info=True)

    def connect(self, sid: str, kind: str, name: str, address: str) -> Device:
        """Note a socket of device (kind, name); a device back after an absence starts anew."""
        now = self.clock()
        key = (kind, name)
        with self._lock:
            dev = self._devices.get(key)
            if dev is None or not dev.sids:
                dev = Device(kind, name, address, since=now, last_seen=now)
                self._devices[key] = dev
            dev.sids.add(sid)
            dev.address = address
            dev.last_seen = now
            self._by_sid[sid] = key
            self._save()
            return dev

    def seen(self, sid: str) -> None:
        """The device behind this socket showed it is alive."""
        with self._lock:
            key = self._by_sid.get(sid)
            if key:
                self._devices[key].last_seen = self.clock()

    def disconnect(self, sid: str) -> Device | None:
        with self._lock:
            key = self._by_sid.pop(sid, None)
            if key is None:
                return None
            dev = self._devices[key]
            dev.sids.discard(sid)
            dev.last_seen = self.clock()
            self._save()
            return dev

    def office_open(self, now: float) -> bool:
        """Whether any procedure has a session now (displays may be off outside hours)."""
        return any(is_open(s, now, self.office.tz) for s in self.office.services)

    def _fault(self, dev: Device, now: float, open_now: bool) -> bool:
        return (
            dev.kind == "display"
            and not dev.sids
            and open_now
            and now - dev.last_seen >= self.grace_s
        )

    def snapshot(self) -> list[dict]:
        """Every device seen since start: kind, name, address, since, last_seen, connected, fault."""
        now = self.clock()
        open_now = self.office_open(now)
        tz = self.office.tz
        with self._lock:
            devices = sorted(self._devices.values(), key=lambda d: (d.kind, d.name))
            return [
                {
                    "kind": d.kind,
                    "name": d.name,
                    "address": d.address,
                    "since": iso(d.since, tz),
                    "last_seen": iso(now if d.sids else d.last_seen, tz),
                    "connected": bool(d.sids),
                    "sockets": len(d.sids),
                    "fault": self._fault(d, now, open_now),
                }
                for d in devices
            ]

    def new_faults(self) -> list[dict]:
        """Displays that became faults since the last call (each absence reported once)."""
        now = self.clock()
        open_now = self.office_open(now)
        out = []
        with self._lock:
            for d in self._devices.values():
                if d.sids:
                    d.reported = False
                elif not d.reported and self._fault(d, now, open_now):
                    d.reported = True
                    out.append({"kind": d.kind, "name": d.name, "address": d.address,
                                "last_seen": iso(d.last_seen, self.office.tz)})  # fmt: skip
        return out

    def health(self) -> dict:
        """For /api/health: degraded while a display is missing in opening hours."""
        devices = self.snapshot()
        faults = [d["name"] for d in devices if d["fault"]]
        displays = sum(1 for d in devices if d["kind"] == "display" and d["connected"])
        kiosks = sum(1 for d in devices if d["kind"] == "kiosk" and d["connected"])
        status = "degraded" if faults else "ok"
        return {"status": status, "displays": displays, "kiosks": kiosks, "missing": faults}
