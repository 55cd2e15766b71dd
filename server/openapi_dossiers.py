"""The OpenAPI paths of the dossier routes (server/dossiers_api.py); merged by server/openapi.py."""

from __future__ import annotations

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
# 409 of POST /api/returns: not_ready also says the promised date and the status.
NOT_READY = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "object", "required": ["code", "message"],
              "properties": {"code": {"type": "string"}, "message": {"type": "string"}}},
    "due": DATE, "status": {"type": "string", "enum": list(DOSSIER_STATUSES)}}}  # fmt: skip

PATHS: dict = {
    "/api/counters/{number}/dossiers": {"post": {
        "summary": "Record a dossier the citizen filed, on the counter's current ticket.",
        "tags": ["dossiers"], "security": CLERK, "parameters": [COUNTER_PARAM],
        "requestBody": json_body({
            "type": "object", "required": ["code", "due"], "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "maxLength": 64},
                "due": DATE,
                "service": ref("ServiceCode"),
                "phone": {"type": ["string", "null"], "maxLength": 39,
                          "description": "Kept only with consent: true (Law 91/2025)."},
                "consent": {"type": "boolean"}, "notify_near": {"type": "boolean"},
            },
        }, required=True),
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
        "requestBody": json_body({
            "type": "object", "required": ["field", "value"], "additionalProperties": False,
            "properties": {"field": {"type": "string", "enum": ["code", "due", "service"]},
                           "value": {"type": "string"}},
        }, required=True),
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
