"""Checks of what a caller sends, made before any transaction starts."""

from __future__ import annotations

from .errors import BadRequest

MIN_KEY = 8  # a key shorter than this is likely to be reused by another client


def check_issue(service, priority, kiosk, idempotency_key) -> None:
    """400 unless the fields of a ticket request have the right types and sizes."""
    if not isinstance(service, str) or not service:
        raise BadRequest("'service' must be a procedure code.", "invalid_service")
    if not isinstance(priority, bool):
        raise BadRequest("'priority' must be true or false.", "invalid_priority")
    if kiosk is not None and (not isinstance(kiosk, str) or len(kiosk) > 64):
        raise BadRequest("'kiosk' must be a short text.", "invalid_kiosk")
    if idempotency_key is not None and (
        not isinstance(idempotency_key, str) or not MIN_KEY <= len(idempotency_key) <= 128
    ):
        raise BadRequest(f"Idempotency-Key must be {MIN_KEY} to 128 characters.", "invalid_key")
