"""Start page, login and logout, and the guard for pages that need a role."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from threading import Lock
from urllib.parse import urlparse

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from core.errors import QueueError
from core.users import Busy

from . import kernel
from .auth import end_session, start_session
from .i18n import bi_text
from .kernel import check_csrf
from .limits import client_key

bp = Blueprint("views", __name__)


class LoginLimiter:
    """Login attempts per address and per account, counted before any password is hashed.

    An attempt is booked before the hash is computed and refunded if it succeeds, so a burst
    of parallel guesses is refused at once instead of each being checked against a count
    that the others have not raised yet. Per address: at most `per_address` failures in
    `window_s` (an attacker's own address waits; others behind the same NAT do not share an
    account's count). Per account: `per_account` free tries, then each failure doubles a
    short wait (2 s, 4 s, ... up to `max_wait_s`): a real clerk is slowed, never locked out
    for long. A success clears the account's count.
    """

    def __init__(
        self, per_account: int = 5, per_address: int = 20, window_s: float = 300,
        max_wait_s: float = 300, max_entries: int = 10_000,
    ):  # fmt: skip
        self.per_account, self.per_address = per_account, per_address
        self.window_s, self.max_wait_s, self.max_entries = window_s, max_wait_s, max_entries
        self._addr: dict[str, deque] = defaultdict(deque)
        self._acct: dict[str, list] = {}  # name -> [failures, in flight, wait until, last]
        self._lock = Lock()

    def book(self, addr: str, name: str, now: float) -> tuple[str, float] | None:
        """Book an attempt; ("address"|"account", seconds to wait) when it must not be tried."""
        name = name.strip().casefold()[:64]
        with self._lock:
            q = self._addr[addr]
            while q and q[0] < now - self.window_s:
                q.popleft()
            if len(q) >= self.per_address:
                return "address", q[0] + self.window_s - now
            acct = self._acct.get(name) or [0, 0, 0.0, now]
            if now < acct[2]:
                return "account", acct[2] - now
            if acct[0] + acct[1] >= self.per_account and acct[1] > 0:
                return "account", 1.0  # over the free tries: one guess at a time
            if len(self._acct) >= self.max_entries:
                self._forget(now)
            acct[1] += 1
            acct[3] = now
            self._acct[name] = acct
            q.append(now)
            return None

    def done(self, addr: str, name: str, ok: bool, now: float, counted: bool = True) -> None:
        """The booked attempt's outcome; `counted=False` when no password was checked."""
        name = name.strip().casefold()[:64]
        with self._lock:
            acct = self._acct.get(name)
            if acct is not None:
                acct[1] = max(0, acct[1] - 1)
            q = self._addr.get(addr)
            if (ok or not counted) and q:
                q.pop()  # only failures count against an address
            if acct is None:
                return
            if ok:
                self._acct.pop(name, None)
            elif counted:
                acct[0] += 1
                over = acct[0] - self.per_account
                if over >= 0:
                    acct[2] = now + min(2.0 ** (over + 1), self.max_wait_s)

    def _forget(self, now: float) -> None:
        stale = [k for k, a in self._acct.items() if a[1] == 0 and a[3] < now - self.window_s]
        for k in stale or list(self._acct)[: len(self._acct) // 2]:
            self._acct.pop(k, None)
        for k in [k for k, q in self._addr.items() if not q or q[-1] < now - self.window_s]:
            del self._addr[k]


def limiter() -> LoginLimiter:
    app = current_app
    if "onestop_login_limiter" not in app.extensions:
        sec = app.extensions["onestop"].settings["security"]
        app.extensions["onestop_login_limiter"] = LoginLimiter(
            sec["login_failures_per_account"], sec["login_failures_per_address"],
            sec["login_window_s"], sec["login_max_wait_s"],
        )  # fmt: skip
    return app.extensions["onestop_login_limiter"]


def client_address() -> str:
    """The caller's address as the login limits count it (an IPv6 client as its /64)."""
    return client_key(kernel.client_address() or "?")


def _safe_next(target: str | None) -> str:
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlparse(target).netloc
    ):
        return target
    return url_for("views.index")


@bp.get("/")
def index():
    ext = current_app.extensions["onestop"]
    return render_template("index.html", office=ext.settings["office"])


@bp.route("/login", methods=["GET", "POST"])
def login():
    ext = current_app.extensions["onestop"]
    error, status = None, 200
    if request.method == "POST":
        try:
            check_csrf()
        except QueueError:
            # An expired session: show the form again with a fresh token rather than JSON.
            error = bi_text("login.expired")
            page = render_template(
                "login.html", error=error, office=ext.settings["office"],
                next=request.args.get("next"),
            )  # fmt: skip
            return page, 403
        error, status = _try_login(ext)
        if error is None:
            return redirect(_safe_next(request.args.get("next")))
    page = render_template(
        "login.html", error=error, office=ext.settings["office"], next=request.args.get("next")
    )
    return page, status


def _try_login(ext) -> tuple[str | None, int]:
    """Check the form's name and password: (None, 200) when logged in, else (error, status)."""
    addr, name = client_address(), request.form.get("name", "")
    now = time.monotonic()
    refused = limiter().book(addr, name, now)
    if refused is not None:
        what, wait = refused
        if what == "address":
            return bi_text("login.too_many"), 429
        return bi_text("login.wait", seconds=max(1, math.ceil(wait))), 429
    try:
        row = ext.users.authenticate(name, request.form.get("password", ""))
    except Busy:
        limiter().done(addr, name, False, now, counted=False)
        return bi_text("login.busy"), 429
    limiter().done(addr, name, row is not None, time.monotonic())
    if row is None:
        return bi_text("login.wrong"), 401
    start_session(row)
    return None, 200


@bp.post("/logout")
def logout():
    check_csrf()
    end_session()
    return redirect(url_for("views.login"))


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it on every page; answer with the project's icon."""
    return redirect(url_for("static", filename="favicon.svg"), 301)
