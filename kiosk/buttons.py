"""Physical buttons (gpiozero): one pin per procedure, for a kiosk without a touchscreen.

A press issues through QueueService.issue, the same path as the touch kiosk, so the
ticket prints and reaches the displays the same way. gpiozero is imported here only,
and only when `[kiosk] gpio = true`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from core.errors import QueueError

log = logging.getLogger(__name__)

# A second press of the same button within this time is taken as the same request.
REPEAT_GUARD_S = 1.5


class GpioButtons:
    """Buttons wired to GPIO pins (BCM numbers), active low with the internal pull-up."""

    def __init__(
        self,
        queue,
        buttons: list[dict],
        kiosk_id: str,
        pin_factory=None,
        bounce_time: float | None = 0.05,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        from gpiozero import Button

        self.queue = queue
        self.kiosk_id = kiosk_id
        self.monotonic = monotonic
        self._last: dict[int, float] = {}
        self._lock = threading.Lock()
        self.issued = 0
        self.last_error: str | None = None
        self.buttons = []
        try:
            for cfg in buttons:
                b = Button(cfg["pin"], pull_up=True, bounce_time=bounce_time,
                           pin_factory=pin_factory)  # fmt: skip
                b.when_pressed = lambda _b=None, cfg=cfg: self.press(cfg)
                self.buttons.append(b)
        except Exception:
            self.close()
            raise

    def press(self, cfg: dict) -> dict | None:
        """Issue the button's ticket (ignoring a repeat within REPEAT_GUARD_S)."""
        now = self.monotonic()
        with self._lock:
            last = self._last.get(cfg["pin"])
            if last is not None and now - last < REPEAT_GUARD_S:
                return None
            self._last[cfg["pin"]] = now
        try:
            ticket, _ = self.queue.issue(
                cfg["service"], priority=bool(cfg.get("priority")), kiosk=self.kiosk_id
            )
        except QueueError as e:  # closed procedure, numbers used up: nothing to print
            log.warning("button on pin %s: %s", cfg["pin"], e.message)
            self.last_error = e.code
            return None
        self.issued += 1
        return ticket

    def health(self) -> dict:
        return {
            "status": "ok",
            "buttons": len(self.buttons),
            "issued": self.issued,
            "last_error": self.last_error,
        }

    def close(self) -> None:
        for b in self.buttons:
            b.close()
        self.buttons = []
