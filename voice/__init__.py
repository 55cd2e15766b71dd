"""Announcements: phrases, number words, engines (gTTS, espeak-ng), the segment cache, the chime,
server playback, the /voice blueprint and `flask voice`. The queue never calls this package:
it subscribes to `ticket_called` (see voice/service.py)."""
