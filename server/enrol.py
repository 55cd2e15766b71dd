"""Enrolling a browser as a kiosk, lobby display or rating tablet (once, by the installer)."""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for

from .kernel import Unauthorized, ext, set_device_cookie

bp = Blueprint("enrol", __name__)


def home(device: dict) -> str:
    """The page an enrolled device shows."""
    if device["kind"] == "tablet":
        return url_for("reports.rate", number=device["counter"])
    if device["kind"] == "display":
        return url_for("display.page")
    return url_for("kiosk.kiosk")


@bp.get("/devices/enrol")
def enrol():
    """Open once on the device's browser with the token `flask device add` printed."""
    token = request.args.get("token", "")
    device = ext().enrolled.for_token(token)
    if device is None:
        raise Unauthorized("The device token is unknown or revoked.", "invalid_token")
    # Redirect at once: the token leaves the address bar and the history's last entry.
    resp = redirect(home(device))
    resp.headers["Cache-Control"] = "no-store"
    return set_device_cookie(resp, token)
