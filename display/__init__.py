"""Lobby display and its voice announcer."""
