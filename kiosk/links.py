"""Where a phone reaches the server: the base of the status-page URL put in QR codes.

`office.public_url` wins. Without it, the address a browser used last (a phone on the
LAN is best); a loopback address (the kiosk's own Chromium) is swapped for this machine's
LAN address, since a phone scanning the QR code cannot reach 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from urllib.parse import urlsplit


def lan_ip() -> str | None:
    """This machine's address on its default route (no packet is sent), or None."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
            ip = s.getsockname()[0]
    except OSError:
        return None
    return None if ip.startswith("127.") or ip == "0.0.0.0" else ip


def is_loopback(host: str | None) -> bool:
    if not host or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Links:
    """Builds absolute status-page URLs for tickets, with or without a request."""

    def __init__(self, public_url: str = "", default_port: int | None = None):
        self.public = public_url.rstrip("/")
        self.default_port = default_port or int(os.environ.get("PORT", "5000"))
        self._lan: str | None = None  # last scheme://host:port a non-loopback client used
        self._local: str | None = None  # same, for loopback clients (gives the port)

    def note(self, host_url: str) -> None:
        """Remember the base URL of a request (called for every request; cheap)."""
        base = host_url.rstrip("/")
        if is_loopback(urlsplit(base).hostname):
            self._local = base
        else:
            self._lan = base

    def base(self) -> str:
        if self.public:
            return self.public
        if self._lan:
            return self._lan
        parts = urlsplit(self._local or f"http://127.0.0.1:{self.default_port}")
        host = lan_ip() or parts.hostname or "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}"

    def ticket_url(self, ticket: dict) -> str:
        url = ticket.get("url") or f"/t/{ticket['id']}"
        return url if "://" in url else self.base() + url
