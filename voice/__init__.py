"""Announcements: phrases, number words, the office's recordings and the engines (gTTS,
espeak-ng), the segment cache, the chime, server playback, the /voice and /admin/voice
blueprints and `flask voice`. The queue never calls this package:
it subscribes to `ticket_called` (see voice/service.py)."""
