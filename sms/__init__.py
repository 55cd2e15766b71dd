"""Messages to citizens who consented: an outbox, a worker and its gateways (docs/sms.md)."""

from __future__ import annotations

import os
import sys

from .outbox import purge

__all__ = ["init_app", "purge"]


def serving() -> bool:
    """False in a `flask` command other than `run` (nightly jobs, `onestop …`): only the
    server delivers, so no message leaves twice; any process may queue (rows are shared)."""
    return not os.environ.get("FLASK_RUN_FROM_CLI") or "run" in sys.argv[1:]


def init_app(app, ext, gateway=None):
    """Start the SMS worker for `[sms]` (or the given gateway), its health probe and routes."""
    from server.i18n import t

    from . import gateways, views
    from .worker import SmsWorker

    cfg = ext.settings["sms"]
    # Citizens' phones get Vietnamese, from the one catalogue.
    templates = {"ready": t("sms.ready", "vi"), "near": t("sms.near", "vi")}
    office = ext.settings["office"]["name"]
    keep = ext.settings["dossiers"]["max_phone_days"]
    # The purge of phone numbers (nightly, and at start-up) blanks the outbox's copies too,
    # in the same transaction and before the same WAL checkpoint.
    ext.dossiers.purge_hooks.append(lambda conn, now: purge(conn, now, keep))
    worker = SmsWorker(
        ext.queue, ext.dossiers, gateway or gateways.make(cfg), cfg, templates, office, keep
    ).start(deliver=serving())
    ext.devices.sms = worker
    ext.health["sms"] = worker.health
    app.register_blueprint(views.bp)
    return worker
