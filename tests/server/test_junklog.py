"""Malformed Socket.IO messages are logged short and rate-limited; our own bugs in full."""

from __future__ import annotations

import functools
import json
import logging
import sys

from server.junklog import JunkMessages


class Clock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def record_of(fn) -> logging.LogRecord:
    """The record engine.io's `logger.exception("message handler error")` makes."""
    try:
        fn()
    except Exception:
        exc_info = sys.exc_info()
    return logging.LogRecord(
        "engineio.server", logging.ERROR, __file__, 1, "message handler error", None, exc_info
    )


junk = functools.partial(json.loads, "[[[}")  # fails in the standard library: a client's junk


def our_bug():
    raise KeyError("a handler of ours broke")


def test_junk_becomes_one_warning_line():
    f = JunkMessages()
    r = record_of(junk)
    assert f.filter(r)
    assert r.levelname == "WARNING" and r.exc_info is None
    assert r.getMessage().startswith("dropped a malformed Socket.IO message from a client")
    assert "JSONDecodeError" in r.getMessage()
    assert "Traceback" not in logging.Formatter().format(r)


def test_a_flood_is_cut_to_a_few_lines_a_minute_and_says_how_many_were_left_out():
    clock = Clock()
    f = JunkMessages(per_minute=10, clock=clock)
    kept = [f.filter(record_of(junk)) for _ in range(500)]
    assert sum(kept) == 10
    clock.t = 61
    r = record_of(junk)
    assert f.filter(r)
    assert "490 more left out of the log" in r.getMessage()


def test_a_bug_in_our_own_code_keeps_its_traceback():
    f = JunkMessages(per_minute=0)
    r = record_of(our_bug)
    assert f.filter(r)
    assert r.levelname == "ERROR" and r.exc_info is not None


def test_other_records_pass_untouched():
    f = JunkMessages(per_minute=0)
    r = logging.LogRecord("engineio.server", logging.INFO, __file__, 1, "hello", None, None)
    assert f.filter(r) and r.getMessage() == "hello"
