"""Fixtures: an app on a temp data dir with a hand-set clock, clients, users, a live server."""

from __future__ import annotations

import pytest

from server.app import create_app
from tests.helpers import Clock, CounterDesk, Kiosk, LiveServer, site_config


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def config():
    """The demo office config (dict); tests may edit it before `app` is built."""
    return site_config()


@pytest.fixture
def app(tmp_path, clock, config):
    app = create_app(
        {"DATA_DIR": tmp_path / "data", "CONFIG": config, "CLOCK": clock, "TESTING": True}
    )
    yield app
    app.extensions["onestop"].queue.drain()
    app.extensions["onestop"].store.close()


@pytest.fixture
def onestop(app):
    return app.extensions["onestop"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def auth(onestop):
    """Authorization headers per role: auth["clerk"] (signed in at counter 1), auth["supervisor"],
    auth["admin"]."""
    headers = {}
    for role in ("clerk", "supervisor", "admin"):
        onestop.users.add(f"{role}1", role, "secret123")
        headers[role] = {"Authorization": f"Bearer {onestop.users.new_token(f'{role}1')}"}
    # clerk1 sits at counter 1 (least privilege: a clerk acts only where they signed in).
    onestop.sign_ins.sign_in(onestop.users.get("clerk1")["id"], 1)
    return headers


@pytest.fixture
def kiosk(client):
    return Kiosk(client)


@pytest.fixture
def counter(client, auth):
    return CounterDesk(client, auth["clerk"])


@pytest.fixture
def live_server(tmp_path):
    """A real gunicorn server on a free port with a fresh data dir; stopped after the test."""
    server = LiveServer(tmp_path / "live").start()
    yield server
    server.stop()


@pytest.fixture(autouse=True, scope="session")
def _playwright_bypasses_csp():
    """Playwright's wait_for_function and friends evaluate strings, which the app's CSP
    (script-src 'self', no eval) rightly forbids; browser tests therefore bypass it by
    default. tests/faults/test_csp_browser.py loads every page under the real policy."""
    from playwright.sync_api._generated import Browser

    new_context, new_page = Browser.new_context, Browser.new_page

    def context(self, *args, **kwargs):
        kwargs.setdefault("bypass_csp", True)
        return new_context(self, *args, **kwargs)

    def page(self, *args, **kwargs):
        kwargs.setdefault("bypass_csp", True)
        return new_page(self, *args, **kwargs)

    Browser.new_context, Browser.new_page = context, page
    yield
    Browser.new_context, Browser.new_page = new_context, new_page
