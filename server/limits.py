"""Per-client limits on anonymous and device routes, enforced before Flask sees the request.

A WSGI middleware, so a shed request costs a dict lookup and never reaches a transaction
(nor takes a number). Token buckets per client address for issuing, the status page and its
API, feedback and socket handshakes; a bound on open websockets per address and in all.
Staff tokens and this machine itself are not limited; an enrolled kiosk (its Bearer token)
has a bucket of its own that nobody else's flood can drain. See docs/security.md.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie

from flask import Flask
from itsdangerous import BadSignature

from . import kernel
from .i18n import t

ISSUE = re.compile(r"^/api/(tickets|returns)/?$")
FEEDBACK = re.compile(r"^/api/tickets/[^/]+/feedback/?$")
STATUS = re.compile(r"^/(t/[^/]+(/qr\.svg)?|api/tickets/[^/]+(/print)?)/?$")
LOCAL = ("127.0.0.1", "::1")
KEYS = {
    "rate_limited": "limits.rate_limited",
    "too_many_sockets": "limits.too_many_sockets",
    "too_many_sockets_here": "limits.too_many_sockets_here",
}
MAX_CLIENTS = 20_000  # buckets kept at once; beyond it the idlest are forgotten


@dataclass
class Bucket:
    """A token bucket: `rate` tokens a second up to `burst`."""

    rate: float
    burst: float
    tokens: float
    at: float

    def take(self, now: float) -> float:
        """0 when a token was taken, else the seconds until one is there."""
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


def env_flag(name: str) -> bool | None:
    value = os.environ.get(name)
    return None if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def behind_proxy(settings) -> bool:
    """Trust X-Real-IP only when our own nginx is in front (it overwrites the header)."""
    env = env_flag("ONESTOP_SECURITY_BEHIND_PROXY")
    if env is not None:
        return env
    try:
        return bool(settings["security"]["behind_proxy"])
    except KeyError:
        return False


def client_key(addr: str) -> str:
    """The client an address stands for: an IPv6 host owns its whole /64."""
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return addr or "?"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


class Limits:
    """The buckets and socket counts of one app (thread-safe)."""

    def __init__(
        self, cfg: dict, identify: Callable[[str], str | None], proxy: bool, clock=time.monotonic
    ):
        # identify(token) -> "staff", "device" or None: who a Bearer token belongs to.
        self.cfg, self.identify, self.proxy, self.clock = cfg, identify, proxy, clock
        self.lock = threading.Lock()
        self.buckets: dict[tuple[str, str], Bucket] = {}
        self.open: dict[str, int] = {}
        self.open_total = 0
        # cookie_token(environ) -> the device token of an enrolled browser (set by init_app).
        self.cookie_token: Callable[[dict], str | None] = lambda environ: None

    def address(self, environ: dict) -> str:
        if self.proxy and environ.get("REMOTE_ADDR") in LOCAL and environ.get("HTTP_X_REAL_IP"):
            return environ["HTTP_X_REAL_IP"].strip()
        return environ.get("REMOTE_ADDR") or "?"

    def rule(self, kind: str, device: bool) -> tuple[float, float]:
        """(per second, burst) of a bucket kind."""
        c = self.cfg
        if kind == "issue":
            if device:
                return c["device_issue_per_min"] / 60, c["device_issue_burst"]
            return c["issue_per_min"] / 60, c["issue_burst"]
        if kind == "issue_all":
            return c["issue_total_per_min"] / 60, max(1, c["issue_total_per_min"] / 6)
        if kind == "status":
            return c["status_per_min"] / 60, c["status_burst"]
        if kind == "feedback":
            return c["feedback_per_min"] / 60, 3
        return c["socket_connects_per_min"] / 60, c["socket_connects_burst"]

    def take(self, kind: str, client: str, device: bool = False) -> float:
        """0 if `client` may go on, else the seconds it should wait."""
        now = self.clock()
        with self.lock:
            b = self.buckets.get((kind, client))
            if b is None:
                if len(self.buckets) >= MAX_CLIENTS:
                    self._forget(now)
                rate, burst = self.rule(kind, device)
                b = self.buckets[(kind, client)] = Bucket(rate, burst, burst, now)
            return b.take(now)

    def _forget(self, now: float) -> None:
        """Drop the buckets that are full again (they hold nothing), else the idlest half."""
        full = [k for k, b in self.buckets.items() if b.tokens + (now - b.at) * b.rate >= b.burst]
        if len(full) < len(self.buckets) // 2:
            full = sorted(self.buckets, key=lambda k: self.buckets[k].at)[: len(self.buckets) // 2]
        for k in full:
            del self.buckets[k]

    def socket_opened(self, client: str) -> str | None:
        """Count an open websocket; the error code when the bound is reached."""
        with self.lock:
            if self.open_total >= self.cfg["sockets_total"]:
                return "too_many_sockets"
            # The machine itself may hold many (an all-in-one Pi's screens, its own tests).
            local = client in LOCAL
            if not local and self.open.get(client, 0) >= self.cfg["sockets_per_address"]:
                return "too_many_sockets_here"
            self.open[client] = self.open.get(client, 0) + 1
            self.open_total += 1
            return None

    def socket_closed(self, client: str) -> None:
        with self.lock:
            self.open_total -= 1
            left = self.open.get(client, 1) - 1
            if left > 0:
                self.open[client] = left
            else:
                self.open.pop(client, None)

    def who(self, environ: dict, addr: str) -> str | None:
        """ "exempt" for staff and this machine, a kiosk's own key, or None (anonymous)."""
        if addr in LOCAL:
            return "exempt"  # the machine itself (demo browser, local kiosk): it owns the data
        auth = environ.get("HTTP_AUTHORIZATION", "")
        token = auth[7:].strip() if auth.startswith("Bearer ") else self.cookie_token(environ)
        if not token:
            return None
        kind = self.identify(token)
        if kind == "staff":
            return "exempt"
        if kind == "device":
            return "token:" + hashlib.sha256(token.encode()).hexdigest()[:16]
        return None  # an unknown token buys nothing: the address's own buckets

    def check(self, environ: dict) -> tuple[str, float] | None:
        """(error code, retry after) when the request is over its client's limits."""
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if method == "POST" and ISSUE.match(path):
            kind = "issue"
        elif method == "POST" and FEEDBACK.match(path):
            kind = "feedback"
        elif method in ("GET", "HEAD") and STATUS.match(path):
            kind = "status"
        elif path.startswith("/socket.io") and "sid=" not in environ.get("QUERY_STRING", ""):
            kind = "socket"  # an Engine.IO handshake: a new session
        else:
            return None
        addr = self.address(environ)
        who = self.who(environ, addr)
        if who == "exempt":
            return None
        if who is not None:  # an enrolled device: its own, larger issuing bucket
            wait = self.take("issue", who, device=True) if kind == "issue" else 0.0
            return ("rate_limited", wait) if wait else None
        client = client_key(addr)
        wait = self.take(kind, client)
        if not wait and kind == "issue":
            wait = self.take("issue_all", "*")
        return ("rate_limited", wait) if wait else None


def refuse(start_response, code: str, retry_after: float | None, lang_text: str) -> list[bytes]:
    """A 429 in the API's error format, with Retry-After when waiting helps."""
    data = json.dumps({"error": {"code": code, "message": lang_text}}, ensure_ascii=False)
    headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
    if retry_after is not None:
        headers.append(("Retry-After", str(max(1, math.ceil(retry_after)))))
    start_response("429 Too Many Requests", headers)
    return [data.encode()]


def middleware(app: Flask, limits: Limits):
    """Wrap app.wsgi_app: shed over-limit requests, hold the websocket bounds."""
    inner = app.wsgi_app

    def message(code: str) -> str:
        key = KEYS[code]
        return f"{t(key, 'vi')} / {t(key, 'en')}"  # before Flask: no page language to pick

    def wsgi(environ, start_response):
        over = limits.check(environ)
        if over:
            return refuse(start_response, over[0], over[1], message(over[0]))
        if environ.get("HTTP_UPGRADE", "").lower() != "websocket":
            return inner(environ, start_response)
        client = client_key(limits.address(environ))
        refused = limits.socket_opened(client)
        if refused:
            return refuse(start_response, refused, 30, message(refused))
        try:  # a websocket's request lasts as long as the socket (thread or greenlet)
            return inner(environ, start_response)
        finally:
            limits.socket_closed(client)

    return wsgi


def init_app(app: Flask, ext) -> Limits | None:
    """Put the limits in front of the app, when [limits] enabled."""
    cfg = ext.settings["limits"]
    if not cfg["enabled"]:
        return None

    def identify(token: str) -> str | None:
        if ext.users.for_token(token) is not None:
            return "staff"
        return "device" if ext.enrolled.for_token(token) is not None else None

    serializer = kernel.device_serializer(app.secret_key)

    def cookie_token(environ: dict) -> str | None:
        """The device token inside an enrolled browser's signed cookie, if any."""
        jar = SimpleCookie()
        try:
            jar.load(environ.get("HTTP_COOKIE", ""))
            morsel = jar.get(kernel.DEVICE_COOKIE)
            return serializer.loads(morsel.value) if morsel else None
        except (CookieError, BadSignature):
            return None

    limits = Limits(dict(cfg), identify, behind_proxy(ext.settings))
    limits.cookie_token = cookie_token
    app.extensions["onestop_limits"] = limits
    app.wsgi_app = middleware(app, limits)
    return limits
