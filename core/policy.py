"""Who is called next: pure functions over plain rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .states import WAITING


def sort_key(t: Mapping) -> tuple:
    """Transferred tickets head their new queue, then priority, then oldest first."""
    return (0 if t["head"] else 1, 0 if t["priority"] else 1, t["queued_at"], t["number"])


def pick_next(tickets: Iterable[Mapping], services: Iterable[str]) -> Mapping | None:
    """The waiting ticket a counter serving `services` should call, or None."""
    wanted = set(services)
    candidates = [t for t in tickets if t["status"] == WAITING and t["service"] in wanted]
    return min(candidates, key=sort_key, default=None)


def people_ahead(ticket: Mapping, tickets: Iterable[Mapping]) -> int:
    """How many waiting tickets of the same service will be called before `ticket`."""
    key = sort_key(ticket)
    return sum(
        1
        for t in tickets
        if t["status"] == WAITING
        and t["service"] == ticket["service"]
        and t["id"] != ticket["id"]
        and sort_key(t) < key
    )
