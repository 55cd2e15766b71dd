"""Building blocks of the OpenAPI description (server/openapi.py and the feature parts)."""

from __future__ import annotations

NULL_STR = {"type": ["string", "null"]}
NULL_INT = {"type": ["integer", "null"]}
TIME = {"type": ["string", "null"], "format": "date-time"}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def answer(description: str, schema: dict | None = None, **more) -> dict:
    out = {"description": description}
    if schema is not None:
        out["content"] = {"application/json": {"schema": schema}}
    out.update(more)
    return out


def error(description: str) -> dict:
    return answer(description, ref("Error"))


def json_body(schema: dict, required: bool = False) -> dict:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


BAD = {"400": error("Malformed body or invalid value."), "413": error("Body too large."),
       "415": error("A body that is not application/json.")}  # fmt: skip
AUTH = {
    "401": error("No credentials, or a revoked token."),
    "403": error("Role too low, CSRF, or wrong_counter (not the counter signed in at)."),
}
CLERK = [{"bearer": []}, {"session": [], "csrf": []}]
# An enrolled kiosk (its token, or its browser's cookie and header), staff, or the server
# machine itself with no credentials ({}).
KIOSK = [{"bearer": []}, {"device": [], "device_header": []}, {"session": [], "csrf": []}, {}]
PUBLIC: list = []
PRINT = {
    "type": "object",
    "required": ["print"],
    "properties": {
        "print": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string"}, "reason": {"type": ["string", "null"]}},
        }
    },
}


def ref_param(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


TICKET = answer("The ticket.", {"type": "object", "required": ["ticket"],
                                "properties": {"ticket": ref("Ticket")}})  # fmt: skip
COUNTER_PARAM = {"$ref": "#/components/parameters/CounterNumber"}
TICKET_PARAM = {"$ref": "#/components/parameters/TicketId"}
EMPTY_BODY = json_body({"type": "object", "description": "Ignored; may be empty."})
