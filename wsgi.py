"""Entry point for `flask` and gunicorn (wsgi:app)."""

import gc
import logging
import sys

# Warnings and errors of every part go to stderr (the journal under systemd), once each.
# Said here rather than left to python-escpos, whose import happens to call basicConfig.
logging.basicConfig(level=logging.WARNING, format="%(levelname)s:%(name)s:%(message)s")

# python-engineio imports aiohttp for its asyncio client whenever it is installed. The
# server never uses it; the dev requirements install it for the benchmarks' simulated
# screens, where it would add ~10 MB to the worker (a Pi's runtime venv has none).
sys.modules.setdefault("aiohttp", None)  # type: ignore[arg-type]

from server.app import create_app  # noqa: E402
from server.settings import ConfigError  # noqa: E402

try:
    app = create_app()
except ConfigError as e:
    # One clear line for the IT officer instead of a traceback; the service stays down.
    print(f"One-Stop Queue cannot start: config error in {e}", file=sys.stderr)
    raise SystemExit(2) from None

# Everything built so far lives as long as the process. Without this each full garbage
# collection walks it all again: a 45-55 ms pause on the 2-core machine, long enough to
# hold a call on its way to the lobby screens (bench/call_latency.py p99).
gc.collect()  # start-up garbage goes first, or freezing would keep it for good
gc.freeze()
