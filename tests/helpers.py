"""Shared test helpers: a settable clock, action helpers and a real server process."""

from __future__ import annotations

import datetime as dt
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def at(text: str) -> float:
    """Epoch seconds of a local office time such as '2026-11-30 09:00'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp()


class Clock:
    """A clock tests set and move by hand: time never comes from the wall."""

    def __init__(self, start: str = "2026-11-30 09:00"):  # a Monday, office hours
        self.now = at(start)

    def __call__(self) -> float:
        return self.now

    def set(self, text: str) -> None:
        self.now = at(text)

    def advance(self, seconds: float) -> None:
        self.now += seconds


def site_config(**overrides) -> dict:
    """The demo config as a dict, with section overrides: site_config(office={...})."""
    data = tomllib.loads((ROOT / "config" / "site.toml").read_text(encoding="utf-8"))
    data["printer"]["type"] = "none"
    data["voice"]["engines"] = []
    data["voice"]["warm_on_start"] = False
    for section, values in overrides.items():
        if isinstance(values, dict):
            data.setdefault(section, {}).update(values)
        else:
            data[section] = values
    return data


class Kiosk:
    def __init__(self, client):
        self.client = client

    def take_ticket(self, service: str, **body) -> dict:
        r = self.client.post("/api/tickets", json={"service": service, **body})
        assert r.status_code == 201, r.get_json()
        return r.get_json()["ticket"]


def sign_in(url: str, headers, number: int) -> None:
    """Sign a clerk in at counter `number` of a live server, as the console does."""
    r = requests.post(f"{url}/api/counters/{number}/sign-in", headers=headers, timeout=5)
    assert r.status_code == 200, r.text


class CounterDesk:
    """A clerk at a counter: signs in at the counter it acts on, as the console does."""

    def __init__(self, client, headers):
        self.client = client
        self.headers = headers
        self.at: int | None = None

    def sign_in(self, number: int):
        r = self.client.post(f"/api/counters/{number}/sign-in", headers=self.headers)
        if r.status_code == 200:  # an unknown counter: the action itself answers 404
            self.at = number
        return r

    def post(self, number: int, action: str, **body):
        if number != self.at:
            self.sign_in(number)
        return self.client.post(
            f"/api/counters/{number}/{action}", json=body or None, headers=self.headers
        )

    def next(self, number: int) -> dict | None:
        r = self.post(number, "next")
        assert r.status_code in (200, 204), r.get_json()
        return r.get_json()["ticket"] if r.status_code == 200 else None


BAR_RE = re.compile(r"\[[#-]+\]")  # click's progress bar: [####------]


def flask_in_pty(data_dir: Path, *args: str, env: dict | None = None, timeout: float = 120):
    """Run a `flask` command on a pseudo-terminal, as an operator at the console does.

    Returns (exit code, everything the terminal showed). A fresh `data_dir` is its
    ONESTOP_DATA. The terminal turns each newline into CR LF.
    """
    env = {**os.environ, "ONESTOP_DATA": str(data_dir), "ONESTOP_PRINTER_TYPE": "none",
           "ONESTOP_VOICE_WARM_ON_START": "false", **(env or {})}  # fmt: skip
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "flask", *args], cwd=ROOT, env=env,
                                stdin=slave, stdout=slave, stderr=slave)  # fmt: skip
    finally:
        os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while True:
            ready, _, _ = select.select([master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                proc.kill()
                raise TimeoutError(f"flask {' '.join(args)}: {b''.join(chunks)[-2000:]!r}")
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the command exited and closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        rc = proc.wait(timeout=10)
    finally:
        os.close(master)
    return rc, b"".join(chunks).decode("utf-8", "replace")


def no_progress_artefacts(output: str) -> bool:
    """True when output (from a non-terminal run) holds no trace of a progress bar."""
    return "\r" not in output and "%" not in output and not BAR_RE.search(output)


def children(pid: int) -> list[int]:
    """Direct child processes of pid (gunicorn's worker is the master's child)."""
    out = []
    for entry in os.listdir("/proc"):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text() if entry.isdigit() else ""
        except OSError:
            continue
        # The command name may contain spaces; the fields resume after the last ')'.
        if stat and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            out.append(int(entry))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A real gunicorn process (one worker, threads) on a free port and its own data dir."""

    def __init__(self, data_dir: Path, config: Path | None = None, env: dict | None = None):
        self.data_dir = Path(data_dir)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "ONESTOP_DATA": str(self.data_dir), **(env or {})}
        self.env.setdefault("ONESTOP_PRINTER_TYPE", "none")
        self.env.setdefault("ONESTOP_VOICE_WARM_ON_START", "false")
        if config:
            self.env["ONESTOP_CONFIG"] = str(config)
        self.proc: subprocess.Popen | None = None
        self.log = self.data_dir / "server.log"

    def flask(self, *args: str) -> str:
        """Run a `flask` command against this server's data dir; return stdout."""
        out = subprocess.run(
            [sys.executable, "-m", "flask", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    def token(self, name: str, role: str, password: str = "secret123") -> str:
        users = self.flask("user", "list")
        if not any(line.split("\t")[0] == name for line in users.splitlines()):
            self.flask("user", "add", name, "--role", role, "--password", password)
        return self.flask("user", "token", name).strip().splitlines()[-1]

    def start(self, threads: int = 256) -> LiveServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        logf = open(self.log, "ab")  # noqa: SIM115 - kept open for the child's lifetime
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--worker-class", "gthread", "--threads",
             str(threads), "-w", "1", "-b", f"127.0.0.1:{self.port}", "--graceful-timeout",
             "2", "--no-control-socket", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=logf, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url + "/api/health", timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def kill(self) -> None:
        """SIGKILL the master and its worker at once, like a power cut."""
        if self.proc and self.proc.poll() is None:
            workers = children(self.proc.pid)
            self.proc.kill()  # first, so it cannot start a new worker
            for pid in workers:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait(10)
        self.proc = None

    def restart(self) -> LiveServer:
        self.stop()
        return self.start()
