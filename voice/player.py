"""Optional playback on the server's own speaker (aplay for WAV, mpg123 for MP3), one call at a time."""

from __future__ import annotations

import logging
import queue as stdqueue
import shlex
import subprocess
import threading
from pathlib import Path

log = logging.getLogger("onestop.voice")


class AudioPlayer:
    """Plays chime + segments in a background thread; calls queue up, never overlap."""

    def __init__(self, player: str = "aplay", mp3_player: str = "mpg123 -q", chime: Path | None = None,
                 timeout_s: float = 30.0):  # fmt: skip
        self.player = shlex.split(player)
        self.mp3_player = shlex.split(mp3_player)
        self.chime = chime
        self.timeout_s = timeout_s
        self._q: stdqueue.Queue = stdqueue.Queue()
        self._thread: threading.Thread | None = None
        self.played: list[str] = []  # file names in the order played (health, tests)

    def play(self, paths: list[Path], repeat: int = 1, recall: bool = False) -> None:
        """Queue one call: the chime, then the segments, `repeat` times."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="voice-player", daemon=True)
            self._thread.start()
        self._q.put(([self.chime] if self.chime else []) + list(paths) * max(1, repeat))

    def _loop(self) -> None:
        while True:
            files = self._q.get()
            for path in files:
                cmd = self.mp3_player if str(path).endswith(".mp3") else self.player
                try:
                    subprocess.run([*cmd, str(path)], capture_output=True, timeout=self.timeout_s,
                                   check=True)  # fmt: skip
                    self.played.append(Path(path).name)
                except (OSError, subprocess.SubprocessError) as e:
                    log.warning("server playback of %s failed: %s", path, e)
            self._q.task_done()

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until everything queued has been played (tests)."""
        import time

        deadline = time.monotonic() + timeout
        while self._q.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
