"""Clerk console: one counter's buttons, its current ticket and the queue it serves."""

from .views import bp

__all__ = ["bp"]
