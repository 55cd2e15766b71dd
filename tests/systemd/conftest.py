"""A temporary root that looks enough like Debian 12 for install.sh --root and systemd-analyze."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers import ROOT

INSTALL = ROOT / "systemd" / "install.sh"
SYSTEM_UNITS = [
    "onestop.service",
    "onestop-close.service",
    "onestop-close.timer",
    "onestop-summary.service",
    "onestop-summary.timer",
    "onestop-backup.service",
    "onestop-backup.timer",
]
USER_UNITS = ["onestop-kiosk.service", "onestop-display.service"]

PASSWD = """root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
lp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin
pi:x:1000:1000:,,,:/home/pi:/bin/bash
"""
GROUP = """root:x:0:
daemon:x:1:
lp:x:7:
dialout:x:20:
audio:x:29:pi
pi:x:1000:
"""


def make_root(path: Path) -> Path:
    """etc/ with a desktop user `pi` (uid 1000) and Debian's groups; systemd's own units."""
    etc = path / "etc"
    etc.mkdir(parents=True)
    (etc / "passwd").write_text(PASSWD)
    (etc / "group").write_text(GROUP)
    (etc / "shadow").write_text("".join(f"{line.split(':')[0]}:*:20000:0:99999:7:::\n"
                                        for line in PASSWD.splitlines()))  # fmt: skip
    (etc / "gshadow").write_text(
        "".join(f"{line.split(':')[0]}:*::\n" for line in GROUP.splitlines())
    )
    for f in ("shadow", "gshadow"):
        (etc / f).chmod(0o640)
    (path / "home" / "pi").mkdir(parents=True)
    # The units of Debian's systemd package (multi-user.target, timers.target, ...).
    shutil.copytree("/usr/lib/systemd/system", path / "usr/lib/systemd/system", symlinks=True)
    return path


def install(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run(["bash", str(INSTALL), *args], capture_output=True, text=True, timeout=300)
    if check:
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out


def needs(tool: str):
    return pytest.mark.skipif(
        shutil.which(tool) is None, reason=f"{tool} missing: scripts/setup.sh --dev installs it"
    )
