"""Bearer tokens of the hub: users (three roles) and offices (their sync token)."""

from __future__ import annotations

import functools
import secrets

from flask import g, request

from core.users import hash_password, token_hash, verify_password

from .errors import HubError

ROLES = ("province_admin", "province_viewer", "office_viewer")


def _bearer() -> str | None:
    value = request.headers.get("Authorization", "")
    return value[7:].strip() if value.startswith("Bearer ") else None


bearer = _bearer


def new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def user_for(pool, token: str | None) -> dict | None:
    if not token:
        return None
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT u.name, u.role, u.office FROM tokens t JOIN users u ON u.name = t.user_name "
            "WHERE t.token_hash = %s",
            (token_hash(token),),
        ).fetchone()
    return {"name": row[0], "role": row[1], "office": row[2]} if row else None


def office_for(pool, token: str | None) -> str | None:
    if not token:
        return None
    with pool.connection() as conn:
        row = conn.execute(
            "SELECT code FROM offices WHERE token_hash = %s", (token_hash(token),)
        ).fetchone()
    return row[0] if row else None


def viewer(view):
    """Any hub user; sets g.user. An office viewer's scope is checked by the view."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        from .app import pool

        g.user = user_for(pool(), _bearer())
        if g.user is None:
            raise HubError("unauthorized", "A valid Bearer token is required.", 401)
        return view(*args, **kwargs)

    return wrapped


def may_see(office: str) -> bool:
    u = g.user
    return u["role"] != "office_viewer" or u["office"] == office


def office_token(view):
    """The sync route: the office's own token; sets g.office."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        from .app import pool

        g.office = office_for(pool(), _bearer())
        if g.office is None:
            raise HubError("unauthorized", "A valid office sync token is required.", 401)
        return view(*args, **kwargs)

    return wrapped


__all__ = ["ROLES", "hash_password", "verify_password", "new_token", "viewer", "office_token"]
