"""Ways a message leaves the office, behind one interface: send(phone, text) -> gateway id.

`GammuGateway` is the local path (gammu-smsd driving a USB GSM modem: no internet needed);
`HttpGateway` a generic HTTP SMS gateway; `RecordingGateway` keeps what it is given (tests);
`NoGateway` sends nothing (messages stay queued). No error message holds a phone number.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import requests

from .texts import needs_unicode

SENT, PENDING, FAILED = "sent", "pending", "failed"


class GatewayError(Exception):
    """A message not handed over; `temporary` ones are retried, the others given up."""

    def __init__(self, message: str, temporary: bool = True):
        super().__init__(message)
        self.message = message
        self.temporary = temporary


class Gateway:
    """The interface. `confirms`: send() only hands over, status() tells the outcome later."""

    name = "none"
    confirms = False

    def send(self, phone: str, text: str) -> str:
        raise NotImplementedError

    def status(self, gateway_id: str) -> str:
        """sent | pending | failed, for gateways that confirm later."""
        return SENT

    def health(self) -> dict:
        return {"status": "ok"}

    def sweep(self, older_than_s: float) -> int:
        """Delete copies of messages the gateway keeps longer than that (retention)."""
        return 0


class NoGateway(Gateway):
    """No way out configured: the worker never calls it and messages stay queued."""

    def send(self, phone: str, text: str) -> str:
        raise GatewayError("no SMS gateway is configured")

    def health(self) -> dict:
        return {"status": "not_configured", "message": "no gateway"}


class RecordingGateway(Gateway):
    """Keeps every message; `outcomes` (errors or None) script the next sends, in order."""

    name = "recording"

    def __init__(self, outcomes: list[GatewayError | None] | None = None):
        self.sent: list[tuple[str, str]] = []
        self.outcomes = list(outcomes or [])
        self.calls = 0
        self._lock = threading.Lock()

    def send(self, phone: str, text: str) -> str:
        with self._lock:
            self.calls += 1
            outcome = self.outcomes.pop(0) if self.outcomes else None
            if outcome is not None:
                raise outcome
            self.sent.append((phone, text))
            return f"rec-{len(self.sent)}"


class HttpGateway(Gateway):
    """JSON POST {"to", "text"} with a Bearer token: 2xx sent; 5xx, 429 and timeouts are
    temporary; any other 4xx is permanent (the gateway refuses this message)."""

    name = "http"

    def __init__(self, url: str, token: str = "", timeout: float = 10.0):
        self.url, self.token, self.timeout = url, token, timeout
        self.last_error: str | None = None

    def send(self, phone: str, text: str) -> str:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            r = requests.post(
                self.url, json={"to": phone, "text": text}, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            raise self._error(f"no answer within {self.timeout:g} s", True) from None
        except requests.RequestException as e:
            raise self._error(f"gateway unreachable ({type(e).__name__})", True) from None
        if 200 <= r.status_code < 300:
            self.last_error = None
            try:
                data = r.json()
            except ValueError:
                data = None
            return str(data.get("id", "")) if isinstance(data, dict) else ""
        # Never the body: a gateway may echo the number back.
        temporary = r.status_code >= 500 or r.status_code in (408, 429)
        raise self._error(f"gateway answered HTTP {r.status_code}", temporary)

    def _error(self, message: str, temporary: bool) -> GatewayError:
        self.last_error = message
        return GatewayError(message, temporary)

    def health(self) -> dict:
        if self.last_error:
            return {"status": "degraded", "message": self.last_error}
        return {"status": "ok"}


INJECTED = re.compile(r"Written message with ID (.+)$", re.MULTILINE)


class GammuGateway(Gateway):
    """gammu-smsd's files service: inject into its outbox with `gammu-smsd-inject`, then
    read the outcome back from its sent and error folders (and tidy them: they hold the
    number and the text)."""

    name = "gammu"
    confirms = True

    def __init__(self, config: str | Path, inject: str = "gammu-smsd-inject", timeout=30.0):
        self.config = Path(config)
        self.inject = inject
        self.timeout = timeout
        self.last_error: str | None = None

    def folders(self) -> dict[str, Path]:
        """outbox, sent and error folders of the smsd config (files service)."""
        cp = configparser.ConfigParser(interpolation=None, strict=False)
        if not cp.read(self.config, encoding="utf-8"):
            raise GatewayError(f"cannot read {self.config}", temporary=True)
        smsd = cp["smsd"] if cp.has_section("smsd") else {}
        keys = {"outbox": "outboxpath", "sent": "sentsmspath", "error": "errorsmspath"}
        out = {}
        for name, key in keys.items():
            if not smsd.get(key):
                raise GatewayError(f"{self.config}: [smsd] {key} is not set", temporary=True)
            out[name] = Path(smsd[key].strip().strip('"'))
        return out

    def send(self, phone: str, text: str) -> str:
        cmd = [self.inject, "-c", str(self.config), "TEXT", phone, "-len", str(len(text))]
        if needs_unicode(text):
            cmd.append("-unicode")
        cmd += ["-text", text]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout)
        except FileNotFoundError:
            raise self._error(f"{self.inject} is not installed (apt install gammu-smsd)") from None
        except subprocess.TimeoutExpired:
            raise self._error(f"{self.inject} took more than {self.timeout:g} s") from None
        found = INJECTED.search(done.stdout)
        if done.returncode != 0 or not found:
            # Its output names the number: only the exit code is kept.
            raise self._error(f"{self.inject} failed (exit {done.returncode})")
        self.last_error = None
        return os.path.basename(found[1].strip())

    def _error(self, message: str) -> GatewayError:
        self.last_error = message
        return GatewayError(message, temporary=True)

    def status(self, gateway_id: str) -> str:
        folders = self.folders()
        for outcome, folder in ((SENT, folders["sent"]), (FAILED, folders["error"])):
            path = folder / gateway_id
            if path.exists():
                path.unlink(missing_ok=True)  # the number and the text leave with it
                return outcome
        return PENDING

    def sweep(self, older_than_s: float) -> int:
        """gammu-smsd's files (number and text) older than the retention, in every folder: a
        message stuck in outbox/ while the modem was away must not leave after it."""
        try:
            folders = self.folders()
        except GatewayError:
            return 0
        cutoff, gone = time.time() - older_than_s, 0
        for folder in (folders["outbox"], folders["sent"], folders["error"]):
            for path in folder.glob("OUT*"):
                with contextlib.suppress(OSError):
                    if path.is_file() and path.stat().st_mtime < cutoff:
                        path.unlink()
                        gone += 1
        return gone

    def health(self) -> dict:
        if shutil.which(self.inject) is None:
            return {"status": "error", "message": f"{self.inject} is not installed"}
        try:
            folders = self.folders()
        except GatewayError as e:
            return {"status": "error", "message": e.message}
        waiting = sum(1 for p in folders["outbox"].glob("OUT*") if p.is_file())
        out = {"status": "ok", "modem_outbox": waiting}
        if self.last_error:
            out.update(status="degraded", message=self.last_error)
        return out


def make(cfg: dict) -> Gateway:
    """The gateway `[sms] gateway` names."""
    if cfg["gateway"] == "gammu":
        return GammuGateway(cfg["gammu_config"])
    if cfg["gateway"] == "http":
        return HttpGateway(cfg["http_url"], cfg["http_token"], cfg["timeout_s"])
    return NoGateway()
