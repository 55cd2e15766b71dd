"""The on-disk segment cache: <data_dir>/voice/audio/<key>.<ext>, key = engine, language, text."""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from pathlib import Path

from .audio_info import NotAudio, duration
from .phrase import nfc

NAME_RE = re.compile(r"^([0-9a-f]{24})\.(wav|mp3)$")


def segment_key(engine: str, lang: str, text: str) -> str:
    """Stable file key: the same engine, language and NFC text always give the same file."""
    raw = "\x1f".join((engine, lang, nfc(text))).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:24]


class SegmentCache:
    """Files plus an in-memory index, so lookups at call time never touch the disk."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.audio_dir = self.root / "audio"
        self.audio_dir.mkdir(parents=True, exist_ok=True)
        self.index_path = self.root / "index.json"
        self._lock = threading.Lock()
        self._files: set[str] = set()  # "key.ext" present on disk
        self._meta: dict[str, dict] = {}  # key -> {engine, lang, text, ext, seconds, bytes}
        self.scan()

    def scan(self) -> None:
        """Rebuild the index from the directory (files are the truth; index.json adds labels)."""
        files = {p.name for p in self.audio_dir.iterdir() if NAME_RE.match(p.name)}
        try:
            meta = json.loads(self.index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        with self._lock:
            self._files = files
            keys = {NAME_RE.match(f)[1] for f in files}
            self._meta = {k: v for k, v in meta.items() if k in keys and isinstance(v, dict)}

    def name(self, engine: str, ext: str, lang: str, text: str) -> str:
        return f"{segment_key(engine, lang, text)}.{ext}"

    def has(self, name: str) -> bool:
        return name in self._files

    def path(self, name: str) -> Path | None:
        """The file of a valid cache name, else None (guards against path tricks)."""
        if not NAME_RE.match(name):
            return None
        return self.audio_dir / name

    def put(self, engine: str, ext: str, lang: str, text: str, data: bytes) -> str:
        """Check the audio, write it atomically, index it; return the file name."""
        seconds = duration(data, ext)  # raises NotAudio
        if not 0.05 <= seconds <= 30:
            raise NotAudio(f"implausible length {seconds:.2f} s")
        name = self.name(engine, ext, lang, text)
        tmp = self.audio_dir / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.audio_dir / name)
        with self._lock:
            self._files.add(name)
            self._meta[name.split(".")[0]] = {"engine": engine, "lang": lang, "text": nfc(text),
                                              "ext": ext, "seconds": round(seconds, 3),
                                              "bytes": len(data)}  # fmt: skip
            snapshot = json.dumps(self._meta, ensure_ascii=False, indent=0, sort_keys=True)
            itmp = self.index_path.with_suffix(f".{threading.get_ident()}.tmp")
            itmp.write_text(snapshot, encoding="utf-8")
            os.replace(itmp, self.index_path)
        return name

    def size_bytes(self) -> int:
        total = 0
        for name in list(self._files):
            try:
                total += (self.audio_dir / name).stat().st_size
            except OSError:
                pass
        return total

    def count(self) -> int:
        return len(self._files)

    def meta(self, name: str) -> dict | None:
        return self._meta.get(name.split(".")[0])
