"""install.sh: dry runs change nothing, --root installs twice, units pass systemd-analyze verify."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.systemd.conftest import SYSTEM_UNITS, USER_UNITS, install, make_root, needs

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="install.sh --root creates users: root")


def tree(path: Path) -> dict[str, tuple[int, int]]:
    """Every entry under path with its size and mtime (to prove nothing changed)."""
    out = {}
    for p in sorted(path.rglob("*")):
        st = p.lstat()
        out[str(p.relative_to(path))] = (st.st_size, st.st_mtime_ns)
    return out


def verify_system(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", *SYSTEM_UNITS],
        capture_output=True, text=True, cwd=root, timeout=120,
    )  # fmt: skip


def verify_user(root: Path, scratch: Path) -> subprocess.CompletedProcess:
    """User units: `verify --user` cannot take --root, so check copies whose paths point into root."""
    scratch.mkdir(exist_ok=True)
    runtime = scratch / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    paths = []
    for name in USER_UNITS:
        text = (root / "etc/systemd/user" / name).read_text()
        text = text.replace("/opt/onestop", f"{root}/opt/onestop").replace(
            "/etc/onestop", f"{root}/etc/onestop"
        )
        (scratch / name).write_text(text)
        paths.append(str(scratch / name))
    return subprocess.run(
        ["systemd-analyze", "verify", "--user", *paths],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
    )  # fmt: skip


def test_dry_run_prints_every_step_and_changes_nothing(tmp_path):
    root = make_root(tmp_path / "root")
    before = tree(root)
    outs = [install("--dry-run", "--root", str(root), "all-in-one").stdout for _ in range(2)]
    assert tree(root) == before
    assert outs[0] == outs[1]
    for step in ("System packages", "Code in /opt/onestop", "Service user onestop",
                 "Python packages", "Configuration in /etc/onestop", "USB printer access",
                 "System units", "The office day's timers", "Enable and start",
                 "Screens for pi's desktop session"):  # fmt: skip
        assert f"==> {step}" in outs[0], step
    assert "DRY RUN" in outs[0]
    assert (
        "+ useradd --root" in outs[0] and "+ write /etc/systemd/system/onestop.service" in outs[0]
    )
    assert (
        "pip install -q --disable-pip-version-check --require-hashes --no-deps --ignore-installed -r"
        in outs[0]
    )


def test_dry_run_on_this_machine_touches_nothing():
    """Without --root: the real paths are only read, never written."""
    watched = [
        Path("/opt/onestop"),
        Path("/etc/onestop"),
        Path("/etc/systemd/system/onestop.service"),
    ]
    before = [p.exists() for p in watched]
    for _ in range(2):
        out = install("--dry-run", "server", "display", "--user", "root").stdout
        assert "==> Enable and start" in out and "+ systemctl enable onestop.service" in out
    assert [p.exists() for p in watched] == before


def test_a_kiosk_only_pi_gets_no_server(tmp_path):
    root = make_root(tmp_path / "root")
    if os.geteuid() != 0:
        pytest.skip("writes files owned by root")
    for _ in range(2):
        install("--root", str(root), "kiosk", "--server-url", "http://192.168.1.10:8000")
    assert not (root / "opt/onestop/venv").exists()
    assert not (root / "etc/systemd/system/onestop.service").exists()
    assert "ONESTOP_URL=http://192.168.1.10:8000" in (root / "etc/onestop/browser.env").read_text()
    link = root / "home/pi/.config/systemd/user/default.target.wants/onestop-kiosk.service"
    assert os.readlink(link) == "/etc/systemd/user/onestop-kiosk.service"
    assert not (link.parent / "onestop-display.service").exists()
    assert (root / "var/lib/systemd/linger/pi").exists()


def test_unknown_role_and_missing_user_are_refused(tmp_path):
    out = install("--dry-run", "printer", check=False)
    assert out.returncode != 0 and "unknown argument" in out.stderr
    root = make_root(tmp_path / "root")
    out = install("--dry-run", "--root", str(root), "display", "--user", "nobody-here", check=False)
    assert out.returncode != 0 and "does not exist" in out.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """An all-in-one install into a temp root, run twice (the second must change nothing)."""
    if os.geteuid() != 0:
        pytest.skip("install.sh --root creates users and root-owned files: run as root")
    root = make_root(tmp_path_factory.mktemp("pi") / "root")
    first = install("--root", str(root), "all-in-one")
    second = install("--root", str(root), "all-in-one")
    return root, first.stdout, second.stdout


@pytest.mark.slow
@root_only
def test_second_run_changes_nothing(installed):
    root, first, second = installed
    assert "+ write /etc/systemd/system/onestop.service" in first
    assert "pip install" in first
    changes = [line for line in second.splitlines() if re.match(r"\+ (write|copy|useradd|usermod|ln|install|touch)|.*pip install", line)]  # fmt: skip
    assert changes == [], changes
    assert "requirements.txt unchanged" in second


@pytest.mark.slow
@root_only
@needs("systemd-analyze")
def test_every_unit_passes_systemd_analyze_verify(installed, tmp_path):
    root = installed[0]
    out = verify_system(root)
    assert (out.returncode, out.stdout + out.stderr) == (0, "")
    out = verify_user(root, tmp_path)
    assert (out.returncode, out.stdout + out.stderr) == (0, "")


@pytest.mark.slow
@root_only
@needs("systemd-analyze")
def test_services_stay_hardened(installed):
    """systemd's own exposure score (0 = locked down, 10 = none): the hardening must not rot."""
    root = installed[0]
    for unit in ("onestop.service", "onestop-close.service", "onestop-summary.service",
                 "onestop-backup.service", "onestop-sms.service"):  # fmt: skip
        out = subprocess.run(
            ["systemd-analyze", "security", "--offline=true", f"--root={root}", unit],
            capture_output=True, text=True, cwd=root, timeout=120,
        )  # fmt: skip
        m = re.search(rf"Overall exposure level for {re.escape(unit)}: ([\d.]+)", out.stdout)
        assert m, out.stdout[-1000:] + out.stderr
        assert float(m[1]) <= 2.5, f"{unit}: exposure {m[1]}"


@pytest.mark.slow
@root_only
@needs("systemd-analyze")
def test_verify_would_catch_a_bad_unit(installed, tmp_path):
    """The check is real: a broken drop-in makes verify fail."""
    root = installed[0]
    dropin = root / "etc/systemd/system/onestop-close.timer.d/schedule.conf"
    good = dropin.read_text()
    try:
        dropin.write_text(good.replace(":00 Asia", ":99 Asia"))
        out = verify_system(root)
        assert out.returncode != 0 and "calendar" in out.stderr
    finally:
        dropin.write_text(good)


@pytest.mark.slow
@root_only
def test_what_the_install_left(installed):
    root = installed[0]
    wants = root / "etc/systemd/system"
    assert os.readlink(wants / "multi-user.target.wants/onestop.service") == (
        "/etc/systemd/system/onestop.service"
    )
    for t in ("close", "summary", "backup"):
        assert (wants / f"timers.target.wants/onestop-{t}.timer").is_symlink()
    user_wants = root / "home/pi/.config/systemd/user/default.target.wants"
    assert sorted(p.name for p in user_wants.iterdir()) == sorted(USER_UNITS)
    assert (root / "var/lib/systemd/linger/pi").exists()
    passwd = (root / "etc/passwd").read_text()
    uid = int(re.search(r"^onestop:x:(\d+):", passwd, re.M)[1])
    assert (root / "var/lib/onestop").stat().st_uid == uid
    assert (root / "var/lib/onestop").stat().st_mode & 0o777 == 0o750
    group = (root / "etc/group").read_text()
    assert re.search(r"^lp:x:7:.*onestop", group, re.M)
    rule = (root / "etc/udev/rules.d/70-onestop-printer.rules").read_text()
    assert 'ATTR{idVendor}=="0416", ATTR{idProduct}=="5011", GROUP="onestop"' in rule
    assert (root / "etc/onestop/site.toml").read_bytes() == (
        Path(__file__).resolve().parents[2] / "config/site.toml"
    ).read_bytes()
    assert (root / "etc/onestop/onestop.env").stat().st_mode & 0o777 == 0o640
    assert (root / "opt/onestop/wsgi.py").exists() and not (root / "opt/onestop/.git").exists()
    assert os.access(root / "opt/onestop/venv/bin/gunicorn", os.X_OK)
    assert os.access(root / "usr/local/bin/onestop", os.X_OK)
    chrony = (root / "etc/chrony/conf.d/onestop.conf").read_text()  # the hall's time source
    assert "local stratum 8" in chrony and "allow 192.168.0.0/16" in chrony
    timer = (wants / "onestop-close.timer.d/schedule.conf").read_text()
    assert "OnCalendar=*-*-* 17:30:00 Asia/Ho_Chi_Minh" in timer
    # The SMS modem's daemon: installed, not enabled; its spool shared with the server.
    assert (wants / "onestop-sms.service").exists()
    assert not (wants / "multi-user.target.wants/onestop-sms.service").exists()
    assert (root / "etc/onestop/gammu-smsdrc").stat().st_mode & 0o777 == 0o640
    assert (root / "var/lib/onestop/sms/outbox").stat().st_uid == uid
    # The pinned packages live in the venv itself, not borrowed from the system.
    code = "import flask, gunicorn, escpos, gtts; print(flask.__file__, gunicorn.__file__)"
    out = subprocess.run([str(root / "opt/onestop/venv/bin/python"), "-c", code],
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert all(p.startswith(str(root / "opt/onestop/venv/")) for p in out.stdout.split())


@pytest.mark.slow
@root_only
@needs("systemd-analyze")
def test_an_edited_config_is_kept_and_applied_and_a_broken_one_refused(installed, tmp_path):
    root = installed[0]
    conf = root / "etc/onestop/site.toml"
    original = conf.read_text()
    try:
        conf.write_text(original.replace('closing_time = "17:30"', 'closing_time = "16:45"'))
        out = install("--root", str(root), "all-in-one").stdout
        assert "kept your edited /etc/onestop/site.toml" in out
        assert 'closing_time = "16:45"' in conf.read_text()
        timers = root / "etc/systemd/system"
        assert "17:00:00" in (timers / "onestop-summary.timer.d/schedule.conf").read_text()
        assert "17:15:00" in (timers / "onestop-backup.timer.d/schedule.conf").read_text()
        assert verify_system(root).returncode == 0

        conf.write_text(original.replace('closing_time = "17:30"', 'closing_time = "late"'))
        before = (timers / "onestop-close.timer.d/schedule.conf").read_text()
        bad = install("--root", str(root), "reconfigure", check=False)
        assert bad.returncode != 0
        assert "office.closing_time: expected HH:MM" in bad.stderr
        assert (timers / "onestop-close.timer.d/schedule.conf").read_text() == before
    finally:
        conf.write_text(original)
    out = install("--root", str(root), "reconfigure").stdout
    assert (
        "17:30:00" in (root / "etc/systemd/system/onestop-close.timer.d/schedule.conf").read_text()
    )
    assert "close 17:30" in out


def unit_commands(root: Path, unit: str, data: Path, bind: str) -> tuple[dict, list[list[str]]]:
    """The environment and Exec lines of an installed unit, paths mapped into the temp root.

    ONESTOP_BIND is set as an officer would in /etc/onestop/onestop.env (the EnvironmentFile).
    """
    text = (root / "etc/systemd/system" / unit).read_text().replace("\\\n", " ")
    for dropin in sorted((root / "etc/systemd/system" / f"{unit}.d").glob("*.conf")):
        text += "\n" + dropin.read_text()
    mapped = (text.replace("/opt/onestop", f"{root}/opt/onestop")
              .replace("/etc/onestop", f"{root}/etc/onestop")
              .replace("/var/lib/onestop", str(data)))  # fmt: skip
    env, cmds = {"PATH": os.environ["PATH"], "HOME": str(data)}, []
    for line in mapped.splitlines():
        key, _, value = line.partition("=")
        if key == "Environment":
            k, _, v = value.partition("=")
            env[k] = v
        elif key in ("ExecStartPre", "ExecStart"):
            cmds.append(value.split())
    env["ONESTOP_BIND"] = bind
    return env, [[env["ONESTOP_BIND"] if w == "${ONESTOP_BIND}" else w for w in c] for c in cmds]


@pytest.mark.slow
@root_only
def test_the_installed_units_run_the_office_day(installed, tmp_path):
    """Run what the units run (as systemd would, minus the sandbox) from the installed tree."""
    import requests

    from tests.helpers import free_port

    root = installed[0]
    data = tmp_path / "data"
    data.mkdir()
    bind = f"127.0.0.1:{free_port()}"
    env, cmds = unit_commands(root, "onestop.service", data, bind)
    env["ONESTOP_PRINTER_TYPE"], env["ONESTOP_VOICE_WARM_ON_START"] = "none", "false"
    cwd = root / "opt/onestop"
    pre = subprocess.run(cmds[0], env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert pre.returncode == 0 and pre.stdout.startswith("OK: "), pre.stderr
    server = subprocess.Popen(cmds[1], env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        url = f"http://{bind}"
        for _ in range(300):
            try:
                if requests.get(url + "/api/health", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.1)
        ticket = requests.post(url + "/api/tickets", json={"service": "hotich"}, timeout=5)
        assert ticket.status_code == 201
        for unit, expect in (("onestop-close.service", "Expired 1 ticket"),
                             ("onestop-backup.service", "Backup written")):  # fmt: skip
            job_env, job = unit_commands(root, unit, data, bind)
            out = subprocess.run(job[0], env=job_env, cwd=cwd, capture_output=True, text=True,
                                 timeout=120)  # fmt: skip
            assert out.returncode == 0 and expect in out.stdout, out.stderr[-2000:]
        assert len(list((data / "backups").glob("onestop-*.db"))) == 1
        status = requests.get(url + f"/api/tickets/{ticket.json()['ticket']['id']}", timeout=5)
        assert status.json()["ticket"]["status"] == "expired"
    finally:
        server.terminate()
        server.wait(20)


@pytest.mark.slow
@root_only
@needs("nginx")
def test_nginx_in_front_with_the_office_https(installed, tmp_path):
    root = installed[0]
    env = (root / "etc/onestop/onestop.env").read_text()
    assert "ONESTOP_BIND=127.0.0.1:8001" in env and "ONESTOP_SECURITY_BEHIND_PROXY=true" in env
    assert "ONESTOP_SECURE_COOKIES=true" in env
    tls = root / "etc/onestop/tls"
    assert (tls / "ca.key").stat().st_mode & 0o777 == 0o600
    cert = subprocess.run(["openssl", "verify", "-CAfile", str(tls / "ca.crt"), str(tls / "server.crt")],
                          capture_output=True, text=True)  # fmt: skip
    assert cert.returncode == 0, cert.stdout + cert.stderr
    san = subprocess.run(["openssl", "x509", "-in", str(tls / "server.crt"), "-noout", "-ext",
                          "subjectAltName"], capture_output=True, text=True).stdout  # fmt: skip
    assert "IP Address:127.0.0.1" in san
    # nginx -t on what was installed, its absolute paths pointed into the root.
    main = tmp_path / "nginx.conf"
    for f in (root / "etc/nginx/onestop").iterdir():
        text = f.read_text().replace("/etc/nginx/onestop", str(tmp_path))
        (tmp_path / f.name).write_text(text.replace("/etc/onestop/tls", str(tls)))
    inc = (
        (root / "etc/nginx/conf.d/onestop.conf")
        .read_text()
        .replace("/etc/nginx/onestop", str(tmp_path))
    )
    main.write_text(f"pid {tmp_path}/pid;\nevents {{}}\nhttp {{\n{inc}\n}}\n")
    r = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(main)], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr


@pytest.mark.slow
@root_only
def test_uninstall_keeps_config_and_data(installed):
    root = installed[0]
    (root / "var/lib/onestop/onestop.db").write_bytes(b"the office's history")
    for _ in range(2):
        out = install("--root", str(root), "uninstall").stdout
        assert "Kept" in out
    assert not (root / "opt/onestop").exists()
    assert not (root / "etc/systemd/system/onestop.service").exists()
    assert not (root / "etc/systemd/system/multi-user.target.wants/onestop.service").exists()
    assert not list((root / "home/pi/.config/systemd/user/default.target.wants").iterdir())
    assert not (root / "etc/udev/rules.d/70-onestop-printer.rules").exists()
    assert not (root / "usr/local/bin/onestop").exists()
    assert (root / "var/lib/onestop/onestop.db").read_bytes() == b"the office's history"
    assert (root / "etc/onestop/site.toml").exists()
    assert "onestop:" in (root / "etc/passwd").read_text()


@needs("shellcheck")
def test_shell_scripts_pass_shellcheck():
    root = Path(__file__).resolve().parents[2]
    scripts = [str(root / "systemd" / n)
               for n in ("install.sh", "onestop-browser", "onestop-summarize", "onestop")]  # fmt: skip
    scripts += sorted(str(p) for p in (root / "scripts").glob("*.sh"))  # setup, lock, checks
    out = subprocess.run(["shellcheck", "-x", *scripts], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout
