"""The OpenAPI paths of the dossier routes (server/dossiers_api.py); merged by server/openapi.py."""

from __future__ import annotations

import calendar
import datetime as dt

from core.dossier_rules import CODE_SPACE, DEFAULT_PATTERN, MAX_CODE, MAX_DUE_DAYS, PHONE_PATTERN
from core.shapes import DOSSIER_STATUSES

from .openapi_parts import (
    AUTH,
    BAD,
    CLERK,
    COUNTER_PARAM,
    EMPTY_BODY,
    KIOSK,
    TICKET,
    answer,
    error,
    json_body,
    ref,
)

CODE_PARAM = {"name": "code", "in": "path", "required": True,
              "schema": {"type": "string", "minLength": 1, "maxLength": 64},
              "description": "The dossier code (any case; stored upper-cased)."}  # fmt: skip
DOSSIER = answer("The dossier.", {"type": "object", "required": ["dossier"],
                                  "properties": {"dossier": ref("Dossier")}})  # fmt: skip
DATE = {"type": "string", "format": "date"}
SPACE = "[" + CODE_SPACE.encode("unicode_escape").decode() + "]*"


def code_schema(pattern: str = DEFAULT_PATTERN) -> dict:
    """A code as sent: the office's pattern, any case for A-Z, Enter or Tab around it."""
    inner = pattern.removeprefix("^").removesuffix("$").replace("A-Z", "A-Za-z")
    return {"type": "string", "maxLength": MAX_CODE * 2, "pattern": f"^{SPACE}(?:{inner}){SPACE}$"}


def _days(lo: int, hi: int) -> str:
    return "|".join(f"{d:02d}" for d in range(lo, hi + 1))


def due_schema(first: dt.date | None = None) -> dict:
    """A promised date the server takes: from `first` (today) to MAX_DUE_DAYS after."""
    if first is None:
        return dict(DATE)
    last, months, y, m = first + dt.timedelta(days=MAX_DUE_DAYS), [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        lo = first.day if (y, m) == (first.year, first.month) else 1
        hi = last.day if (y, m) == (last.year, last.month) else calendar.monthrange(y, m)[1]
        months.append(f"{y:04d}-{m:02d}-(?:{_days(lo, hi)})")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return {**DATE, "pattern": f"^(?:{'|'.join(months)})$"}


def record_body(pattern: str = DEFAULT_PATTERN, today: dt.date | None = None) -> dict:
    """POST /api/counters/N/dossiers: a phone number needs consent (Law 91/2025)."""
    return json_body({
        "type": "object", "required": ["code", "due"], "additionalProperties": False,
        "properties": {
            "code": code_schema(pattern), "due": due_schema(today),
            "service": ref("ServiceCode"),
            "phone": {"type": ["string", "null"], "maxLength": 39,
                      "pattern": f"^$|{PHONE_PATTERN}",
                      "description": "A Vietnamese mobile number; kept only with consent."},
            "consent": {"type": "boolean"}, "notify_near": {"type": "boolean"},
        },
        "if": {"required": ["phone"], "properties": {"phone": {"type": "string",
                                                               "minLength": 1}}},
        "then": {"required": ["consent"], "properties": {"consent": {"const": True}}},
    }, required=True)  # fmt: skip


def correct_body(pattern: str = DEFAULT_PATTERN, today: dt.date | None = None) -> dict:
    """POST /api/dossiers/CODE/correct: the value's rule depends on the field."""
    return json_body({"oneOf": [
        {"type": "object", "required": ["field", "value"], "additionalProperties": False,
         "properties": {"field": {"const": field}, "value": value}}
        for field, value in (("code", code_schema(pattern)), ("due", due_schema(today)),
                             ("service", ref("ServiceCode")))
    ]}, required=True)  # fmt: skip


def specialise(spec: dict, pattern: str, today: dt.date) -> None:
    """The served spec: this office's code pattern and the promised dates it takes today."""
    paths = spec["paths"]
    if "/api/counters/{number}/dossiers" in paths:
        paths["/api/counters/{number}/dossiers"]["post"]["requestBody"] = record_body(
            pattern, today
        )
    if "/api/dossiers/{code}/correct" in paths:
        paths["/api/dossiers/{code}/correct"]["post"]["requestBody"] = correct_body(pattern, today)


# 409 of POST /api/returns: not_ready also says the promised date and the status.
NOT_READY = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "object", "required": ["code", "message"],
              "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
    "due": DATE, "status": {"type": "string", "enum": list(DOSSIER_STATUSES)}}}  # fmt: skip

PATHS: dict = {
    "/api/counters/{number}/dossiers": {"post": {
        "summary": "Record a dossier the citizen filed, on the counter's current ticket.",
        "tags": ["dossiers"], "security": CLERK, "parameters": [COUNTER_PARAM],
        "requestBody": record_body(),
        "responses": {
            "201": DOSSIER, **BAD, **AUTH,
            "404": error("No such counter, or no such procedure."),
            "409": error("no_ticket (the counter holds none) or duplicate_code."),
        },
    }},
    "/api/counters/{number}/advice-only": {"post": {
        "summary": "Mark the current visit as advice only (no dossier filed).",
        "tags": ["dossiers"], "security": CLERK, "parameters": [COUNTER_PARAM],
        "requestBody": EMPTY_BODY,
        "responses": {"200": TICKET, **BAD, **AUTH, "404": error("No such counter."),
                      "409": error("no_ticket.")},
    }},
    "/api/dossiers": {"get": {
        "summary": "A page of dossiers, newest first.", "tags": ["dossiers"],
        "security": CLERK,
        "parameters": [
            {"name": "day", "in": "query", "required": False, "schema": DATE,
             "description": "Office day received."},
            {"name": "status", "in": "query", "required": False,
             "schema": {"type": "string", "enum": list(DOSSIER_STATUSES)}},
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
            {"name": "offset", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 0, "maximum": 999999999}},
        ],
        "responses": {
            "200": answer("Dossiers.", {
                "type": "object", "required": ["dossiers", "total", "limit", "offset"],
                "properties": {"dossiers": {"type": "array", "items": ref("Dossier")},
                               "total": {"type": "integer"}, "limit": {"type": "integer"},
                               "offset": {"type": "integer"}}}),
            "400": error("Bad day, status, limit or offset."), **AUTH,
        },
    }},
    "/api/dossiers/{code}": {"get": {
        "summary": "One dossier.", "tags": ["dossiers"], "security": CLERK,
        "parameters": [CODE_PARAM],
        "responses": {"200": DOSSIER, **AUTH, "404": error("unknown_dossier.")},
    }},
    "/api/dossiers/{code}/status": {"post": {
        "summary": "Change a dossier's status (allowed steps: docs/dossiers.md).",
        "tags": ["dossiers"], "security": CLERK, "parameters": [CODE_PARAM],
        "requestBody": json_body({
            "type": "object", "required": ["status"], "additionalProperties": False,
            "properties": {"status": {"type": "string", "enum": list(DOSSIER_STATUSES)}},
        }, required=True),
        "responses": {"200": DOSSIER, **BAD, **AUTH, "404": error("unknown_dossier."),
                      "409": error("bad_transition.")},
    }},
    "/api/dossiers/{code}/correct": {"post": {
        "summary": "Correct a dossier's code, promised date or procedure (logged).",
        "tags": ["dossiers"], "security": CLERK, "parameters": [CODE_PARAM],
        "requestBody": correct_body(),
        "responses": {"200": DOSSIER, **BAD, **AUTH,
                      "404": error("unknown_dossier, or no such procedure."),
                      "409": error("duplicate_code.")},
    }},
    "/api/dossiers/{code}/contact": {"get": {
        "summary": "The phone number kept for a dossier (supervisor; each read is logged).",
        "tags": ["dossiers"], "security": CLERK, "parameters": [CODE_PARAM],
        "responses": {
            "200": answer("The contact.", {"type": "object", "required": ["contact"],
                          "properties": {"contact": {"type": "object", "required": [
                              "code", "phone", "notify_near", "consent_at", "delete_after"]}}}),
            **AUTH, "404": error("unknown_dossier, or no_contact."),
        },
    }},
    "/api/returns": {"post": {
        "summary": "Collect a result: a return ticket for a ready dossier (kiosk).",
        "tags": ["dossiers"], "security": KIOSK,
        "parameters": [{
            "name": "Idempotency-Key", "in": "header", "required": False,
            "schema": {"type": "string", "minLength": 8, "maxLength": 128},
            "description": "Same key again from the same kiosk the same day: the same ticket.",
        }],
        "requestBody": json_body({
            "type": "object", "required": ["code"], "additionalProperties": False,
            "properties": {"code": {"type": "string", "maxLength": 64},
                           "kiosk": {"type": ["string", "null"], "maxLength": 64}},
        }, required=True),
        "responses": {
            "201": TICKET, "200": answer("This key's (or this dossier's) return ticket again.",
                                         TICKET["content"]["application/json"]["schema"]),
            **BAD, **AUTH,
            "404": error("unknown_dossier: ask at a counter."),
            "409": answer("not_ready (with the promised date `due`), already_returned, "
                          "service_closed or no_return_service.", NOT_READY),
        },
    }},
}  # fmt: skip
