"""The Flask application: factory, settings, auth, sockets, CLI."""

from .app import create_app

__all__ = ["create_app"]
