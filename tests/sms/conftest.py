"""SMS fixtures: an app with a chosen gateway, dossiers with a consented phone, the line."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from server.app import create_app
from sms.gateways import RecordingGateway
from tests.helpers import site_config

PHONE = "0901234567"  # as the dossier room keeps it (normal_phone)


def make_app(tmp_path, recorder=None, clock=None, **sms):
    """An app on its own data dir whose [sms] section is `sms` (retries fast by default);
    `recorder` (a RecordingGateway) replaces the configured gateway."""
    # Real time (retries wait for it), at any hour of the day the test runs.
    config = site_config(sms={"retry_s": 0.05, **sms}, office={"enforce_hours": False})
    app = create_app(
        {"DATA_DIR": tmp_path / "data", "CONFIG": config, "CLOCK": clock or time.time,
         "TESTING": True, "SMS_GATEWAY": recorder}
    )  # fmt: skip
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


def add_dossier(ext, code: str, phone: str | None = PHONE, consent=True, near=False):
    """A dossier recorded at counter 1 on a fresh ticket, with a phone if given."""
    ext.queue.issue("hotich")
    ext.queue.next(1)
    due = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    ext.dossiers.record(1, code, due, phone=phone, consent=consent, notify_near=near)
    ext.queue.finish(1)


def ready(ext, code: str) -> None:
    """Staff mark the dossier's result ready (the dossier room publishes dossier_status)."""
    ext.dossiers.set_status(code, "ready")


def rows(ext) -> list[dict]:
    conn = ext.store.reader()
    return [dict(r) for r in conn.execute("SELECT * FROM sms_outbox ORDER BY id")]


def wait_for(predicate, timeout: float = 10.0) -> bool:
    """Poll `predicate` until it holds (the worker delivers on its own thread)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
