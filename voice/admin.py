"""The `voice_admin` blueprint: the office records its own voice (/admin/voice and its API).

Upload (PUT) makes a pending take the admin can hear alone or inside a whole announcement
(preview); save makes it what the lobby plays; delete goes back to the TTS engines.
Every route is for admins; cookie sessions send the CSRF header (server/kernel.py).
"""

from __future__ import annotations

import re

from flask import Blueprint, jsonify, render_template, request, send_file
from werkzeug.exceptions import RequestEntityTooLarge

from core import events
from core.errors import NotFound
from server.kernel import body, clerk_name, error_response, ext, page_require, require

from .levels import MAX_BYTES, BadRecording
from .phrase import Segment, call_plan
from .recorded import KEY_RE, RecordedVoice, Recording, recording_key
from .service import URL_PREFIX, VoiceService

bp = Blueprint("voice_admin", __name__, template_folder="templates")

NUMBER_RE = re.compile(r"^[A-Z]{0,3}\d{1,5}$")
RAW_TYPES = ("application/octet-stream", "audio/")
# The page records with the microphone; every other page keeps it off (server/security.py).
PAGE_PERMISSIONS = "camera=(), microphone=(self), geolocation=(), payment=()"


def voice() -> VoiceService:
    return ext().devices.voice


def recorded() -> RecordedVoice:
    return voice().recorded


def segments_by_key() -> dict[str, Segment]:
    """Every segment the office needs, by key, then those only recorded (config changed)."""
    out = {recording_key(s): s for s in voice().needed()}
    for which in ("saved", "pending"):
        for r in recorded().all(which):
            out.setdefault(r.key, Segment(r.lang, r.text))
    return out


def segment_of(key: str) -> Segment:
    seg = segments_by_key().get(key) if KEY_RE.match(key) else None
    if seg is None:
        raise NotFound("No such voice segment.", "unknown_segment")
    return seg


def serving(seg: Segment) -> tuple[str | None, str | None]:
    """(engine, URL) that a call would use for this segment now; (None, None) before warming."""
    url = recorded().url(seg)
    if url:
        return "recorded", url
    name = voice().best(seg)
    if name is None:
        return None, None
    engine = next((e.name for e, n in voice().names(seg) if n == name), None)
    return engine, URL_PREFIX + name


def with_url(rec: Recording | None, pending: bool) -> dict | None:
    if rec is None:
        return None
    q = "?pending=1" if pending else ""
    return {**rec.to_json(), "url": f"/api/admin/voice/segments/{rec.key}/audio{q}"}


def describe(key: str, seg: Segment, needed: set[str]) -> dict:
    engine, url = serving(seg)
    return {"key": key, "lang": seg.lang, "text": seg.text, "needed": key in needed,
            "engine": engine, "url": url,
            "recorded": with_url(recorded().get(key), False),
            "pending": with_url(recorded().get(key, "pending"), True)}  # fmt: skip


def audit(name: str, rec: Recording) -> None:
    ext().queue.record(name, clerk=clerk_name(), key=rec.key, lang=rec.lang, text=rec.text,
                       duration_ms=rec.duration_ms, peak_db=rec.peak_db)  # fmt: skip


@bp.get("/admin/voice")
@page_require("admin")
def page():
    """The recording page: segments, microphone, upload, listen, save, delete."""
    resp = render_template("voice_admin.html", office=ext().settings["office"],
                           max_mib=MAX_BYTES // (1024 * 1024))  # fmt: skip
    return resp, 200, {"Permissions-Policy": PAGE_PERMISSIONS}


@bp.get("/api/admin/voice/segments")
@require("admin")
def list_segments():
    """Every needed segment, whether it is recorded and which engine serves it now."""
    needed = {recording_key(s) for s in voice().needed()}
    items = [describe(k, s, needed) for k, s in segments_by_key().items()]
    return jsonify({"segments": items, "languages": list(voice().cfg.languages),
                    "recorded": sum(1 for i in items if i["recorded"] and i["needed"]),
                    "needed": len(needed)})  # fmt: skip


def upload_bytes() -> bytes:
    """The audio sent: the raw body (audio/*, octet-stream) or the `file` of a multipart form."""
    limit = MAX_BYTES + 64 * 1024  # the form's own bytes around the file
    too_big = BadRecording("too_large", f"At most {MAX_BYTES // (1024 * 1024)} MiB per file.")
    if request.content_length is not None and request.content_length > limit:
        raise too_big
    request.max_content_length = limit
    try:
        if request.mimetype == "multipart/form-data":
            f = request.files.get("file")
            if f is None:
                raise BadRecording("no_file", "Send the audio in a form field named 'file'.")
            return f.read(MAX_BYTES + 1)
        if not request.mimetype.startswith(RAW_TYPES):
            raise BadRecording("unsupported_media_type",
                               "Send the audio as the body (audio/wav, audio/mpeg) or as multipart.")  # fmt: skip
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        raise too_big from None
    if request.content_length is not None and len(raw) != request.content_length:
        raise BadRecording("incomplete_body", "The upload ended before its Content-Length.")
    return raw


@bp.put("/api/admin/voice/segments/<string:key>")
@require("admin")
def upload(key: str):
    """A new take of one segment, processed and kept pending until saved."""
    seg = segment_of(key)
    try:
        rec, done = recorded().upload(seg, upload_bytes(), clerk_name())
    except BadRecording as e:
        status = (
            503 if e.code == "no_decoder" else 415 if e.code == "unsupported_media_type" else 400
        )
        return error_response(e.code, e.message, status)
    audit(events.VOICE_UPLOADED, rec)
    return jsonify({**describe(key, seg, {recording_key(s) for s in voice().needed()}),
                    "duration_ms": done.duration_ms, "peak_db": done.peak_db,
                    "rms_db": done.rms_db, "gain_db": done.gain_db,
                    "input_ms": done.input_ms, "format": done.kind})  # fmt: skip


@bp.post("/api/admin/voice/segments/<string:key>/save")
@require("admin")
def save(key: str):
    """The pending take becomes what the lobby plays (from the next call)."""
    seg = segment_of(key)
    rec = recorded().save(key)
    if rec is None:
        return error_response("nothing_pending", "Upload or record this segment first.", 409)
    audit(events.VOICE_SAVED, rec)
    return jsonify(describe(key, seg, {recording_key(s) for s in voice().needed()}))


@bp.delete("/api/admin/voice/segments/<string:key>")
@require("admin")
def delete(key: str):
    """Back to the TTS engines for this segment (its recording and pending take removed)."""
    seg = segment_of(key)
    rec = recorded().delete(key)
    if rec is None:
        return error_response("not_recorded", "This segment has no recording.", 404)
    audit(events.VOICE_DELETED, rec)
    return jsonify(describe(key, seg, {recording_key(s) for s in voice().needed()}))


@bp.get("/api/admin/voice/segments/<string:key>/audio")
@require("admin")
def audio(key: str):
    """Listen to the saved recording, or with ?pending=1 to the take not yet saved."""
    segment_of(key)
    which = "pending" if request.args.get("pending") in ("1", "true") else "saved"
    rec = recorded().get(key, which)
    if rec is None:
        return error_response("not_recorded", f"No {which} recording of this segment.", 404)
    resp = send_file(recorded().dir / rec.file, mimetype="audio/wav", max_age=0)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/api/admin/voice/preview")
@require("admin")
def preview():
    """A whole announcement as it would play now (pending takes included unless pending=false)."""
    data = body()
    extra = sorted(set(data) - {"number", "counter", "pending"})
    if extra:
        return error_response("unknown_field", f"Unknown field: {extra[0][:40]}.", 400)
    number, counter = data.get("number", "A001"), data.get("counter", 1)
    if isinstance(counter, float) and counter.is_integer():
        counter = int(counter)  # JSON's 2.0 is the integer 2
    pending = data.get("pending", True)
    if not isinstance(number, str) or not NUMBER_RE.match(number):
        return error_response("invalid_number", "number: a ticket number such as A012.", 400)
    if type(counter) is not int or not 1 <= counter <= 999:
        return error_response("invalid_counter", "counter: a whole number from 1 to 999.", 400)
    if not isinstance(pending, bool):
        return error_response("invalid_pending", "pending: true or false.", 400)
    v = voice()
    if not v.engines:
        return error_response("voice_off", "No voice engine is configured.", 409)
    text, segs = call_plan(number, counter, v.cfg)
    urls = v.urls(segs, pending) if segs else []
    parts = [{"key": recording_key(s), "lang": s.lang, "text": s.text, "url": u,
              "source": source_of(u)} for s, u in zip(segs, urls, strict=True)]  # fmt: skip
    return jsonify(
        {"text": text, "audio": urls, "segments": parts, "chime": "/voice/static/chime.wav"}
    )


def source_of(url: str) -> str:
    """Which voice says a planned URL: recorded, pending, or the TTS engine of the file."""
    if url.endswith("?pending=1"):
        return "pending"
    if url.startswith("/voice/recorded/"):
        return "recorded"
    meta = voice().cache.meta(url.rsplit("/", 1)[-1])
    return meta["engine"] if meta else "rendering"
