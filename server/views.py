"""Start page, login and logout, and the guard for pages that need a role."""

from __future__ import annotations

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
    session,
    url_for,
)
from flask_login import login_user, logout_user

from core.errors import QueueError

from .i18n import bi_text
from .kernel import User, check_csrf

bp = Blueprint("views", __name__)

# Failed logins per client address: at most MAX_FAILURES in WINDOW_S seconds.
MAX_FAILURES, WINDOW_S = 5, 300


class LoginLimiter:
    """Counts failed logins per address in a sliding window (one per app)."""

    def __init__(self, max_failures: int = MAX_FAILURES, window_s: float = WINDOW_S):
        self.max_failures, self.window_s = max_failures, window_s
        self._failures: dict[str, deque] = defaultdict(deque)
        self._lock = Lock()

    def blocked(self, addr: str, now: float) -> bool:
        with self._lock:
            q = self._failures[addr]
            while q and q[0] < now - self.window_s:
                q.popleft()
            if not q:
                del self._failures[addr]  # keep the table small on a long-running server
            return len(q) >= self.max_failures

    def failed(self, addr: str, now: float) -> None:
        with self._lock:
            self._failures[addr].append(now)


def limiter() -> LoginLimiter:
    return current_app.extensions.setdefault("onestop_login_limiter", LoginLimiter())


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
    error = None
    status = 200
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
        addr = request.remote_addr or "?"
        now = time.monotonic()
        if limiter().blocked(addr, now):
            error = bi_text("login.too_many")
            status = 429
        else:
            row = ext.users.authenticate(
                request.form.get("name", ""), request.form.get("password", "")
            )
            if row is None:
                limiter().failed(addr, now)
                error = bi_text("login.wrong")
                status = 401
            else:
                session.clear()  # no session fixation: a fresh session on login
                login_user(User(row))
                return redirect(_safe_next(request.args.get("next")))
    page = render_template(
        "login.html", error=error, office=ext.settings["office"], next=request.args.get("next")
    )
    return page, status


@bp.post("/logout")
def logout():
    check_csrf()
    logout_user()
    session.clear()
    return redirect(url_for("views.login"))


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it on every page; answer with the project's icon."""
    return redirect(url_for("static", filename="favicon.svg"), 301)
