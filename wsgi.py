"""Entry point for `flask` and gunicorn (wsgi:app)."""

import sys

from server import create_app
from server.settings import ConfigError

try:
    app = create_app()
except ConfigError as e:
    # One clear line for the IT officer instead of a traceback; the service stays down.
    print(f"One-Stop Queue cannot start: config error in {e}", file=sys.stderr)
    raise SystemExit(2) from None
