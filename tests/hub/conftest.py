"""A real PostgreSQL 15 cluster for the hub's tests (one per session, a database per test)."""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from hub.localpg import BIN, LocalPostgres
from tests.helpers import ROOT, free_port

_names = itertools.count(1)


@pytest.fixture(scope="session")
def postgres():
    if not (BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL 15 is not installed ({BIN}): run scripts/setup.sh --dev")
    # Not under pytest's tmp dir: that is root's own (0700) and the postgres user must enter.
    root = Path(tempfile.mkdtemp(prefix="onestop-pg-"))
    root.chmod(0o755)
    pg = LocalPostgres(root).init().start()
    yield pg
    pg.stop("immediate")
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def hub_url(postgres):
    """The URL of a fresh, migrated hub database."""
    url = postgres.createdb(f"hub_{os.getpid()}_{next(_names)}")
    from hub import db

    pool = db.make_pool(url, max_size=1)
    try:
        db.migrate(pool)
    finally:
        pool.close()
    return url


@pytest.fixture
def hub_app(hub_url):
    from hub.app import create_app

    app = create_app({"DATABASE_URL": hub_url, "TESTING": True})
    yield app
    app.extensions["hub"]["pool"].close()


def hub_cli(db_url: str, *args: str) -> str:
    """`flask --app hub.wsgi ...` against db_url; its stdout (asserts success)."""
    env = {**os.environ, "ONESTOP_HUB_DATABASE_URL": db_url}
    out = subprocess.run([sys.executable, "-m", "flask", "--app", "hub.wsgi", *args], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    return out.stdout


class HubServer:
    """The hub under gunicorn on a free port (stop, start again, make it fail)."""

    def __init__(self, db_url: str, root: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.fail_file = root / "hub-fails"
        self.env = {**os.environ, "ONESTOP_HUB_DATABASE_URL": db_url,
                    "ONESTOP_HUB_FAIL_FILE": str(self.fail_file)}  # fmt: skip
        self.log = root / "hub.log"
        self.proc = None

    def start(self) -> HubServer:
        logf = open(self.log, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "1", "--threads", "8", "-b",
             f"127.0.0.1:{self.port}", "--graceful-timeout", "2", "--no-control-socket",
             "hub.wsgi:app"], cwd=ROOT, env=self.env, stdout=logf, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(self.log.read_text()[-3000:])

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)
        self.proc = None
