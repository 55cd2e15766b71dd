"""The hub's unit: systemd-analyze verify, and systemd's own exposure score stays low."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.systemd.conftest import make_root, needs

UNIT = "onestop-hub.service"


@pytest.fixture
def root(tmp_path) -> Path:
    """A Debian-like root with the unit, its user, its env file and its executables."""
    root = make_root(tmp_path / "root")
    with (root / "etc/passwd").open("a") as f:
        f.write("onestop_hub:x:998:998::/nonexistent:/usr/sbin/nologin\n")
    with (root / "etc/group").open("a") as f:
        f.write("onestop_hub:x:998:\n")
    (root / "etc/onestop").mkdir()
    (root / "etc/onestop/hub.env").write_text(
        "ONESTOP_HUB_DATABASE_URL=postgresql:///onestop_hub\n"
    )
    bin_dir = root / "opt/onestop/venv/bin"
    bin_dir.mkdir(parents=True)
    for name in ("gunicorn", "flask"):
        (bin_dir / name).write_text("#!/bin/sh\n")
        (bin_dir / name).chmod(0o755)
    (root / "etc/systemd/system").mkdir(parents=True)
    shutil.copy(ROOT / "systemd" / UNIT, root / "etc/systemd/system" / UNIT)
    return root


def analyze(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["systemd-analyze", *args, f"--root={root}", UNIT],
                          capture_output=True, text=True, cwd=root, timeout=120)  # fmt: skip


@needs("systemd-analyze")
def test_the_hub_unit_passes_verify(root):
    out = analyze(root, "verify")
    assert (out.returncode, out.stdout + out.stderr) == (0, "")


@needs("systemd-analyze")
def test_verify_catches_a_broken_hub_unit(root):
    unit = root / "etc/systemd/system" / UNIT
    unit.write_text(unit.read_text().replace("ExecStart=/opt/onestop/venv/bin/gunicorn",
                                             "ExecStart=/opt/onestop/venv/bin/gunicorm"))  # fmt: skip
    out = analyze(root, "verify")
    assert out.returncode != 0 and "gunicorm" in out.stdout + out.stderr


@needs("systemd-analyze")
def test_the_hub_runs_hardened(root):
    out = analyze(root, "security", "--offline=true")
    m = re.search(rf"Overall exposure level for {re.escape(UNIT)}: ([\d.]+)", out.stdout)
    assert m, out.stdout[-1000:] + out.stderr
    assert float(m[1]) <= 2.0, out.stdout


def test_the_unit_runs_what_the_repository_has():
    text = (ROOT / "systemd" / UNIT).read_text()
    assert "hub.wsgi:app" in text and (ROOT / "hub" / "wsgi.py").exists()
    assert "EnvironmentFile=/etc/onestop/hub.env" in text
