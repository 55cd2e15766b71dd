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
IF_MATCH = {"name": "If-Match", "in": "header", "required": True,
            "schema": {"type": "string", "pattern": '^"?[0-9]{1,12}"?$'},
            "description": "The version the change edits (428 without it)."}  # fmt: skip
VERSION = {"name": "number", "in": "path", "required": True,
           "schema": {"type": "integer", "minimum": 1, "maximum": 999999999999},
           "description": "A version number."}  # fmt: skip
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
REASON = {"type": "string", "maxLength": 500, "description": "Why (kept with the version)."}
BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["config"], "additionalProperties": False,
    "properties": {"config": OFFICE, "reason": REASON}}}}}  # fmt: skip
RESTORE_BODY = {"required": False, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": False, "properties": {"reason": REASON}}}}}  # fmt: skip

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


def served_config(spec: dict, config: dict, version: int | None = None) -> None:
    """The served spec's body is this office's current config (`const`), as its procedure
    codes are enums: a generated request is one the model can accept. The office's rules
    across keys (references, unique codes, number ranges) are not JSON Schema's to state;
    any other config is still sent and refused with 400 invalid_config."""
    put = spec["paths"].get("/api/admin/config", {}).get("put")
    if put is not None:
        schema = put["requestBody"]["content"]["application/json"]["schema"]
        schema["properties"]["config"] = {**OFFICE, "const": config}
    if version is None:
        return
    # The version in force is the one a generated change may name; any other is 409.
    for path, method in (("/api/admin/config", "put"),
                         ("/api/admin/config/versions/{number}/restore", "post")):  # fmt: skip
        op = spec["paths"].get(path, {}).get(method)
        for i, p in enumerate(op.get("parameters", []) if op else []):
            if p.get("name") == "If-Match":
                op["parameters"][i] = {**p, "schema": {"type": "string", "enum": [str(version)]}}


# The admin pages' finer routes (admin/api.py): users, devices, procedures, printer, voice.
BAD = {"400": _error("Malformed body or invalid value (the code names the field)."),
       "413": _error("Body too large."), "415": _error("A body that is not application/json.")}  # fmt: skip
NAME = {"name": "name", "in": "path", "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 64}}  # fmt: skip
# The office's counter numbers (spec_for fills the parameter's enum; this points at it).
COUNTER_NO = {"$ref": "#/components/parameters/CounterNumber/schema"}
COUNTERS = {"type": "array", "items": COUNTER_NO,
            "description": "Counters the user may sign in at; empty: any."}  # fmt: skip
# Not blank at either end (the server strips what Python calls space; JS's \\s misses some).
EDGE = "[^\\s\\u0085\\u001c-\\u001f]"
USER_NAME = {"type": "string", "maxLength": 64, "pattern": f"^{EDGE}(.{{0,62}}{EDGE})?$"}
PASSWORD = {"type": "string", "minLength": 6}
USER = {"type": "object", "required": ["name", "role", "active", "counters"], "properties": {
    "name": {"type": "string"}, "role": {"type": "string", "enum": ["clerk", "supervisor", "admin"]},
    "active": {"type": "boolean"}, "counters": COUNTERS}}  # fmt: skip
ONE_USER = _answer(
    "The user.", {"type": "object", "required": ["user"], "properties": {"user": USER}}
)
DEVICE = {"type": "object", "required": ["name", "kind", "counter", "created_at", "revoked_at",
                                         "connected"], "properties": {
    "name": {"type": "string"}, "kind": {"type": "string", "enum": ["kiosk", "display", "tablet"]},
    "counter": {"type": ["integer", "null"]}, "created_at": {"type": "string"},
    "revoked_at": {"type": ["string", "null"]}, "connected": {"type": "boolean"},
    "last_seen": {"type": ["string", "null"]}, "address": {"type": ["string", "null"]}}}  # fmt: skip
WARM = _answer("The warm's progress.", {"type": "object", "required": ["running", "done", "total"],
    "properties": {"running": {"type": "boolean"}, "done": {"type": "integer"},
                   "total": {"type": "integer"}, "report": {"type": ["object", "null"]},
                   "error": {"type": ["string", "null"]}}})  # fmt: skip


def _body(schema: dict) -> dict:
    # A body that names what it needs must be sent; the others may be left out.
    needed = bool(schema.get("required") or schema.get("minProperties"))
    return {"required": needed, "content": {"application/json": {"schema": schema}}}


def _op(summary: str, ok: dict, body: dict | None = None, params: list | None = None,
        code: str = "200", **more) -> dict:  # fmt: skip
    op = {"summary": summary, "tags": ["admin"], "security": ADMIN,
          "responses": {code: ok, **ERRORS, **(BAD if body is not None else {}), **more}}  # fmt: skip
    if body is not None:
        op["requestBody"] = _body(body)
    if params:
        op["parameters"] = params
    return op


PATHS.update({
    "/api/admin/users": {
        "get": _op("Every user with role, state and allowed counters.", _answer("The users.", {
            "type": "object", "required": ["users"],
            "properties": {"users": {"type": "array", "items": USER}}})),
        "post": _op("Add a user (audited as user_changed).", ONE_USER, {
            "type": "object", "required": ["name", "role", "password"], "properties": {
                "name": USER_NAME, "role": USER["properties"]["role"],
                "password": PASSWORD, "counters": COUNTERS}},
            code="201", **{"409": _error("user_exists.")}),
    },
    "/api/admin/users/{name}": {"post": _op(
        "Change role, enable/disable (ends sessions and tokens), allowed counters.", ONE_USER, {
            "type": "object", "minProperties": 1, "additionalProperties": False,
            "properties": {"role": USER["properties"]["role"], "active": {"type": "boolean"},
                           "counters": COUNTERS}},
        [NAME], **{"404": _error("unknown_user."),
                   "409": _error("own_account: an admin cannot disable or demote themselves.")})},
    "/api/admin/users/{name}/password": {"post": _op(
        "Set a new password; the user's sessions end.", ONE_USER, {
            "type": "object", "required": ["password"], "properties": {"password": PASSWORD}},
        [NAME], **{"404": _error("unknown_user.")})},
    "/api/admin/devices": {
        "get": _op("Enrolled and revoked devices with their presence.", _answer("The devices.", {
            "type": "object", "required": ["devices"], "properties": {
                "devices": {"type": "array", "items": DEVICE},
                "seen": {"type": "array", "items": {"type": "object"}}}})),
        "post": _op("Enrol a device: its one-time link, token and QR code (shown once).", _answer(
            "Enrolled.", {"type": "object", "required": ["device", "token", "link", "qr_svg"],
                          "properties": {"device": DEVICE, "token": {"type": "string"},
                                         "link": {"type": "string"}, "qr_svg": {"type": "string"}}}),
            {"type": "object", "required": ["name", "kind"], "properties": {
                "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$"},
                "kind": DEVICE["properties"]["kind"], "counter": COUNTER_NO},
             # A tablet names its counter; a kiosk or a display takes none.
             "oneOf": [{"properties": {"kind": {"const": "tablet"}}, "required": ["counter"]},
                       {"properties": {"kind": {"enum": ["kiosk", "display"]}},
                        "not": {"required": ["counter"]}}]},
            code="201", **{"409": _error("device_exists.")}),
    },
    "/api/admin/devices/{name}/revoke": {"post": _op(
        "Revoke a device's token at once.", _answer("Revoked.", {
            "type": "object", "required": ["device"], "properties": {"device": DEVICE}}),
        {"type": "object"}, [NAME], **{"404": _error("unknown_device.")})},
    "/api/admin/procedures": {"get": _op(
        "Every procedure ever configured (retired ones inactive), today's last number of each.",
        _answer("The procedures.", {"type": "object", "required": ["day", "procedures"],
                                    "properties": {"day": {"type": "string"},
                                                   "procedures": {"type": "array"}}}))},
    "/api/admin/printer/test": {"post": _op(
        "Print the test page (as `flask printer test`).", _answer("Printed.", {
            "type": "object", "required": ["printed", "ms"], "properties": {
                "printed": {"type": "boolean"}, "ms": {"type": "integer"}}}),
        {"type": "object"}, **{"409": _error("no_printer, or print_failed with the reason.")})},
    "/api/admin/voice/warm": {
        "get": _op("Progress of the background warm of the voice cache.", WARM),
        "post": _op("Start warming the voice cache in the background.", WARM, {"type": "object"},
                    code="202", **{"409": _error("voice_off, or warming already.")}),
    },
    "/api/admin/voice/say": {"post": _op(
        "The sentence and audio URLs of a call, for the page to play.", _answer("The call.", {
            "type": "object", "required": ["text", "audio"], "properties": {
                "text": {"type": "string"},
                "audio": {"type": "array", "items": {"type": "string"}}}}),
        {"type": "object", "required": ["number", "counter"], "properties": {
            "number": {"type": "string", "maxLength": 12, "pattern": f"^{EDGE}(.{{0,10}}{EDGE})?$"},
            "counter": {"type": "integer", "minimum": 1, "maximum": 999}}},
        **{"404": _error("voice_off.")})},
})  # fmt: skip
