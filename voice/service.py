"""The voice announcer: call sentence -> cached audio segments, rendered and warmed off the call path.

The queue never calls voice. After a call commits, `VoiceService.plan(call)` is applied on
the way to the screens (and to each snapshot's recent calls): it only looks things up in
memory, returns the URLs of the segments already cached and queues the missing ones for
rendering on a background thread. Voice also subscribes to `ticket_called` on a thread of
its own to check that every segment arrived (`voice_gap`) and to play on the server. A segment not yet cached gets the URL of the file the first
offline engine (espeak-ng) will write; the audio route waits briefly for that render.
A segment the office recorded (voice/recorded.py) is played from its recording, before any
engine.
"""

from __future__ import annotations

import logging
import queue as stdqueue
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from core import events
from core.shapes import Call

from .audio_info import NotAudio
from .cache import SegmentCache
from .engines import Engine, EngineError, make_engines
from .phrase import Segment, VoiceConfig, call_plan, needed_segments

log = logging.getLogger("onestop.voice")

URL_PREFIX = "/voice/audio/"
CHIME_URL = "/voice/static/chime.wav"
CHECK_INTERVAL_S = 60.0  # how often the warmer looks for config changes and retries
PENDING_WAIT_S = 4.0  # how long the audio route waits for a segment being rendered


def plain_sentence(number: str, counter: int) -> str:
    """The call said plainly, digit by digit: what the screens show if voice breaks."""
    return f"Mời công dân có số thứ tự {' '.join(number)} đến quầy số {counter}"


def _stepped(items: list, before: int, steps: Callable[[int, int], None] | None):
    """Yield items; after each one's loop body, steps(before + n done, 2 * len(items))."""
    for n, item in enumerate(items, 1):
        yield item
        if steps:
            steps(before + n, 2 * len(items))


class VoiceService:
    """Segments, cache, engines and the background workers of one app."""

    def __init__(self, settings, data_dir: Path, engines: list[Engine] | None = None):
        self.settings = settings
        self.cache = SegmentCache(Path(data_dir) / "voice")
        self._lock = threading.Lock()
        self._inflight: dict[str, threading.Event] = {}  # file name -> set when done
        self._promised: dict[str, Segment] = {}  # file name handed out before it existed
        self._urgent: stdqueue.Queue = stdqueue.Queue()
        self._gaps_q: stdqueue.Queue = stdqueue.Queue()
        self._wake = threading.Event()
        self._threads: dict[str, threading.Thread] = {}
        self.warming = False
        self.last_warm: dict | None = None
        self.gaps: deque = deque(maxlen=50)
        self.record: Callable[..., None] | None = None  # queue.record, set by init_app
        self.player = None
        self.recorded = None  # RecordedVoice, set by init_app: tried before every engine
        self._plans: dict[tuple[str, str], dict] = {}  # what the screens were told, newest last
        self._plans_lock = threading.Lock()
        self._config_mtime = self._mtime()
        self.configure(settings, engines)

    # -- configuration ------------------------------------------------------------------

    def configure(self, settings, engines: list[Engine] | None = None) -> None:
        """(Re)read the [voice] settings, procedures and counters."""
        voice = settings["voice"]
        self.settings = settings
        self.voice = voice
        self.enabled = bool(voice["enabled"])
        self.cfg = VoiceConfig.from_settings(voice)
        self.engines = engines if engines is not None else make_engines(voice["engines"], voice)
        self.repeat = max(1, int(voice["repeat"]))
        self.services = [dict(s) for s in settings.services]
        self.counters = [c["number"] for c in settings.counters]
        self._needed: list[Segment] | None = None
        self._upcoming: list[Segment] = []  # needed by a config file changed since start

    def follow(self, settings) -> None:
        """A new config version is in force (ext.config): its procedures and counters are
        called from now on, so their segments are warmed now (engines kept if unchanged)."""
        same = list(settings["voice"]["engines"]) == list(self.voice["engines"])
        self.configure(settings, self.engines if same else None)
        if "voice-warm" in self._threads:
            self._wake.set()

    @property
    def active(self) -> bool:
        return self.enabled and bool(self.engines) and bool(self.cfg.languages)

    def needed(self) -> list[Segment]:
        """Every segment the configured office can need (cached until reconfigured)."""
        if self._needed is None:
            self._needed = needed_segments(self.cfg, self.services, self.counters)
        return self._needed

    def _mtime(self) -> float | None:
        try:
            return Path(self.settings.path).stat().st_mtime
        except (OSError, TypeError):
            return None

    def reload_if_changed(self) -> None:
        """The config file changed on disk: warm what the new office will need."""
        mtime = self._mtime()
        if mtime is None or mtime == self._config_mtime:
            return
        self._config_mtime = mtime
        from server import settings as settings_mod

        try:
            new = settings_mod.load(self.settings.path)
        except settings_mod.ConfigError as e:
            log.warning("voice: config changed but cannot be read: %s", e)
            return
        # Calls keep today's config until the server restarts; warm for the new one now.
        cfg = VoiceConfig.from_settings(new["voice"])
        counters = [c["number"] for c in new.counters]
        current = set(self.needed())
        self._upcoming = [
            s for s in needed_segments(cfg, new.services, counters) if s not in current
        ]
        log.info("voice: config changed, warming %d new segment(s)", len(self._upcoming))

    # -- lookups (call path: memory only) ------------------------------------------------

    def names(self, seg: Segment) -> list[tuple[Engine, str]]:
        return [(e, self.cache.name(e.name, e.ext, seg.lang, seg.text)) for e in self.engines]

    def best(self, seg: Segment) -> str | None:
        """The cached file of the most preferred engine that has this segment."""
        for _engine, name in self.names(seg):
            if self.cache.has(name):
                return name
        return None

    def fallback_engine(self) -> Engine | None:
        """The engine that renders a missing segment at call time: the first offline one."""
        return next(
            (e for e in self.engines if e.offline), self.engines[0] if self.engines else None
        )

    def resolve(self, segments: list[Segment]) -> list[str]:
        """File names for the segments, in order; missing ones are queued for rendering.

        Within one language the voice is kept consistent: if one engine has every
        segment of the sentence cached, all of them come from it.
        """
        out: list[str] = []
        by_lang: dict[str, list[Segment]] = {}
        for seg in segments:
            by_lang.setdefault(seg.lang, []).append(seg)
        whole: dict[str, Engine] = {}
        for lang, segs in by_lang.items():
            for engine in self.engines:
                if all(
                    self.cache.has(self.cache.name(engine.name, engine.ext, s.lang, s.text))
                    for s in segs
                ):
                    whole[lang] = engine
                    break
        for seg in segments:
            engine = whole.get(seg.lang)
            if engine is not None:
                out.append(self.cache.name(engine.name, engine.ext, seg.lang, seg.text))
                continue
            name = self.best(seg)
            if name is None:
                fb = self.fallback_engine()
                name = self.cache.name(fb.name, fb.ext, seg.lang, seg.text)
                self._promise(name, seg, fb)
            out.append(name)
        return out

    def _promise(self, name: str, seg: Segment, engine: Engine) -> None:
        with self._lock:
            self._promised[name] = seg  # the audio route resolves the name through this
            if name in self._inflight:
                return  # already being rendered; a failed one is tried again by the next call
            self._inflight[name] = threading.Event()
        self._start("voice-urgent", self._urgent_loop)
        self._urgent.put((name, seg))

    def urls(self, segments: list[Segment], pending: bool = False) -> list[str]:
        """Audio URLs in order: the office's recording where there is one, else resolve()."""
        rec = self.recorded
        own = [rec.url(s, pending) if rec else None for s in segments]
        rest = iter(self.resolve([s for s, u in zip(segments, own, strict=True) if u is None]))
        return [u or URL_PREFIX + next(rest) for u in own]

    def call(self, number: str, counter: int, pending: bool = False) -> dict:
        """Announcer.call: the sentence and the ordered audio URLs. Never blocks, never raises."""
        try:
            text, segments = call_plan(number, counter, self.cfg)
            if not self.active:
                return {"text": text, "audio": []}
            return {"text": text, "audio": self.urls(segments, pending)}
        except Exception:  # on the screens' path: a voice bug must not hold back the call
            log.exception("voice: cannot announce %r at counter %r", number, counter)
            return {"text": plain_sentence(number, counter), "audio": []}

    def plan(self, call: Call) -> Call:
        """The call with its sentence and the ordered audio URLs (memory only, never raises)."""
        said = self.call(call.ticket.number, call.counter)
        with self._plans_lock:  # for the gap check: the files the screens were sent
            self._plans[(call.ticket.id, call.at)] = said
            while len(self._plans) > 64:
                self._plans.pop(next(iter(self._plans)))
        return call.said(said["text"], said["audio"])

    # -- rendering (background threads and the CLI) ----------------------------------------

    def render(self, seg: Segment, engine: Engine) -> str:
        """Render one segment with one engine and cache it; return the file name."""
        name = self.cache.name(engine.name, engine.ext, seg.lang, seg.text)
        if self.cache.has(name):
            return name
        data = engine.render(seg.text, seg.lang)
        try:
            return self.cache.put(engine.name, engine.ext, seg.lang, seg.text, data)
        except NotAudio as e:
            raise EngineError("bad_audio", str(e)) from None

    def _render_any(self, seg: Segment, engines: list[Engine]) -> tuple[str | None, list[str]]:
        errors = []
        for engine in engines:
            if getattr(engine, "resting", lambda: False)():
                errors.append(f"{engine.name}: resting")
                continue
            try:
                return self.render(seg, engine), errors
            except EngineError as e:
                errors.append(f"{engine.name}: {e}")
            except Exception as e:  # an engine bug must not kill the worker
                log.exception("voice: %s failed on %r", engine.name, seg.text)
                errors.append(f"{engine.name}: {e}")
        return None, errors

    def _urgent_loop(self) -> None:
        while True:
            name, seg = self._urgent.get()
            try:
                promised = next((e for e, n in self.names(seg) if n == name), None)
                order = [promised] + [e for e in self.engines if e is not promised]
                got, errors = self._render_any(seg, [e for e in order if e is not None])
                if got is None:
                    log.warning("voice: no engine could say %r: %s", seg.text, "; ".join(errors))
            finally:
                with self._lock:
                    ev = self._inflight.pop(name, None)
                if ev:
                    ev.set()

    def wait_for(self, name: str, timeout: float = PENDING_WAIT_S) -> bool:
        """Wait for a promised file being rendered; True once it exists."""
        ev = self._inflight.get(name)
        if ev is not None:
            ev.wait(timeout)
        return self.cache.has(name)

    def promised_segment(self, name: str) -> Segment | None:
        return self._promised.get(name)

    def warm(self, engines: list[str] | None = None, progress: Callable[[str], None] | None = None,
             stop: threading.Event | None = None,
             steps: Callable[[int, int], None] | None = None) -> dict:  # fmt: skip
        """Render every needed segment: first coverage with offline engines, then quality.

        Returns counts: needed, rendered per engine, failed segments, seconds taken.
        progress gets a line per segment rendered; steps(done, total) is called after each
        segment of either pass (total: twice the segments needed).
        """
        t0 = time.monotonic()
        chosen = [e for e in self.engines if engines is None or e.name in engines]
        needed = self.needed() + self._upcoming
        rendered: dict[str, int] = {}
        failed: list[dict] = []
        self.warming = True
        try:
            cover = [e for e in chosen if e.offline] or chosen
            for seg in _stepped(needed, 0, steps):
                if stop is not None and stop.is_set():
                    break
                if self.best(seg) is not None:
                    continue
                name, errors = self._render_any(seg, cover)
                if name:
                    engine = self.cache.meta(name)["engine"]
                    rendered[engine] = rendered.get(engine, 0) + 1
                    if progress:
                        progress(f"{engine}\t{seg.lang}\t{seg.text}")
                else:
                    failed.append({"lang": seg.lang, "text": seg.text, "errors": errors})
            # Quality pass: a better (earlier, usually online) engine for what is cached.
            for seg in _stepped(needed, len(needed), steps):
                if stop is not None and stop.is_set():
                    break
                names = self.names(seg)
                have = next((i for i, (_e, n) in enumerate(names) if self.cache.has(n)), len(names))
                for engine, _n in names[:have]:
                    if engine not in chosen or getattr(engine, "resting", lambda: False)():
                        continue
                    try:
                        self.render(seg, engine)
                        rendered[engine.name] = rendered.get(engine.name, 0) + 1
                        if progress:
                            progress(f"{engine.name}\t{seg.lang}\t{seg.text}")
                        break
                    except EngineError:
                        continue
        finally:
            self.warming = False
        still = [s for s in needed if self.best(s) is None]
        report = {
            "needed": len(needed),
            "rendered": rendered,
            "missing": len(still),
            "failed": failed,
            "seconds": round(time.monotonic() - t0, 3),
            "cache_files": self.cache.count(),
            "cache_bytes": self.cache.size_bytes(),
        }
        self.last_warm = {**report, "failed": len(failed), "at": time.time()}
        return report

    def _warm_loop(self) -> None:
        while True:
            try:
                self.reload_if_changed()
                if self.active:
                    self.warm()
            except Exception:  # keep warming later; never take the server down
                log.exception("voice: background warm failed")
            self._wake.wait(CHECK_INTERVAL_S)
            self._wake.clear()

    def start_warming(self) -> None:
        """Warm in the background now, and again every minute for what is still missing."""
        self._start("voice-warm", self._warm_loop)
        self._wake.set()

    def _start(self, name: str, target) -> None:
        with self._lock:
            t = self._threads.get(name)
            if t is None or not t.is_alive():
                t = threading.Thread(target=target, name=name, daemon=True)
                self._threads[name] = t
                t.start()

    # -- after a call is committed (dispatcher thread: hand off, never wait here) ----------

    def on_event(self, name: str, payload) -> None:
        if name != events.TICKET_CALLED or not self.active:
            return
        self._start("voice-gaps", self._gap_loop)
        self._gaps_q.put(payload)

    def _gap_loop(self) -> None:
        while True:
            payload = self._gaps_q.get()
            try:
                self._check_call(payload)
            except Exception:
                log.exception("voice: checking a call failed")

    def _check_call(self, payload: events.TicketCalled) -> None:
        ticket = payload.call.ticket
        said = self._plans.get((ticket.id, payload.call.at))
        call = payload.call.said(said["text"], said["audio"]) if said else self.plan(payload.call)
        files = [u[len(URL_PREFIX) :] for u in call.audio if u.startswith(URL_PREFIX)]
        missing = []
        for name in files:
            if self.cache.has(name) or self.wait_for(name, timeout=30):
                continue
            seg = self._promised.get(name)
            if seg is not None and self.best(seg) is not None:
                continue  # another engine had it: the audio route redirects there
            missing.append(seg.text if seg else name)
        if missing:
            missing = list(dict.fromkeys(missing))
            gap = {"ticket_id": ticket.id, "number": ticket.number,
                   "counter": call.counter, "missing": missing}  # fmt: skip
            self.gaps.append({**gap, "at": time.time()})
            log.warning("voice gap for %s: %s", ticket.number, missing)
            if self.record:
                self.record(events.VOICE_GAP, ticket.id, counter=call.counter,
                            missing=missing, engines=[e.name for e in self.engines])  # fmt: skip
        if self.player is not None:
            paths = [p for p in map(self._path_of, call.audio) if p is not None]
            self.player.play(paths, repeat=self.repeat, recall=payload.recall)

    def _path_of(self, url: str) -> Path | None:
        """The file behind a planned URL (a cached segment or a saved recording)."""
        name = url.rsplit("/", 1)[-1]
        if url.startswith(URL_PREFIX):
            return self.cache.path(name) if self.cache.has(name) else None
        return self.recorded.path(name) if self.recorded is not None else None

    # -- health ----------------------------------------------------------------------------

    def health(self) -> dict:
        """For /api/health: segments cached and missing, engines reachable."""
        if not self.active:
            return {"status": "disabled" if not self.enabled else "not_configured",
                    "engines": [e.name for e in self.engines]}  # fmt: skip
        needed = self.needed()
        cached = sum(1 for s in needed if self.best(s) is not None)
        preferred = sum(1 for s in needed if self.cache.has(self.names(s)[0][1]))
        missing = len(needed) - cached
        reachable = any(e.state().get("reachable", e.available()) for e in self.engines)
        return {
            "status": "ok" if missing == 0 and reachable else "degraded",
            "segments": {
                "needed": len(needed),
                "cached": cached,
                "missing": missing,
                "preferred_engine": preferred,
            },  # fmt: skip
            "engines": {e.name: e.state() for e in self.engines},
            "cache_files": self.cache.count(),
            "warming": self.warming,
            "last_warm": self.last_warm,
            "recent_gaps": len(self.gaps),
            "recorded": sum(1 for s in needed if self.recorded and self.recorded.url(s)),
        }
