"""Admin-test fixtures: an app with a real printer target or a voice engine, and an admin."""

from __future__ import annotations

import pytest

from server.app import create_app
from tests.helpers import site_config


@pytest.fixture
def auth_for(tmp_path, clock):
    """auth_for(printer, voice=None) -> (app, onestop, admin headers) on its own data dir."""
    made = []

    def build(printer: dict | None, voice: dict | None = None):
        cfg = site_config(
            **({"printer": printer} if printer else {}), **({"voice": voice} if voice else {})
        )
        app = create_app({"DATA_DIR": tmp_path / f"d{len(made)}", "CONFIG": cfg, "CLOCK": clock,
                          "TESTING": True})  # fmt: skip
        made.append(app)
        onestop = app.extensions["onestop"]
        onestop.users.add("boss", "admin", "secret123")
        return app, onestop, {"Authorization": f"Bearer {onestop.users.new_token('boss')}"}

    yield build
    for app in made:
        app.extensions["onestop"].queue.drain()
        app.extensions["onestop"].store.close()


@pytest.fixture
def onestop_voice_engine():
    """The offline engine only (espeak-ng): no network in tests."""
    return {"engines": ["espeak"], "enabled": True}
