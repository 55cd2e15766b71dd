"""Schemathesis against a live server: every documented operation, every check, 0 failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import LiveServer

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 20
SEED = 20261128


def count_checks(ndjson: Path) -> dict[str, int]:
    """Check results in schemathesis' event stream: {"success": n, "failure": n, ...}."""
    counts: dict[str, int] = {}

    def walk(node):
        if isinstance(node, dict):
            checks = node.get("checks")
            if isinstance(checks, dict):
                for results in checks.values():
                    for c in results if isinstance(results, list) else ():
                        if isinstance(c, dict) and "status" in c:
                            counts[c["status"]] = counts.get(c["status"], 0) + 1
            for key, value in node.items():
                if key != "checks":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for line in ndjson.read_text(encoding="utf-8").splitlines():
        walk(json.loads(line))
    return counts


def test_schemathesis_finds_nothing(tmp_path, figures):
    server = LiveServer(tmp_path / "live").start()
    try:
        token = server.token("st-admin", "admin")
        report = tmp_path / "report.json"
        events = tmp_path / "events.ndjson"
        cmd = [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file", str(Path(__file__).with_name("schemathesis.toml")),
            "run", f"{server.url}/api/openapi.json", "--url", server.url,
            "-H", f"Authorization: Bearer {token}",
            "--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--seed", str(SEED),
            "--workers", "1", "--request-timeout", "10",
            "--report", "json,ndjson", "--report-json-path", str(report),
            "--report-ndjson-path", str(events),
        ]  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=tmp_path)
        (tmp_path / "schemathesis.txt").write_text(out.stdout + out.stderr)
        log = server.log.read_text(errors="replace")
    finally:
        server.stop()
    summary = json.loads(report.read_text())
    checks = count_checks(events)
    figures(
        "schemathesis (test_schemathesis.py)",
        operations=summary["operations"]["tested"],
        test_cases=summary["test_cases"]["generated"],
        checks_run=sum(checks.values()),
        checks_failed=checks.get("failure", 0),
        failures=sum(f["count"] for f in summary["failures"]),
        errors=len(summary["errors"]),
    )
    assert "Traceback" not in log, log[log.find("Traceback") - 200 :][:4000]
    assert out.returncode == 0, out.stdout[-6000:] + out.stderr[-2000:]
    assert summary["failures"] == [] and summary["errors"] == []
    assert summary["operations"]["tested"] >= 14
    assert sum(checks.values()) > 1000 and checks.get("failure", 0) == 0
