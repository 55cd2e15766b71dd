"""The office's own recorded voice: the engine tried before gTTS and espeak-ng.

A recording is uploaded (pending: only the admin hears it, in a preview), then saved (the
lobby plays it from the next call), or deleted (back to the TTS engines). Files live in
<data_dir>/voice/recorded/<key>-<hash>.wav, named by their content so the lobby's
immutable caching never plays an old take; rows in `voice_recordings` and `voice_pending`
(migration m009). A new file is written and synced before its row points at it, and the old
file is removed only after that commit: a power cut mid-upload or mid-save loses nothing.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from .cache import segment_key
from .levels import Processed, process
from .phrase import Segment, nfc

URL_PREFIX = "/voice/recorded/"
KEY_RE = re.compile(r"^[0-9a-f]{24}$")
FILE_RE = re.compile(r"^([0-9a-f]{24})-([0-9a-f]{12})\.wav$")
COLUMNS = ("key", "lang", "text", "file", "duration_ms", "peak_db", "uploaded_by", "uploaded_at")
TABLES = {"saved": "voice_recordings", "pending": "voice_pending"}


def recording_key(seg: Segment) -> str:
    """The segment's key in the API and in file names (its language and NFC text)."""
    return segment_key("recorded", seg.lang, nfc(seg.text))


@dataclass(frozen=True)
class Recording:
    """One take of one segment, saved or pending."""

    key: str
    lang: str
    text: str
    file: str
    duration_ms: int
    peak_db: float
    uploaded_by: str | None
    uploaded_at: float

    def to_json(self) -> dict:
        return asdict(self)


class RecordedVoice:
    """Recordings on disk and in the database, indexed in memory for the call path."""

    name = "recorded"

    def __init__(self, store, root: Path, clock=None):
        import time

        self.store, self.dir, self.clock = store, Path(root), clock or time.time
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._rows: dict[str, dict[str, Recording]] = {"saved": {}, "pending": {}}
        self.load()
        self.sweep()

    def load(self) -> None:
        """Read both tables (the database is the truth; files are what it points at)."""
        conn = self.store.reader()
        rows = {}
        for which, table in TABLES.items():
            cur = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM {table}")  # noqa: S608 - fixed names
            # A row whose file is gone (a database restored without its recordings) is
            # not played: the segment falls back to the engines instead of going silent.
            found = (Recording(*r) for r in cur.fetchall())
            rows[which] = {r.key: r for r in found if (self.dir / r.file).is_file()}
        with self._lock:
            self._rows = rows

    def sweep(self) -> int:
        """Remove files no row points at (a take superseded before a power cut, temp files)."""
        with self._lock:
            used = {r.file for rows in self._rows.values() for r in rows.values()}
        gone = 0
        for p in self.dir.iterdir():
            if (
                p.is_file()
                and p.name not in used
                and (FILE_RE.match(p.name) or p.name.endswith(".tmp"))
            ):
                p.unlink(missing_ok=True)
                gone += 1
        return gone

    # -- lookups (memory only) ----------------------------------------------------------

    def get(self, key: str, which: str = "saved") -> Recording | None:
        return self._rows[which].get(key)

    def all(self, which: str = "saved") -> list[Recording]:
        return list(self._rows[which].values())

    def url(self, seg: Segment, pending: bool = False) -> str | None:
        """The URL of the segment's recording (the pending take first if asked), else None."""
        key = recording_key(seg)
        if pending and key in self._rows["pending"]:
            return f"/api/admin/voice/segments/{key}/audio?pending=1"
        rec = self._rows["saved"].get(key)
        return URL_PREFIX + rec.file if rec else None

    def path(self, name: str, pending: bool = False) -> Path | None:
        """The file of a saved (or, if asked, pending) recording by file name; None otherwise."""
        m = FILE_RE.match(name)
        if not m:
            return None
        for which in ("saved", "pending") if pending else ("saved",):
            rec = self._rows[which].get(m[1])
            if rec is not None and rec.file == name:
                return self.dir / name
        return None

    # -- changes ------------------------------------------------------------------------

    def _write(self, key: str, wav: bytes) -> str:
        name = f"{key}-{hashlib.sha256(wav).hexdigest()[:12]}.wav"
        tmp = self.dir / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as f:
            f.write(wav)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.dir / name)
        fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(fd)  # the rename itself survives a power cut before the row is written
        finally:
            os.close(fd)
        return name

    def _unlink_unused(self, names: list[str]) -> None:
        with self._lock:
            used = {r.file for rows in self._rows.values() for r in rows.values()}
        for name in names:
            if name and name not in used:
                (self.dir / name).unlink(missing_ok=True)

    def upload(self, seg: Segment, data: bytes, by: str | None) -> tuple[Recording, Processed]:
        """Process an upload into the segment's pending take; BadRecording changes nothing."""
        done = process(data)
        key = recording_key(seg)
        name = self._write(key, done.wav)
        rec = Recording(key, seg.lang, nfc(seg.text), name, done.duration_ms, done.peak_db, by,
                        float(self.clock()))  # fmt: skip
        with self.store.write() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO voice_pending ({', '.join(COLUMNS)})"
                f" VALUES ({', '.join('?' * len(COLUMNS))})",
                tuple(asdict(rec).values()),
            )
        with self._lock:
            old = self._rows["pending"].get(key)
            self._rows["pending"][key] = rec
        self._unlink_unused([old.file if old else ""])
        return rec, done

    def save(self, key: str) -> Recording | None:
        """The pending take becomes the segment's recording; None when nothing is pending."""
        rec = self._rows["pending"].get(key)
        if rec is None:
            return None
        with self.store.write() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO voice_recordings ({', '.join(COLUMNS)})"
                f" VALUES ({', '.join('?' * len(COLUMNS))})",
                tuple(asdict(rec).values()),
            )
            conn.execute("DELETE FROM voice_pending WHERE key = ?", (key,))
        with self._lock:
            old = self._rows["saved"].get(key)
            self._rows["saved"][key] = rec
            self._rows["pending"].pop(key, None)
        self._unlink_unused([old.file if old else ""])
        return rec

    def delete(self, key: str) -> Recording | None:
        """Forget the segment's recording and pending take; the one removed (or None)."""
        with self.store.write() as conn:
            for table in TABLES.values():
                conn.execute(f"DELETE FROM {table} WHERE key = ?", (key,))  # noqa: S608
        with self._lock:
            saved = self._rows["saved"].pop(key, None)
            pending = self._rows["pending"].pop(key, None)
        self._unlink_unused([r.file for r in (saved, pending) if r])
        return saved or pending
