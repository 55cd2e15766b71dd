"""Who is called next: the call order, once, as SQL and as its Python twin.

Transferred tickets head their new queue, then priority, then the order tickets joined
their line (`qseq`, the office's sequence: a wall-clock step cannot reorder it), then the
order numbers were drawn, then the printed label (so ties break the same way everywhere).
`CALL_ORDER` is what the index `tickets_line` (store.m004) holds;
`call_key` sorts plain rows the same way; tests/core/test_policy.py checks they agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .states import WAITING

CALL_ORDER = "head DESC, priority DESC, qseq, n, number"


def call_key(t: Mapping) -> tuple:
    """CALL_ORDER in Python: a key that sorts tickets in the order they are called."""
    return (-int(t["head"]), -int(t["priority"]), t["qseq"], t["n"], t["number"])


def pick_next(tickets: Iterable[Mapping], services: Iterable[str]) -> Mapping | None:
    """The waiting ticket a counter serving `services` should call, or None."""
    wanted = set(services)
    candidates = [t for t in tickets if t["status"] == WAITING and t["service"] in wanted]
    return min(candidates, key=call_key, default=None)


def people_ahead(ticket: Mapping, tickets: Iterable[Mapping]) -> int:
    """How many waiting tickets of the same service will be called before `ticket`."""
    key = call_key(ticket)
    return sum(
        1
        for t in tickets
        if t["status"] == WAITING
        and t["service"] == ticket["service"]
        and t["id"] != ticket["id"]
        and call_key(t) < key
    )
