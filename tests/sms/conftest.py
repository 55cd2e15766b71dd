"""SMS fixtures: an app with a chosen gateway, dossiers with a consented phone, the line."""

from __future__ import annotations

import time

import pytest

from core.events import Logged
from server.app import create_app
from sms.gateways import RecordingGateway
from sms.worker import DOSSIER_STATUS
from tests.helpers import site_config

PHONE = "+84901234567"

# The dossier room's tables as its contract names them (migration m007_dossiers, branch
# `dossier`): made here only where that migration has not run.
DOSSIER_TABLES = """
CREATE TABLE IF NOT EXISTS dossiers (
    code TEXT PRIMARY KEY, status TEXT NOT NULL DEFAULT 'received', due TEXT,
    return_ticket_id TEXT
);
CREATE TABLE IF NOT EXISTS dossier_contacts (
    code TEXT PRIMARY KEY, phone TEXT, consent_at REAL, notify_near INTEGER NOT NULL DEFAULT 0,
    delete_after REAL
);
"""


def make_app(tmp_path, gateway=None, clock=None, **sms):
    """An app on its own data dir whose [sms] section is `sms` (retries fast by default)."""
    config = site_config(sms={"retry_s": 0.05, **sms})
    app = create_app(
        {"DATA_DIR": tmp_path / "data", "CONFIG": config, "CLOCK": clock or time.time,
         "TESTING": True, "SMS_GATEWAY": gateway}
    )  # fmt: skip
    ext = app.extensions["onestop"]
    with ext.store.lock:
        ext.store.conn.executescript(DOSSIER_TABLES)
    return app


def close(app) -> None:
    ext = app.extensions["onestop"]
    ext.devices.sms.stop()
    ext.queue.drain()
    ext.store.close()


@pytest.fixture
def gateway():
    return RecordingGateway()


@pytest.fixture
def app(tmp_path, gateway):
    app = make_app(tmp_path, gateway)
    yield app
    close(app)


@pytest.fixture
def ext(app):
    return app.extensions["onestop"]


@pytest.fixture
def worker(ext):
    return ext.devices.sms


def add_dossier(ext, code: str, phone: str | None = PHONE, consent=True, near=False, ticket=None):
    """A dossier and (with a phone) its contact, as the dossier room records them."""
    with ext.store.write() as conn:
        conn.execute(
            "INSERT INTO dossiers (code, status, due, return_ticket_id) VALUES (?, ?, ?, ?)",
            (code, "in_progress", "2026-12-05", ticket),
        )
        if phone is not None:
            conn.execute(
                "INSERT INTO dossier_contacts (code, phone, consent_at, notify_near)"
                " VALUES (?, ?, ?, ?)",
                (code, phone, time.time() if consent else None, int(near)),
            )


def ready(ext, code: str) -> None:
    """What the dossier room publishes after committing a status change to ready."""
    data = {"code": code, "status": "ready", "from": "in_progress", "due": "2026-12-05",
            "source": "console"}  # fmt: skip
    ext.devices.sms.on_event(DOSSIER_STATUS, Logged(None, "2026-12-01T09:00:00+07:00", data))


def rows(ext) -> list[dict]:
    conn = ext.store.reader()
    return [dict(r) for r in conn.execute("SELECT * FROM sms_outbox ORDER BY id")]
