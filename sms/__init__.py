"""Messages to citizens who consented: an outbox, a worker and its gateways (docs/sms.md)."""

from __future__ import annotations

from .outbox import purge

__all__ = ["init_app", "purge"]


def init_app(app, ext, gateway=None):
    """Start the SMS worker for `[sms]` (or the given gateway), its health probe and routes."""
    from server.i18n import t

    from . import gateways, views
    from .worker import SmsWorker

    cfg = ext.settings["sms"]
    # Citizens' phones get Vietnamese, from the one catalogue.
    templates = {"ready": t("sms.ready", "vi"), "near": t("sms.near", "vi")}
    worker = SmsWorker(
        ext.queue, gateway or gateways.make(cfg), cfg, templates, ext.settings["office"]["name"]
    ).start()
    ext.devices.sms = worker
    ext.health["sms"] = worker.health
    app.register_blueprint(views.bp)
    return worker
