"""The office's sync agent: pushes the hub-bound log, device health and config to the hub.

A daemon thread with its own read connection; it holds no lock while it sends, so the
hall never waits for the hub. The cursor (the last event id the hub acknowledged) lives in
the `meta` table, so a restart resumes where the hub left off and the hub's idempotency on
(office, event id) makes a resend harmless. Ticket ids leave only as a keyed hash.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import logging
import os
import random
import secrets
import sys
import threading
import time

import click
import requests
from flask import Flask
from flask.cli import AppGroup

from core import events as E
from reports.summary import targets

from . import hubcatalogue as catalogue
from .kernel import Onestop, ext

log = logging.getLogger("onestop.hubsync")
HUB_TYPES = E.names(hub=True, stored=True)
# What of an event's data may leave: no kiosk id, no free-text message, no display address;
# of a dossier's events its status, promised date and source, never its code or a number.
KEEP_DATA = frozenset({"priority", "estimated_wait_s", "ahead", "previous", "to", "rating",
                       "reprint", "ms", "reason", "printer", "missing", "engines", "name",
                       "status", "from", "due", "source", "ready_at", "field"})  # fmt: skip
CURSOR, SECRET = "hub_cursor", "hub_secret"


def _meta(conn, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _advance(store, cursor: int) -> None:
    """Move the cursor forward only: `flask hub sync` and the thread may both be sending."""
    with store.write() as conn:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
            "value = CAST(MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)",
            (CURSOR, str(cursor)),
        )


def _data(raw) -> str | None:
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except (TypeError, ValueError):
        return None
    kept = {k: v for k, v in value.items() if k in KEEP_DATA} if isinstance(value, dict) else {}
    return json.dumps(kept, ensure_ascii=False) if kept else None


class Agent:
    """One office's sync state: cursor, last success, back-off."""

    def __init__(self, ext: Onestop):
        self.ext = ext
        self.cfg = ext.settings["hub"]
        self.stop = threading.Event()
        self.last_ok: float | None = None
        self.last_error: str | None = None
        self.failures = 0
        self.catalogue_error: str | None = None
        # The server's own agent also takes up config versions another process saved
        # (`flask hub sync` applying the catalogue), even with no screen connected.
        self.in_server = False
        self._key: bytes | None = None
        self.thread: threading.Thread | None = None

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread (before the store closes under it)."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def key(self) -> bytes:
        """The office secret behind the ticket hashes: made once, kept in `meta`."""
        if self._key is None:
            value = _meta(self.ext.store.reader(), SECRET)
            if value is None:
                value = secrets.token_hex(32)
                with self.ext.store.write() as conn:
                    conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                                 (SECRET, value))  # fmt: skip
                value = _meta(self.ext.store.reader(), SECRET)
            self._key = bytes.fromhex(value)
        return self._key

    def cursor(self) -> int:
        return int(_meta(self.ext.store.reader(), CURSOR) or 0)

    def pending(self) -> int:
        conn = self.ext.store.reader()
        marks = ",".join("?" * len(HUB_TYPES))
        return conn.execute(f"SELECT COUNT(*) FROM events WHERE id > ? AND type IN ({marks})",
                            (self.cursor(), *HUB_TYPES)).fetchone()[0]  # fmt: skip

    def _ticket(self, tid: str | None) -> str | None:
        if not tid:
            return None
        return hmac.new(self.key(), tid.encode(), hashlib.sha256).hexdigest()[:32]

    def batch(self) -> list[list]:
        conn = self.ext.store.reader()
        marks = ",".join("?" * len(HUB_TYPES))
        rows = conn.execute(
            "SELECT id, at, day, type, ticket_id, service, counter, clerk, data FROM events "
            f"WHERE id > ? AND type IN ({marks}) ORDER BY id LIMIT ?",
            (self.cursor(), *HUB_TYPES, self.cfg["batch"]),
        ).fetchall()
        return [[r[0], r[1], r[2], r[3], self._ticket(r[4]), r[5], r[6], r[7], _data(r[8])]
                for r in rows]  # fmt: skip

    def state(self, sending: int = 0) -> dict:
        """The office's clock, targets, config version, devices and live figures."""
        e, conn = self.ext, self.ext.store.reader()
        office = e.settings.office
        health = {}
        for name, probe in list(e.health.items()):
            if name != "hub":
                try:
                    health[name] = probe()
                except Exception as exc:
                    health[name] = {"status": "error", "message": str(exc)}
        version = hashlib.sha256(json.dumps(e.settings.sections, sort_keys=True, default=str)
                                 .encode()).hexdigest()[:12]  # fmt: skip
        waiting = conn.execute("SELECT COUNT(*) FROM tickets WHERE status = 'waiting'").fetchone()
        opened = conn.execute(
            "SELECT COUNT(*) FROM counters WHERE active = 1 AND status = 'open'"
        ).fetchone()
        return {
            "office": {"timezone": str(office.tz), "day_starts_at": office.day_starts_at,
                       "targets": targets(conn, office), "config_version": version,
                       "catalogue_version": self.catalogue_version()},
            "health": health, "devices": self.devices(),
            "live": {"waiting": waiting[0], "open_counters": opened[0],
                     "lag_events": max(0, self.pending() - sending), "sent_at": time.time()},
        }  # fmt: skip

    def devices(self) -> list[dict]:
        """Kiosks, screens and tablets as presence saw them; their addresses stay at home."""
        presence = self.ext.devices.presence
        if presence is None:
            return []
        return [{k: d[k] for k in ("kind", "name", "connected", "last_seen", "fault")}
                for d in presence.snapshot()]  # fmt: skip

    def catalogue_version(self) -> int | None:
        value = _meta(self.ext.store.reader(), catalogue.CATALOGUE)
        return int(value) if value else None

    def send_once(self) -> int:
        """Send one batch; returns how many events the hub acknowledged (raises on failure)."""
        events = self.batch()
        body = gzip.compress(json.dumps({**self.state(len(events)), "events": events}).encode(), 5)
        r = requests.post(
            self.cfg["url"].rstrip("/") + "/api/sync", data=body, timeout=self.cfg["timeout_s"],
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip",
                     "Authorization": f"Bearer {self.cfg['token']}"},
        )  # fmt: skip
        if r.status_code != 200:
            raise RuntimeError(f"hub answered {r.status_code}")
        try:
            acked = r.json()["acked"]
        except (ValueError, KeyError, TypeError):
            raise RuntimeError("hub answered garbage") from None
        if events:
            if type(acked) is not int or acked < events[-1][0]:
                raise RuntimeError(f"hub acknowledged {acked!r}, not {events[-1][0]}")
            _advance(self.ext.store, events[-1][0])
        self.last_ok, self.last_error, self.failures = time.time(), None, 0
        return len(events)

    def sync(self) -> int:
        """Send until caught up (or a failure, which is raised); returns events sent."""
        total = 0
        while not self.stop.is_set():
            n = self.send_once()
            total += n
            if n < self.cfg["batch"]:
                break
        if not self.stop.is_set():
            self.pull_catalogue()
        return total

    def pull_catalogue(self) -> int | None:
        """Fetch the province's catalogue when it changed and apply it; the version applied."""
        # Recorded, never raised: the events went, and the hall keeps the names it has
        # until a catalogue that fits arrives.
        try:
            if self.in_server:
                self.ext.config.follow_outside()
            return catalogue.pull(self)
        except Exception as exc:
            self.catalogue_error = str(exc)[:200]
            log.info("hub catalogue not applied: %s", self.catalogue_error)
            return None

    def delay(self) -> float:
        """Exponential back-off with full jitter after failures; the interval otherwise."""
        if not self.failures:
            return self.cfg["interval_s"]
        cap = min(self.cfg["max_backoff_s"], self.cfg["interval_s"] * 2 ** min(self.failures, 20))
        return random.uniform(self.cfg["interval_s"], max(cap, self.cfg["interval_s"]))

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.sync()
            except Exception as exc:  # the hub down, slow or wrong: retry later, never raise
                self.failures += 1
                self.last_error = str(exc)[:200]
                log.info("hub sync failed (%s): %s", self.failures, self.last_error)
            self.stop.wait(self.delay())

    def health(self) -> dict:
        lag_s = None if self.last_ok is None else round(time.time() - self.last_ok, 1)
        status = "ok" if self.failures == 0 and self.last_ok is not None else "degraded"
        return {"status": status, "url": self.cfg["url"], "pending_events": self.pending(),
                "cursor": self.cursor(), "seconds_since_success": lag_s,
                "failures": self.failures, "last_error": self.last_error,
                "catalogue_version": self.catalogue_version(),
                "catalogue_error": self.catalogue_error}  # fmt: skip


hub = AppGroup("hub", help="Sync with the province hub.")


def _agent() -> Agent:
    e = ext()
    if not e.settings["hub"]["url"]:
        raise click.ClickException("no [hub] url configured")
    return Agent(e)


@hub.command("status")
def hub_status():
    """Cursor, events not yet acknowledged, last error."""
    for k, v in _agent().health().items():
        click.echo(f"{k}\t{v}")


@hub.command("sync")
def hub_sync():
    """Sync now, until caught up."""
    try:
        n = _agent().sync()
    except Exception as exc:
        raise click.ClickException(f"sync failed: {exc}") from None
    click.echo(f"sent {n} events")


def _serving() -> bool:
    """False in a `flask` command other than `run`: `flask hub sync` must be the only sender."""
    return not os.environ.get("FLASK_RUN_FROM_CLI") or "run" in sys.argv[1:]


def init_app(app: Flask, ext: Onestop):
    """Register `flask hub`; start the agent when [hub] url is set; returns the health probe."""
    app.cli.add_command(hub)
    if not ext.settings["hub"]["url"]:
        return lambda: {"status": "not_configured"}
    agent = app.extensions["hubsync"] = Agent(ext)
    if _serving():
        agent.in_server = True
        agent.thread = threading.Thread(target=agent.run, name="hubsync", daemon=True)
        agent.thread.start()
    return agent.health
