"""Short log lines for malformed Socket.IO messages, instead of a traceback each.

Anyone on the office's public Wi-Fi can open a socket and send junk. python-engineio logs
every message it cannot decode as "message handler error" with a 20-line traceback, so a
script could fill the journal on the Pi's SD card and bury the lines the IT officer needs.
Here such a record becomes one warning naming the error, at most PER_MINUTE a minute (the
next one logged says how many were left out). A traceback that passes through the
project's own code is a bug of ours and is logged in full, as before.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PER_MINUTE = 10
ENGINE_LOGGER = "engineio.server"


def _our_code(tb) -> bool:
    """True if the traceback runs through the project's files (not its venv).

    Its first frame is the one that caught the error (engine.io's), so it is skipped.
    """
    tb = tb.tb_next if tb is not None else None
    while tb is not None:
        path = Path(tb.tb_frame.f_code.co_filename)
        if ROOT in path.parents and not any(p.name.startswith(".venv") for p in path.parents):
            return True
        tb = tb.tb_next
    return False


class JunkMessages(logging.Filter):
    """Turns engine.io's "message handler error" for client junk into a rate-limited line."""

    def __init__(self, per_minute: int = PER_MINUTE, clock=time.monotonic):
        super().__init__()
        self.per_minute = per_minute
        self.clock = clock
        self.window = clock()
        self.logged = 0
        self.left_out = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != "message handler error" or not record.exc_info:
            return True
        exc_type, exc, tb = record.exc_info
        if exc is None or _our_code(tb):
            return True
        now = self.clock()
        if now - self.window >= 60:
            self.window, self.logged = now, 0
        if self.logged >= self.per_minute:
            self.left_out += 1
            return False
        self.logged += 1
        more = f"; {self.left_out} more left out of the log" if self.left_out else ""
        self.left_out = 0
        record.msg = "dropped a malformed Socket.IO message from a client (%s: %.120s)%s"
        record.args = (exc_type.__name__, str(exc), more)
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def install() -> JunkMessages:
    """Add the filter to engine.io's logger once per process; return it.

    Also drops the stderr handlers python-engineio and python-socketio add to their own
    loggers when the root logger has one (wsgi.py sets it up): with both, every line of
    theirs was written twice.
    """
    logger = logging.getLogger(ENGINE_LOGGER)
    if logging.getLogger().handlers:
        for name in (ENGINE_LOGGER, "socketio.server"):
            lib = logging.getLogger(name)
            for h in list(lib.handlers):
                if type(h) is logging.StreamHandler:
                    lib.removeHandler(h)
    for f in logger.filters:
        if isinstance(f, JunkMessages):
            return f
    f = JunkMessages()
    logger.addFilter(f)
    return f
