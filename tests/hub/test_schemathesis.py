"""Schemathesis against a live hub on a real PostgreSQL: every documented operation, 0 failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.test_schemathesis import count_checks
from tests.hub.conftest import HubServer, hub_cli

pytestmark = pytest.mark.slow


def test_schemathesis_finds_nothing_on_the_hub(tmp_path, hub_url):
    hub = HubServer(hub_url, tmp_path).start()
    try:
        hub_cli(hub_url, "office", "add", "XA1", "--name", "Xã Một")
        hub_cli(
            hub_url, "user", "add", "tinh", "--role", "province_admin", "--password", "secret123"
        )
        token = hub_cli(hub_url, "user", "token", "tinh").strip().splitlines()[-1]
        report, events = tmp_path / "report.json", tmp_path / "events.ndjson"
        cmd = [
            str(Path(sys.executable).with_name("schemathesis")),
            "run", f"{hub.url}/api/openapi.json", "--url", hub.url,
            "-H", f"Authorization: Bearer {token}",
            "--checks", "all", "--max-examples", "25", "--seed", "20261201",
            "--workers", "1", "--request-timeout", "10",
            "--report", "json,ndjson", "--report-json-path", str(report),
            "--report-ndjson-path", str(events),
        ]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=tmp_path)
        log = hub.log.read_text(errors="replace")
    finally:
        hub.stop()
    summary = json.loads(report.read_text())
    checks = count_checks(events)
    assert "Traceback" not in log, log[log.find("Traceback") - 200 :][:4000]
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    assert summary["failures"] == [] and summary["errors"] == []
    assert summary["operations"]["tested"] == 9
    assert sum(checks.values()) > 200 and checks.get("failure", 0) == 0
