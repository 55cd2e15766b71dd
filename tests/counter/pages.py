"""Helpers for tests that use the pages as a browser would: log in, read the CSRF token."""

from __future__ import annotations

import re

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def csrf_of(client, path: str = "/login") -> str:
    """The CSRF token a page of `path` carries for this client's session."""
    html = client.get(path).get_data(as_text=True)
    m = CSRF_META.search(html)
    assert m, f"no csrf meta on {path}"
    return m.group(1)


def login(client, name: str, password: str = "secret123", next_: str | None = None):
    token = csrf_of(client)
    url = "/login" + (f"?next={next_}" if next_ else "")
    return client.post(url, data={"name": name, "password": password, "csrf_token": token})


def add_user(onestop, name: str, role: str, password: str = "secret123") -> None:
    onestop.users.add(name, role, password)


def no_inline_script(html: str) -> bool:
    """No <script> without src and no on* attributes: the page works under script-src 'self'."""
    scripts = re.findall(r"<script\b([^>]*)>", html)
    if any("src=" not in attrs for attrs in scripts):
        return False
    return not re.search(r"<[^>]+\son[a-z]+\s*=", html)
