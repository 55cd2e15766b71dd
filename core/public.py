"""What may be shown to anyone: ticket objects without their secret id and status URL.

A ticket's id is what lets its holder follow it and rate the service, so the lobby
display, the public snapshot and the /display socket carry only the printed number.
"""

from __future__ import annotations

from typing import Any

SECRET_KEYS = ("id", "url", "rating", "kiosk", "estimated_wait_at_issue_s")


def redact(value: Any) -> Any:
    """A copy of `value` with every ticket object stripped of its secret keys."""
    if isinstance(value, dict):
        is_ticket = "number" in value and "status" in value
        return {k: redact(v) for k, v in value.items() if not (is_ticket and k in SECRET_KEYS)}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
