"""create_app(): the composition root. It only wires: settings, store, queue, devices, views.

Features (kiosk, counter, display, voice, reports, printer) import only server/kernel.py;
this module imports them, never the other way round (tests/test_imports.py checks it).
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from flask import Flask

import admin
import kiosk
import printer
import reports
import sms
from core.config_store import ConfigStore
from core.devices import Devices, SignIns
from core.dossiers import Dossiers
from core.service import QueueService
from core.store import Store
from core.users import Users
from counter import bp as counter_bp
from display import bp as display_bp
from voice import views as voice_views

from . import (
    admin_api,
    api,
    auth,
    backup,
    cli,
    dossiers_api,
    dossiers_import_api,
    enrol,
    errors,
    hubsync,
    i18n,
    limits,
    liveconfig,
    openapi,
    security,
    sockets,
    views,
)
from . import settings as settings_mod
from .kernel import Onestop

ROOT = Path(__file__).resolve().parent.parent


def _secret_key(data_dir: Path) -> str:
    if os.environ.get("ONESTOP_SECRET_KEY"):
        return os.environ["ONESTOP_SECRET_KEY"]
    path = data_dir / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def _site(config) -> settings_mod.Settings:
    if isinstance(config, dict):
        return settings_mod.Settings(config, "<test config>")
    if isinstance(config, settings_mod.Settings):
        return config
    return settings_mod.load(config)


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. test_config may set DATA_DIR, CONFIG (path or dict), CLOCK, SMS_GATEWAY,
    and Flask keys."""
    test_config = dict(test_config or {})
    app = Flask(__name__, static_folder="static", template_folder="templates")
    data_dir = Path(
        test_config.pop("DATA_DIR", None) or os.environ.get("ONESTOP_DATA") or ROOT / "var"
    ).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    site = _site(test_config.pop("CONFIG", None))
    clock = test_config.pop("CLOCK", None) or time.time
    sms_gateway = test_config.pop("SMS_GATEWAY", None)  # tests: a RecordingGateway

    app.config.update(
        SECRET_KEY=_secret_key(data_dir),
        MAX_CONTENT_LENGTH=256 * 1024,
        JSON_AS_ASCII=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
    )
    app.config.update(test_config)
    app.json.ensure_ascii = False

    store = Store(data_dir / "onestop.db")
    versions = ConfigStore(store, clock, liveconfig.day_of_site(site))
    site = liveconfig.boot(site, versions)  # the database's version, or the file's if it changed
    # Read at each use: a configuration change may move the public URL or the time zone.
    base = lambda: liveconfig.current(app, site)["office"]["public_url"].rstrip("/")  # noqa: E731
    queue = QueueService(store, site.office, clock=clock, status_url=lambda i: f"{base()}/t/{i}",
                         recent_calls=site["display"]["recent_calls"])  # fmt: skip
    ext = Onestop(
        settings=site, store=store, queue=queue, users=Users(store), data_dir=data_dir, clock=clock,
        enrolled=Devices(store, clock), sign_ins=SignIns(store, clock),
    )  # fmt: skip
    app.extensions["onestop"] = ext
    ext.config = liveconfig.LiveConfig(ext, versions)  # changes applied live (config_changed)
    ext.health["clock"] = lambda: queue.clock_.health(ext.settings.office.tz)  # steps, stale boot
    d = site["dossiers"]
    ext.dossiers = Dossiers(queue, d["code_pattern"], d["keep_phone_days"], d["max_phone_days"])
    ext.config.on_change(lambda new: ext.dossiers.configure(*(new["dossiers"][k] for k in (
        "code_pattern", "keep_phone_days", "max_phone_days"))))  # fmt: skip
    # Messages to citizens, after the commit; before the purge, which takes their numbers too.
    sms.init_app(app, ext, gateway=sms_gateway)
    # A night the timer missed (power cut): no number outlives its day.
    app.config["DOSSIERS_PURGED_AT_START"] = ext.dossiers.purge()

    i18n.init_app(app)  # one string catalogue
    errors.init_app(app)
    auth.init_app(app)
    sockets.init_app(app, ext)
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(enrol.bp)
    app.register_blueprint(counter_bp)
    app.register_blueprint(display_bp)
    cli.init_app(app)
    backup.init_app(app)
    links = kiosk.init_app(app, ext)
    printer.init_app(app, ext, url_for=links.ticket_url)
    voice = voice_views.init_app(app, ext)
    ext.plan = voice.plan  # what the screens say: planned after the commit, never inside it
    reports.init_app(app)
    security.init_app(app, site)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(admin_api.bp)
    dossiers_api.init_app(app)  # dossiers at the counter, status, returns at the kiosk
    dossiers_import_api.init_app(app)  # status files from the province's system
    ext.health["hub"] = hubsync.init_app(app, ext)  # sync lag in /api/health
    admin.init_app(app)  # /admin pages and /api/admin's users, devices, printer, voice
    limits.init_app(app, ext)  # outermost: sheds a flood before Flask or Socket.IO sees it
    return app
