"""The event bus: messages leave only after their transaction commits, in commit order.

Slow subscribers (printer, voice) get an outbox and a thread each, so a hung printer
cannot hold back the screens. Inline subscribers (the screens' non-blocking fan-out) run
on the committing thread right after it lets go of the write lock, which saves a thread
hand-off on the way to the lobby. Every message name must be in the registry.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import queue as stdqueue
import threading
import time
from collections.abc import Callable
from typing import Any

from . import events

log = logging.getLogger(__name__)

Subscriber = Callable[[str, Any], None]


class Bus:
    """Subscribers, their outboxes, and delivery after commit."""

    def __init__(self, lock: threading.RLock):
        self.lock = lock  # the store's write lock: held while a change is being made
        self._subscribers: list[tuple[Subscriber, stdqueue.Queue]] = []
        self._inline: list[Subscriber] = []
        self._inline_pending: collections.deque = collections.deque()
        self._inline_lock = threading.Lock()  # one deliverer at a time keeps commit order
        self._depth = threading.local()  # nesting of changing() in this thread
        self.published_seq = 0

    def subscribe(self, fn: Subscriber, inline: bool = False) -> None:
        """Call fn(name, payload) after each commit, in commit order.

        By default on a thread of its own. inline=True: on the thread that committed, after
        it has released the write lock; only for subscribers that never block, since the
        clerk's or kiosk's request waits for them.
        """
        if inline:
            self._inline.append(fn)
            return
        outbox: stdqueue.Queue = stdqueue.Queue()
        self._subscribers.append((fn, outbox))
        threading.Thread(
            target=self._dispatch_loop,
            args=(fn, outbox),
            name=f"onestop-dispatch-{len(self._subscribers)}",
            daemon=True,
        ).start()

    def publish(self, messages: list[tuple[str, Any]]) -> None:
        """Queue committed messages for every subscriber; call with the write lock held."""
        for name, payload in messages:
            events.get(name)  # an unknown name is a bug: fail before anyone sees it
            self.published_seq = max(self.published_seq, getattr(payload, "seq", 0) or 0)
        for _fn, outbox in self._subscribers:
            for message in messages:
                outbox.put(message)
        if self._inline:
            self._inline_pending.extend(messages)  # under the write lock: commit order

    @contextlib.contextmanager
    def changing(self):
        """Hold the write lock; once this thread has let go of it, run inline subscribers."""
        with self.lock:
            self._depth.n = getattr(self._depth, "n", 0) + 1
            try:
                yield
            finally:
                self._depth.n -= 1
        if self._depth.n == 0:
            self._deliver_inline()

    def _deliver_inline(self) -> None:
        while self._inline_pending:
            with self._inline_lock:
                try:
                    name, payload = self._inline_pending.popleft()
                except IndexError:
                    return  # another thread delivered it
                for fn in self._inline:
                    self._tell(fn, name, payload)

    def _dispatch_loop(self, fn: Subscriber, outbox: stdqueue.Queue) -> None:
        while True:
            name, payload = outbox.get()
            try:
                self._tell(fn, name, payload)
            finally:
                outbox.task_done()

    @staticmethod
    def _tell(fn: Subscriber, name: str, payload: Any) -> None:
        try:
            fn(name, payload)
        except Exception:  # a broken subscriber must not stop later messages or others
            log.exception("subscriber %r failed on %s", fn, name)

    def drain(self, timeout: float = 5.0) -> None:
        """Wait until every published message has been handed out (tests, shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(
            outbox.unfinished_tasks for _fn, outbox in self._subscribers
        ):
            time.sleep(0.002)
