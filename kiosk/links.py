"""Where a phone reaches the server: the base of the status-page URL put in QR codes.

`office.public_url` wins. Without it: this machine's LAN address, with the scheme and
port the server was last reached at (the kiosk's own Chromium uses localhost, which a
phone cannot reach). Host names sent by clients are not trusted: a forged Host header
must not send citizens' phones elsewhere.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import time
from urllib.parse import urlsplit

LAN_IP_TTL_S = 60.0


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
        self._scheme, self._port = "http", self.default_port
        self._ip: str | None = None
        self._ip_at = -LAN_IP_TTL_S

    def lan_ip(self) -> str | None:
        """lan_ip(), re-read at most once a minute (DHCP may change it)."""
        now = time.monotonic()
        if now - self._ip_at >= LAN_IP_TTL_S:
            self._ip, self._ip_at = lan_ip(), now
        return self._ip

    def note(self, host_url: str) -> None:
        """Learn scheme and port from a request that reached this machine's own address."""
        if self.public:
            return
        try:
            parts = urlsplit(host_url)
            port = parts.port
        except ValueError:  # a malformed Host header
            return
        if is_loopback(parts.hostname) or parts.hostname == self.lan_ip():
            self._scheme = parts.scheme if parts.scheme in ("http", "https") else "http"
            self._port = port or (443 if self._scheme == "https" else 80)

    def base(self) -> str:
        if self.public:
            return self.public
        host = self.lan_ip() or "127.0.0.1"
        default = 443 if self._scheme == "https" else 80
        port = "" if self._port == default else f":{self._port}"
        return f"{self._scheme}://{host}{port}"

    def ticket_url(self, ticket: dict) -> str:
        url = ticket.get("url") or f"/t/{ticket['id']}"
        return url if "://" in url else self.base() + url
