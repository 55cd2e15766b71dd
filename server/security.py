"""Security headers on every response, and cookie flags for sites served over HTTPS."""

from __future__ import annotations

import os

from flask import Flask

# No inline script anywhere: pages load their JavaScript from /static. Inline styles stay
# allowed (style attributes are common in templates and cannot run code).
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "media-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def secure_cookies(settings) -> bool:
    """True when the site is reached over HTTPS: ONESTOP_SECURE_COOKIES or [security]."""
    env = os.environ.get("ONESTOP_SECURE_COOKIES")
    if env is not None:
        return env.strip().lower() in ("1", "true", "yes", "on")
    try:
        return bool(settings["security"]["secure_cookies"])
    except KeyError:
        return False


def init_app(app: Flask, settings) -> None:
    if secure_cookies(settings):
        app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)

    @app.after_request
    def add_headers(resp):
        for name, value in HEADERS.items():
            resp.headers.setdefault(name, value)
        if resp.mimetype == "application/json":
            # API answers may carry a ticket: never keep them in a shared cache.
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp
