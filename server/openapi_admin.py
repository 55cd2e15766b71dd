"""The OpenAPI paths of the admin's configuration API (server/admin_api.py), merged by openapi.py."""

from __future__ import annotations

ADMIN = [{"bearer": []}, {"session": [], "csrf": []}]


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema: dict | None = None) -> dict:
    out: dict = {"description": description}
    if schema is not None:
        out["content"] = {"application/json": {"schema": schema}}
    return out


def _error(description: str) -> dict:
    return _answer(description, _ref("Error"))


ERRORS = {
    "401": _error("No credentials, or a revoked token."),
    "403": _error("Not an admin (clerks and supervisors too), or CSRF."),
}
WRITE_ERRORS = {
    **ERRORS,
    "400": _error(
        "Malformed body, a bad If-Match, or invalid_config (with `field`): nothing changed."
    ),
    "409": _error("stale_version: another change came first (`version` is the current one)."),
    "413": _error("Body too large."),
    "415": _error("A body that is not application/json."),
    "428": _error("If-Match is missing: send the version you edited."),
}
IF_MATCH = {"name": "If-Match", "in": "header", "required": False,
            "schema": {"type": "string", "pattern": '^"?[0-9]{1,12}"?$'},
            "description": "The version the change edits (required: 428 without it)."}  # fmt: skip
VERSION = {"name": "number", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1}, "description": "A version number."}  # fmt: skip
OFFICE = {"type": "object", "description": "The office with site.toml's keys and nesting "
          "(office, services, counters, displays, notices, officials, kiosk, voice, ...)."}  # fmt: skip
CHANGE = {"type": "object", "required": ["path", "old", "new"], "properties": {
    "path": {"type": "string"}, "old": {}, "new": {}}}  # fmt: skip
SUMMARY = {"type": "object", "required": ["n", "at", "author", "diff"], "properties": {
    "n": {"type": "integer"}, "at": {"type": "number"}, "day": {"type": "string"},
    "author": {"type": "string"}, "reason": {"type": "string"},
    "diff": {"type": "array", "items": CHANGE},
    "changes": {"type": "array", "items": {"type": "string"}}}}  # fmt: skip
APPLIED = _answer("Applied live; sections listed in restart_needed wait for a restart.", {
    "type": "object", "required": ["version", "restart_needed"], "properties": {
        "version": {"type": "integer"},
        "restart_needed": {"type": "array", "items": {"type": "string"}}}})  # fmt: skip
BODY = {"required": False, "content": {"application/json": {"schema": {
    "type": "object", "properties": {"config": OFFICE, "reason": {"type": "string",
                                                                  "maxLength": 500}}}}}}  # fmt: skip
RESTORE_BODY = {"required": False, "content": {"application/json": {"schema": {
    "type": "object", "properties": {"reason": {"type": "string", "maxLength": 500}}}}}}  # fmt: skip

PATHS: dict = {
    "/api/admin/config": {
        "get": {
            "summary": "The office's configuration in force, with its version (also the ETag).",
            "tags": ["admin"], "security": ADMIN,
            "responses": {"200": _answer("The current version.", {
                "type": "object", "required": ["version", "config"],
                "properties": {"version": {"type": "integer"}, "config": OFFICE}}), **ERRORS},
        },
        "put": {
            "summary": "Replace the configuration; checked by the one model, applied live.",
            "tags": ["admin"], "security": ADMIN, "parameters": [IF_MATCH],
            "requestBody": BODY, "responses": {"200": APPLIED, **WRITE_ERRORS},
        },
    },
    "/api/admin/config/versions": {"get": {
        "summary": "Every version, newest first: who, when, why and what changed.",
        "tags": ["admin"], "security": ADMIN,
        "parameters": [{"name": "limit", "in": "query", "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 500}}],
        "responses": {"200": _answer("The versions.", {
            "type": "object", "required": ["versions"],
            "properties": {"versions": {"type": "array", "items": SUMMARY}}}),
            "400": _error("A bad limit."), **ERRORS},
    }},
    "/api/admin/config/versions/{number}": {"get": {
        "summary": "One version with its configuration.",
        "tags": ["admin"], "security": ADMIN, "parameters": [VERSION],
        "responses": {"200": _answer("The version.", {"allOf": [SUMMARY, {
            "type": "object", "required": ["config"], "properties": {"config": OFFICE}}]}),
            "400": _error("Not a version number."), "404": _error("No such version."),
            **ERRORS},
    }},
    "/api/admin/config/versions/{number}/restore": {"post": {
        "summary": "Make an earlier version the office again (saved as a new version).",
        "tags": ["admin"], "security": ADMIN, "parameters": [VERSION, IF_MATCH],
        "requestBody": RESTORE_BODY,
        "responses": {"200": APPLIED, "404": _error("No such version."), **WRITE_ERRORS},
    }},
}  # fmt: skip
