"""The OpenAPI paths of the office's recorded voice (server/openapi.py merges them into SPEC)."""

from __future__ import annotations

ADMIN = [{"bearer": []}, {"session": [], "csrf": []}]
ERROR = {"$ref": "#/components/schemas/Error"}
KEY = {"name": "key", "in": "path", "required": True,
       "schema": {"type": "string", "pattern": "^[0-9a-f]{24}$"},
       "description": "A segment's key, from GET /api/admin/voice/segments."}  # fmt: skip
TAKE = {"type": ["object", "null"], "properties": {
    "key": {"type": "string"}, "lang": {"type": "string"}, "text": {"type": "string"},
    "file": {"type": "string"}, "duration_ms": {"type": "integer"}, "peak_db": {"type": "number"},
    "uploaded_by": {"type": ["string", "null"]}, "uploaded_at": {"type": "number"},
    "url": {"type": "string"}}}  # fmt: skip
SEGMENT = {"type": "object", "required": ["key", "lang", "text", "needed", "engine", "url",
                                          "recorded", "pending"], "properties": {
    "key": {"type": "string"}, "lang": {"type": "string"}, "text": {"type": "string"},
    "needed": {"type": "boolean", "description": "false: recorded, no longer in the sentence"},
    "engine": {"type": ["string", "null"], "description": "recorded, gtts, espeak or null"},
    "url": {"type": ["string", "null"], "description": "what a call plays for it now"},
    "recorded": TAKE, "pending": TAKE}}  # fmt: skip
UPLOADED = {"allOf": [SEGMENT, {"type": "object", "properties": {
    **{k: {"type": "integer"} for k in ("duration_ms", "input_ms")},
    **{k: {"type": "number"} for k in ("peak_db", "rms_db", "gain_db")},
    "format": {"type": "string", "enum": ["wav", "mp3", "ogg", "flac"]}}}]}  # fmt: skip


def ok(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def err(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


AUTH = {"401": err("No credentials, or a revoked token."),
        "403": err("Not an admin, or no CSRF header with a session.")}  # fmt: skip
NO_SEGMENT = {"404": err("No such segment (unknown_segment).")}
AUDIO_TYPES = ("audio/wav", "audio/mpeg", "audio/ogg", "audio/flac", "application/octet-stream")

PATHS = {
    "/api/admin/voice/segments": {"get": {
        "summary": "Every segment the office's call sentence needs, recorded or not.",
        "tags": ["admin"], "security": ADMIN,
        "responses": {"200": ok("The segments.", {"type": "object", "properties": {
            "segments": {"type": "array", "items": SEGMENT},
            "languages": {"type": "array", "items": {"type": "string"}},
            "recorded": {"type": "integer"}, "needed": {"type": "integer"}}}), **AUTH},
    }},
    "/api/admin/voice/segments/{key}": {
        "put": {
            "summary": "Upload a take (WAV, MP3, Ogg, FLAC; at most 8 MiB, 10 s after trimming): "
                       "trimmed, levelled and kept pending until saved.",
            "tags": ["admin"], "security": ADMIN, "parameters": [KEY],
            "requestBody": {"required": True, "content": {
                **{t: {"schema": {"type": "string", "format": "binary"}} for t in AUDIO_TYPES},
                "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}}}}}},
            "responses": {
                "200": ok("The pending take, with what was done to it.", UPLOADED),
                "400": err("not_audio, unsupported_audio (WebM), empty_recording, too_long, "
                           "too_large, incomplete_body, no_file: nothing changed."),
                "415": err("Not audio/*, application/octet-stream nor multipart."),
                "503": err("sox is not installed (no_decoder)."), **AUTH, **NO_SEGMENT},
        },
        "delete": {
            "summary": "Back to the TTS engines: the recording and any pending take removed.",
            "tags": ["admin"], "security": ADMIN, "parameters": [KEY],
            "responses": {"200": ok("The segment now.", SEGMENT), **AUTH,
                          "404": err("Unknown segment, or not recorded (not_recorded).")},
        },
    },
    "/api/admin/voice/segments/{key}/save": {"post": {
        "summary": "The pending take becomes what the lobby plays, from the next call.",
        "tags": ["admin"], "security": ADMIN, "parameters": [KEY],
        "responses": {"200": ok("The segment now.", SEGMENT), "400": err("Never for this route."),
                      "409": err("Nothing pending (nothing_pending)."), **AUTH, **NO_SEGMENT},
    }},
    "/api/admin/voice/segments/{key}/audio": {"get": {
        "summary": "Listen to the saved recording, or the pending take with ?pending=1.",
        "tags": ["admin"], "security": ADMIN, "parameters": [KEY, {
            "name": "pending", "in": "query", "required": False,
            "schema": {"type": "string", "enum": ["0", "1", "true", "false"]}}],
        "responses": {"200": {"description": "16-bit mono WAV.", "content": {
            "audio/wav": {"schema": {"type": "string", "format": "binary"}}}},
            **AUTH, "404": err("Unknown segment, or no such take (not_recorded).")},
    }},
    "/api/admin/voice/preview": {"post": {
        "summary": "A whole announcement as it would play now, pending takes included unless "
                   "pending is false.",
        "tags": ["admin"], "security": ADMIN,
        "requestBody": {"required": False, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": False, "properties": {
                "number": {"type": "string", "pattern": "^[A-Z]{0,3}[0-9]{1,5}$",
                           "default": "A001"},
                "counter": {"type": "integer", "minimum": 1, "maximum": 999, "default": 1},
                "pending": {"type": "boolean", "default": True}}}}}},
        "responses": {
            "200": ok("The sentence and the URLs in playing order (after the chime).", {
                "type": "object", "required": ["text", "audio", "segments", "chime"],
                "properties": {"text": {"type": "string"}, "chime": {"type": "string"},
                    "audio": {"type": "array", "items": {"type": "string"}},
                    "segments": {"type": "array", "items": {"type": "object", "properties": {
                        "key": {"type": "string"}, "lang": {"type": "string"},
                        "text": {"type": "string"}, "url": {"type": "string"},
                        "source": {"type": "string", "description":
                                   "recorded, pending, gtts, espeak or rendering"}}}}}}),
            "400": err("invalid_number, invalid_counter, invalid_pending, unknown_field, "
                       "invalid_json."),
            "409": err("No voice engine is configured (voice_off)."),
            "413": err("Body too large."), "415": err("Not application/json."), **AUTH},
    }},
}  # fmt: skip
