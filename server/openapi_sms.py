"""The OpenAPI paths of the SMS outbox (sms/views.py); merged by server/openapi.py."""

from __future__ import annotations

from .openapi_parts import AUTH, BAD, CLERK, EMPTY_BODY, NULL_STR, TIME, answer, error

STATES = ["queued", "sending", "sent", "failed", "cancelled"]
SMS = {
    "type": "object",
    "required": ["id", "code", "purpose", "state", "tries", "phone", "text"],
    "properties": {
        "id": {"type": "integer"}, "code": NULL_STR,
        "purpose": {"type": ["string", "null"], "enum": ["ready", "near", None]},
        "state": {"type": "string", "enum": STATES}, "tries": {"type": "integer"},
        "error": NULL_STR, "text": {"type": "string"},
        "phone": {"type": "string", "description": "Masked to its last 3 digits; empty once "
                  "sent or deleted on schedule."},
        "next_at": TIME, "created_at": TIME, "sent_at": TIME,
    },
}  # fmt: skip

PATHS: dict = {
    "/api/sms": {"get": {
        "summary": "Messages to citizens, newest first (supervisor; numbers masked).",
        "tags": ["sms"], "security": CLERK,
        "parameters": [{"name": "state", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": STATES}}],
        "responses": {
            "200": answer("Up to 200 messages.", {"type": "object", "required": ["sms"],
                          "properties": {"sms": {"type": "array", "items": SMS}}}),
            "400": error("invalid_state."), **AUTH,
        },
    }},
    "/api/sms/{sms_id}/retry": {"post": {
        "summary": "Queue a failed message again, with a fresh set of tries (supervisor).",
        "tags": ["sms"], "security": CLERK,
        "parameters": [{"name": "sms_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 0}}],
        "requestBody": EMPTY_BODY,
        "responses": {
            "200": answer("The message, queued.", {"type": "object", "required": ["sms"],
                          "properties": {"sms": SMS}}),
            **BAD, **AUTH, "404": error("unknown_sms."),
            "409": error("not_failed (only a failed message is retried) or no_phone (the "
                         "number was deleted on schedule)."),
        },
    }},
}  # fmt: skip
