"""create_app(): the one place where settings, store, service, devices and views meet."""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

from core.service import QueueService
from core.store import Store
from core.users import Users

from . import settings as settings_mod

ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger("onestop")


@dataclass
class Onestop:
    """What the views and the CLI reach through `current_app.extensions["onestop"]`."""

    settings: settings_mod.Settings
    store: Store
    queue: QueueService
    users: Users
    data_dir: Path
    clock: Callable[[], float]
    # name -> callable returning {"status": "ok"|"degraded"|"error"|..., ...}; see /api/health
    health: dict[str, Callable[[], dict]] = field(default_factory=dict)
    devices: dict[str, Any] = field(default_factory=dict)


def _secret_key(data_dir: Path) -> str:
    if os.environ.get("ONESTOP_SECRET_KEY"):
        return os.environ["ONESTOP_SECRET_KEY"]
    path = data_dir / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. test_config may set DATA_DIR, CONFIG (path or dict), CLOCK, and Flask keys."""
    test_config = dict(test_config or {})
    app = Flask(__name__, static_folder="static", template_folder="templates")
    data_dir = Path(
        test_config.pop("DATA_DIR", None) or os.environ.get("ONESTOP_DATA") or ROOT / "var"
    ).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    config = test_config.pop("CONFIG", None)
    if isinstance(config, dict):
        site = settings_mod.Settings(config, "<test config>")
    elif isinstance(config, settings_mod.Settings):
        site = config
    else:
        site = settings_mod.load(config)
    clock = test_config.pop("CLOCK", None) or time.time

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
    base = site["office"]["public_url"].rstrip("/")
    queue = QueueService(store, site.office, clock=clock, status_url=lambda i: f"{base}/t/{i}")
    ext = Onestop(
        settings=site, store=store, queue=queue, users=Users(store), data_dir=data_dir, clock=clock
    )
    app.extensions["onestop"] = ext

    import kiosk
    import printer
    import reports
    from counter import bp as counter_bp
    from display import bp as display_bp
    from display import voice_views

    from . import api, auth, backup, cli, errors, openapi, security, sockets, views

    __import__("server.i18n", fromlist=["init_app"]).init_app(app)  # one string catalogue
    errors.init_app(app)
    auth.init_app(app)
    sockets.init_app(app, ext)
    app.register_blueprint(api.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(counter_bp)
    app.register_blueprint(display_bp)
    cli.init_app(app)
    backup.init_app(app)
    links = kiosk.init_app(app, ext)
    printer.init_app(app, ext, url_for=links.ticket_url)
    voice_views.init_app(app, ext)
    reports.init_app(app)
    security.init_app(app, site)
    app.register_blueprint(openapi.bp)
    return app
