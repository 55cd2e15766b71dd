"""Wait estimate for a new ticket."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def estimate_wait(
    ahead: int, recent_service_s: Sequence[float], counters: int, default_service_s: float
) -> int:
    """Seconds until a ticket with `ahead` people before it is likely called.

    Uses the median of recent service times (robust to one forgotten Finish) and the
    number of open counters serving the procedure; with no history, the configured default.
    """
    if ahead <= 0:
        return 0
    per_ticket = statistics.median(recent_service_s) if recent_service_s else default_service_s
    return int(round(ahead * per_ticket / max(1, counters)))
