"""Lobby display: the TV page fed by the /display Socket.IO namespace, and its voice."""

from .views import bp

__all__ = ["bp"]
