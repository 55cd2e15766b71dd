"""The office's configuration as the database holds it, applied live (`ext.config`).

At start-up the config file seeds version 1, and a file that changed since it last seeded
(an SSH edit, a test's new CONFIG) becomes a new version; otherwise the database's current
version is the office. A change is checked by the one model (server/settings) and by the
live rules below, written in one transaction with its version, swapped into the running
queue, then announced on the bus (`config_changed`) so every screen re-reads it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from core import events
from core.config_store import ConfigStore, StaleVersion
from core.store import write_office
from core.timeutil import office_day

from .settings import ConfigError, Settings, live

log = logging.getLogger("onestop")

SEED_AUTHOR = "site.toml"
SEED_META = "config_file_sha256"
# Sections read once at start-up: a change to them waits for the next restart.
AT_START = ("printer", "security", "limits", "hub")

__all__ = ["AT_START", "ConfigError", "LiveConfig", "StaleVersion", "boot", "fingerprint"]


def fingerprint(data: dict) -> str:
    """The sha256 of a config's content (key order and TOML comments do not count)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def boot(site: Settings, versions: ConfigStore) -> Settings:
    """The office to start with: seed or update from the file, else the database's version."""
    sha = fingerprint(site.data)
    with versions.store.write() as conn:
        current = versions.current(conn)
        if current is None or versions.meta(SEED_META, conn) != sha:
            if current is None or fingerprint(current["config"]) != sha:  # not just exported
                reason = "seeded from the config file" if current is None else "config file changed"
                versions.save(site.data, SEED_AUTHOR, reason, conn=conn)
            versions.set_meta(conn, SEED_META, sha)
            return site
    try:
        return Settings(current["config"], f"<config version {current['n']}>")
    except ConfigError as e:  # an upgrade made an old version invalid: the file still works
        log.error("config version %s no longer loads (%s); using %s", current["n"], e, site.path)
        return site


def restart_needed(old: Settings, new: Settings) -> list[str]:
    """The start-up-only sections this change touches (applied at the next restart)."""
    out = [name for name in AT_START if old[name] != new[name]]
    if old["kiosk"]["gpio"] != new["kiosk"]["gpio"] or old.buttons != new.buttons:
        out.append("kiosk.buttons")
    return out


class LiveConfig:
    """`ext.config`: the current version, its data, and the one way to change it."""

    def __init__(self, ext, versions: ConfigStore):
        self.ext = ext
        self.versions = versions
        # The office day by whatever office is current (a change may move the time zone).
        versions.day_of = lambda ts: day_of_site(ext.settings)(ts)
        self._callbacks: list[Callable[[Settings], Any]] = []
        self.started = ext.settings  # what the start-up-only sections were read from
        self.applied = self.version  # the version this process runs
        self._offices: dict = {}  # version -> its Office, for past days' reports

    @property
    def version(self) -> int:
        current = self.versions.current()
        return current["n"] if current else 0

    def data(self) -> dict:
        """A deep copy of the current version's config (site.toml shape)."""
        current = self.versions.current()
        return (
            copy.deepcopy(current["config"]) if current else copy.deepcopy(self.ext.settings.data)
        )

    def office_for(self, day: str):
        """The Office in force at the end of office `day` (today and later: the current one)."""
        e = self.ext
        today = self.versions.day_of(e.clock())
        version = None if day >= today else self.versions.for_day(day)
        if version is None or version["n"] == self.applied:
            return e.settings.office
        if version["n"] not in self._offices:
            try:
                office = Settings(version["config"], f"<config version {version['n']}>").office
            except ConfigError:  # an old version this model no longer reads: today's names
                office = e.settings.office
            self._offices[version["n"]] = office
        return self._offices[version["n"]]

    def restart_needed(self) -> list[str]:
        """Sections changed since start-up that only a restart applies."""
        return restart_needed(self.started, self.ext.settings)

    def on_change(self, callback: Callable[[Settings], Any]) -> None:
        """Call callback(settings) after each applied change (outside the write lock)."""
        self._callbacks.append(callback)

    def patch(self, fn: Callable[[dict], Any], author: str, reason: str = "") -> int:
        """Apply fn's edit of a copy of the current config; retried once if raced."""
        for attempt in range(2):
            n = self.version
            data = self.data()
            fn(data)
            try:
                return self.apply(data, author, reason, expected=n)
            except StaleVersion:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def apply(self, data: Any, author: str, reason: str = "", expected: int | None = None) -> int:
        """Check, store and swap in `data`; the new version. ConfigError, StaleVersion."""
        new = Settings(data, "config")
        e, queue = self.ext, self.ext.queue
        with queue.bus.changing():
            now = queue.clock()
            with e.store.write() as conn:
                current = self.versions.current(conn)
                if expected is not None and expected != (current["n"] if current else None):
                    raise StaleVersion(current["n"] if current else None)
                if current is not None and current["config"] == new.data:
                    return current["n"]  # nothing changed: no version, no screen re-reads
                day = self.versions.day_of(now)
                check_numbers(conn, day, e.settings, new)
                write_office(conn, new.office)
                n = self.versions.save(new.data, author, reason, expected, conn)
                _log_saved(conn, now, day, queue, n, author, reason)
            self._swap(new, n)
        self._tell(new)
        return n

    def follow_outside(self) -> bool:
        """Take up a version another process saved (`flask config import`); True if any."""
        current = self.versions.current()
        if current is None or current["n"] == self.applied:
            return False
        try:
            new = Settings(current["config"], f"<config version {current['n']}>")
        except ConfigError as e:
            log.error("config version %s cannot be applied: %s", current["n"], e)
            self.applied = current["n"]
            return False
        with self.ext.queue.bus.changing():
            self._swap(new, current["n"])
        self._tell(new)
        return True

    def _tell(self, new: Settings) -> None:
        for callback in self._callbacks:
            try:
                callback(new)
            except Exception:  # a room that cannot follow must not undo the change
                log.exception("config change: %r failed", callback)

    def _swap(self, new: Settings, n: int) -> None:
        """Every holder of the office at once (under the write lock), then the screens told."""
        e = self.ext
        e.settings = new
        e.queue.office = new.office
        e.queue.line.office = new.office
        e.queue.line.recent_calls = new["display"]["recent_calls"]
        self.applied = n
        e.queue.bus.publish([(events.CONFIG_CHANGED, events.ConfigChanged(n))])


def check_numbers(conn: sqlite3.Connection, day: str, old: Settings, new: Settings) -> None:
    """The live rules (server/settings/live.py) on today's tickets and lines."""
    issued = {r[0] for r in conn.execute("SELECT number FROM tickets WHERE day = ?", (day,))}
    last = dict(conn.execute("SELECT service, last FROM sequences WHERE day = ?", (day,)))
    live.check_numbers(issued, last, old.office, new.office)
    waiting: dict[str, int] = {}
    for service, n in conn.execute("SELECT service, n FROM waiting_counts WHERE n > 0"):
        waiting[service] = waiting.get(service, 0) + n
    held = dict(conn.execute(
        "SELECT c.number, t.number FROM counters c JOIN tickets t ON t.id = c.ticket_id"
        " WHERE c.active = 1"))  # fmt: skip
    live.check_retired(waiting, held, new.office, new.counters)


def _log_saved(conn, now: float, day: str, queue, n: int, author: str, reason: str) -> None:
    """The `config_saved` row of the log, in the same transaction as the version."""
    data = events.check_data(events.CONFIG_SAVED, {"version": n, "reason": reason})
    conn.execute(
        "INSERT INTO events (at, t, day, type, clerk, data) VALUES (?,?,?,?,?,?)",
        (now, queue.clock_.read().t, day, events.CONFIG_SAVED, author,
         json.dumps(data, ensure_ascii=False)),
    )  # fmt: skip


def current(app, site: Settings) -> Settings:
    """The settings in force: the container's once built (they follow changes), else `site`."""
    e = app.extensions.get("onestop")
    return e.settings if e is not None else site


def day_of_site(site: Settings) -> Callable[[float], str]:
    """The office day of an instant, by `site`'s office."""
    return lambda ts: office_day(ts, site.office.tz, site.office.day_starts_at)
