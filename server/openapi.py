"""The OpenAPI 3 description of the HTTP API (shared/API.md), served at /api/openapi.json.

Paths are hand-written as Python data so they read like the contract; the components of the
queue's shapes (Ticket, Counter, Call, Snapshot and their public twins) come from the types
themselves (core/schema.py), so the spec cannot drift from what the server sends. The served copy lists this
office's procedure codes and counter numbers as enums, so generated requests are realistic.
"""

from __future__ import annotations

import copy
import datetime as dt
import re

from flask import Blueprint, current_app, jsonify

from core import states
from core.schema import components
from voice.openapi import PATHS as VOICE_PATHS

from .openapi_admin import PATHS as ADMIN_PATHS
from .openapi_admin import served_config
from .openapi_dossiers import PATHS as DOSSIER_PATHS
from .openapi_dossiers import specialise as specialise_dossiers
from .openapi_import import PATHS as IMPORT_PATHS
from .openapi_import import SCHEMAS as DOSSIER_REPORT_SCHEMAS
from .openapi_parts import (
    AUTH,
    BAD,
    CLERK,
    COUNTER_PARAM,
    EMPTY_BODY,
    KIOSK,
    NULL_STR,
    PRINT,
    PUBLIC,
    TICKET,
    TICKET_PARAM,
    answer,
    error,
    json_body,
    ref,
    ref_param,
)
from .openapi_sms import PATHS as SMS_PATHS

bp = Blueprint("openapi", __name__, url_prefix="/api")


def counter_action(summary: str, conflict: str, body: dict | None = None) -> dict:
    op = {
        "summary": summary,
        "tags": ["counters"],
        "security": CLERK,
        "parameters": [COUNTER_PARAM],
        "requestBody": body or EMPTY_BODY,
        "responses": {
            "200": TICKET,
            **BAD,
            **AUTH,
            "404": error("No such counter (or procedure)."),
            "409": error(conflict),
        },
    }
    return {"post": op}


REPORT_QUERY = [
    {"name": "date", "in": "query", "required": False,
     "schema": {"type": "string", "format": "date"}, "description": "Office day; default today."},
    {"name": "format", "in": "query", "required": False,
     "schema": {"type": "string", "enum": ["json", "csv", "xlsx"]}},
]  # fmt: skip
FILES = {
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}
    },
}

METRICS = {
    "type": "object",
    "properties": {
        **{k: {"type": "integer"} for k in
           ("issued", "served", "no_show", "cancelled", "expired", "transferred")},
        **{k: {"type": ["number", "null"]} for k in
           ("wait_avg_s", "wait_p50_s", "wait_p90_s", "wait_max_s", "service_avg_s",
            "service_p50_s", "service_p90_s", "within_target_pct", "satisfied_pct",
            "estimate_mae_s")},
        "ratings": {"type": "object", "additionalProperties": {"type": "integer"}},
    },
}  # fmt: skip

SPEC: dict = {
    "openapi": "3.1.0",
    "info": {
        "title": "One-Stop Queue API",
        "version": "1",
        "description": "Kiosks, displays, clerk consoles and reports. Every error is "
        '{"error": {"code", "message"}} with a 4xx status. Live changes are pushed on the '
        "Socket.IO namespace /display (events snapshot, ticket_issued, ticket_called, "
        "queue_changed; ask again with get_snapshot).",
        "license": {"name": "MIT"},
    },
    "servers": [{"url": "/"}],
    "tags": [{"name": n} for n in ("public", "tickets", "counters", "reports", "admin")],
    "paths": {
        "/api/health": {"get": {
            "summary": "Health of the database, printer and voice.", "tags": ["public"],
            "security": PUBLIC,
            "responses": {"200": answer("Healthy.", ref("Health")),
                          "503": answer("The database does not answer.", ref("Health"))},
        }},
        "/api/openapi.json": {"get": {
            "summary": "This description.", "tags": ["public"], "security": PUBLIC,
            "responses": {"200": answer("OpenAPI 3 document.", {"type": "object"})},
        }},
        "/api/services": {"get": {
            "summary": "Procedures with their queues.", "tags": ["public"], "security": PUBLIC,
            "responses": {"200": answer("Procedures.", {
                "type": "object", "required": ["services"],
                "properties": {"services": {"type": "array", "items": ref("Service")}}})},
        }},
        "/api/queue": {"get": {
            "summary": "The live snapshot a display shows.", "tags": ["public"],
            "security": PUBLIC, "responses": {"200": answer("Snapshot.", ref("PublicSnapshot"))},
        }},
        "/api/tickets": {
            "post": {
                "summary": "Take a ticket (an enrolled kiosk, staff, or the server machine).",
                "tags": ["tickets"], "security": KIOSK,
                "parameters": [{
                    "name": "Idempotency-Key", "in": "header", "required": False,
                    "schema": {"type": "string", "minLength": 8, "maxLength": 128},
                    "description": "Same key again from the same kiosk the same office day:"
                                   " the same ticket, status 200.",
                }],
                "requestBody": json_body({
                    "type": "object", "required": ["service"], "additionalProperties": False,
                    "properties": {
                        "service": {"$ref": "#/components/schemas/ServiceCode"},
                        "priority": {"type": "boolean"},
                        "kiosk": {"type": ["string", "null"], "maxLength": 64},
                    },
                }, required=True),
                "responses": {
                    "201": answer("Issued.", TICKET["content"]["application/json"]["schema"]),
                    "200": answer("Issued earlier with this Idempotency-Key.",
                                  TICKET["content"]["application/json"]["schema"]),
                    **BAD, **AUTH,
                    "404": error("Unknown procedure."),
                    "409": error("service_closed outside its hours, or numbers_exhausted."),
                },
            },
            "get": {
                "summary": "Per-ticket log of a day (supervisor).", "tags": ["reports"],
                "security": CLERK,
                "parameters": [
                    *REPORT_QUERY,
                    {"name": "service", "in": "query", "required": False,
                     "schema": ref("ServiceCode")},
                    {"name": "counter", "in": "query", "required": False,
                     "schema": {"type": "integer", "minimum": 0, "maximum": 999999}},
                    {"name": "status", "in": "query", "required": False,
                     "schema": {"type": "string", "enum": list(states.STATES)}},
                ],
                "responses": {
                    "200": {"description": "Log rows.", "content": {
                        "application/json": {"schema": {
                            "type": "object", "required": ["tickets"],
                            "properties": {"tickets": {"type": "array",
                                                       "items": ref("LogRow")}}}},
                        **FILES}},
                    "400": error("Bad date or filter."),
                    **AUTH,
                },
            },
        },
        "/api/tickets/{ticket_id}": {"get": {
            "summary": "One ticket, for the citizen's phone.", "tags": ["tickets"],
            "security": PUBLIC, "parameters": [TICKET_PARAM],
            "responses": {"200": TICKET, "404": error("No such ticket.")},
        }},
        "/api/tickets/{ticket_id}/feedback": {"post": {
            "summary": "Rate a finished ticket once.", "tags": ["tickets"], "security": PUBLIC,
            "parameters": [TICKET_PARAM],
            "requestBody": json_body({
                "type": "object", "required": ["rating"],
                "properties": {"rating": {"type": "integer", "minimum": 1, "maximum": 4}},
            }, required=True),
            "responses": {
                "201": TICKET, **BAD, "404": error("No such ticket."),
                "403": error("A device other than a tablet, or wrong_counter: a tablet rates "
                             "only tickets finished at its own counter."),
                "409": error("not_finished or already_rated."),
            },
        }},
        "/api/counters": {"get": {
            "summary": "Counters and their current tickets.", "tags": ["counters"],
            "security": CLERK,
            "responses": {"200": answer("Counters.", {
                "type": "object", "required": ["counters"],
                "properties": {"counters": {"type": "array", "items": ref("Counter")}}}),
                **AUTH},
        }},
        "/api/counters/{number}/sign-in": {"post": {
            **counter_action("Sign in at this counter: the clerk acts on it, and on no other.",
                             "")["post"],
            "responses": {"200": answer("Signed in.", {
                "type": "object", "required": ["counter", "clerk"],
                "properties": {"counter": {"type": "integer"}, "clerk": {"type": "string"}}}),
                **BAD, **AUTH, "404": error("No such counter.")},
        }},
        "/api/counters/{number}/next": {"post": {
            **counter_action("Finish the current ticket and call the next.", "")["post"],
            "requestBody": json_body({
                "type": "object",
                "properties": {"current": {**NULL_STR, "description":
                               "The ticket the clerk's screen shows; 409 stale_request if not."}},
            }),
            "responses": {
                "200": TICKET, "204": {"description": "Nobody waits."}, **BAD, **AUTH,
                "404": error("No such counter."),
                "409": error("counter_paused or stale_request."),
            },
        }},
        "/api/counters/{number}/recall": counter_action(
            "Announce the current ticket again.", "no_current_ticket or not called."),
        "/api/counters/{number}/start": counter_action(
            "Start serving the called ticket.", "no_current_ticket or illegal_transition."),
        "/api/counters/{number}/finish": counter_action(
            "Finish the current ticket.", "no_current_ticket or illegal_transition."),
        "/api/counters/{number}/no-show": counter_action(
            "The called citizen did not come.", "no_current_ticket or illegal_transition."),
        "/api/counters/{number}/transfer": counter_action(
            "Send the ticket to the head of another procedure's queue, same number.",
            "no_current_ticket or illegal_transition.",
            body=json_body({"type": "object", "required": ["service"],
                            "properties": {"service": ref("ServiceCode")}}, required=True)),
        "/api/counters/{number}/pause": {"post": {
            **counter_action("Pause the counter.", "")["post"],
            "responses": {"200": answer("The counter.", {
                "type": "object", "required": ["counter"],
                "properties": {"counter": ref("Counter")}}), **BAD, **AUTH,
                "404": error("No such counter.")},
        }},
        "/api/counters/{number}/resume": {"post": {
            **counter_action("Open the counter again.", "")["post"],
            "responses": {"200": answer("The counter.", {
                "type": "object", "required": ["counter"],
                "properties": {"counter": ref("Counter")}}), **BAD, **AUTH,
                "404": error("No such counter.")},
        }},
        "/api/tickets/{ticket_id}/print": {"get": {
            "summary": "Whether the ticket printed (the kiosk asks after issuing).",
            "tags": ["tickets"], "security": PUBLIC,
            "parameters": [ref_param("TicketId")],
            "responses": {"200": answer("Print outcome.", PRINT),
                          "404": error("No such ticket.")},
        }},
        "/api/tickets/{ticket_id}/reprint": {"post": {
            "summary": "Print the ticket again (clerk).", "tags": ["tickets"], "security": CLERK,
            "parameters": [ref_param("TicketId")],
            "responses": {"202": answer("Queued for printing.", PRINT), **BAD, **AUTH,
                          "404": error("No such ticket."),
                          "409": error("No printer is configured.")},
        }},
        "/api/counters/{number}/rating-ticket": {"get": {
            "summary": "The counter's ticket just finished and not yet rated (rating tablet).",
            "tags": ["counters"], "security": CLERK + [{"device": []}],
            "parameters": [ref_param("CounterNumber")],
            "responses": {"200": answer("The ticket or null.", {
                "type": "object", "required": ["ticket"],
                "properties": {"ticket": {"type": ["object", "null"]}}}),
                **AUTH, "404": error("No such counter.")},
        }},
        "/api/reports/live": {"get": {
            "summary": "Today live: waiting, longest wait, counters, devices, health, alerts.",
            "tags": ["reports"], "security": CLERK,
            "responses": {"200": answer("Live figures.", {"type": "object"}), **AUTH},
        }},
        "/api/reports/trend": {"get": {
            "summary": "Headline figures of the last days.", "tags": ["reports"],
            "security": CLERK,
            "parameters": [
                {"name": "end", "in": "query", "required": False,
                 "schema": {"type": "string", "format": "date"}},
                {"name": "days", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 366}},
            ],
            "responses": {"200": answer("Trend rows.", {"type": "object"}),
                          "400": error("Bad date or days."), **AUTH},
        }},
        "/api/reports/staffing": {"get": {
            "summary": "Counters needed per hour (Erlang C) beside counters open.",
            "tags": ["reports"], "security": CLERK, "parameters": [REPORT_QUERY[0]],
            "responses": {"200": answer("Staffing hint.", {"type": "object"}),
                          "400": error("Bad date."), **AUTH},
        }},
        "/api/reports/daily": {"get": {
            "summary": "A day's figures per office, procedure, counter, clerk and hour.",
            "tags": ["reports"], "security": CLERK, "parameters": REPORT_QUERY,
            "responses": {
                "200": {"description": "DailyReport, or a file.", "content": {
                    "application/json": {"schema": ref("DailyReport")}, **FILES}},
                "400": error("Bad date."), **AUTH,
            },
        }},
    },
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "`flask user token NAME` prints one."},
            "session": {"type": "apiKey", "in": "cookie", "name": "session",
                        "description": "A logged-in browser (POST /login)."},
            "device": {"type": "apiKey", "in": "cookie", "name": "onestop_device",
                       "description": "An enrolled browser (GET /devices/enrol?token=...)."},
            "device_header": {"type": "apiKey", "in": "header", "name": "X-Onestop-Device",
                              "description": "With the device cookie, on writes: any value."},
            "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token",
                     "description": "With the session: the page's <meta name=csrf-token>."},
        },
        "parameters": {
            "CounterNumber": {"name": "number", "in": "path", "required": True,
                              "schema": {"type": "integer", "minimum": 1}},
            "TicketId": {"name": "ticket_id", "in": "path", "required": True,
                         "schema": {"type": "string", "minLength": 1, "maxLength": 64,
                                    "pattern": "^[A-Za-z0-9_-]+$"},
                         "description": "The unguessable id (16 characters)."},
        },
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string", "pattern": "^[a-z0-9_]+$"},
                               "message": {"type": "string"}}}}},
            "ServiceCode": {"type": "string", "pattern": "^[a-z0-9_-]{1,32}$"},
            "Health": {"type": "object", "required": ["status", "checks"], "properties": {
                "status": {"type": "string", "enum": ["ok", "error"]},
                "checks": {"type": "object", "additionalProperties": {
                    "type": "object", "required": ["status"],
                    "properties": {"status": {"type": "string"}}}}}},
            "Service": {"type": "object",
                        "required": ["code", "name", "prefix", "open", "waiting",
                                     "estimated_wait_s"],
                        "properties": {
                            "code": {"type": "string"}, "name": {"type": "string"},
                            "name_en": {"type": "string"}, "prefix": {"type": "string"},
                            "open": {"type": "boolean"}, "waiting": {"type": "integer"},
                            "estimated_wait_s": {"type": "integer"},
                            "target_wait_s": {"type": "integer"},
                            "kind": {"type": "string", "enum": ["normal", "return"],
                                     "description": "return: the result-return procedure "
                                                    "(no kiosk button)."}}},
            **components(ref),  # Ticket, PublicTicket, Counter, Call, Snapshot, ... (core/shapes.py)
            "Metrics": METRICS,
            "DailyReport": {"type": "object", "required": ["date", "office"], "properties": {
                "date": {"type": "string", "format": "date"}, "office": ref("Metrics"),
                **{k: {"type": "array", "items": ref("Metrics")}
                   for k in ("services", "counters", "clerks", "hours")},
                "dossiers": ref("DailyDossiers")}},
            "LogRow": {"allOf": [ref("Ticket"), {"type": "object", "properties": {
                "wait_s": {"type": ["number", "null"]}, "service_s": {"type": ["number", "null"]},
                "clerk": NULL_STR}}]},
        },
    },
}  # fmt: skip

# The features' own paths, described beside their routes.
SPEC["paths"].update(VOICE_PATHS)
SPEC["paths"].update(ADMIN_PATHS)  # the admin's configuration API (server/openapi_admin.py)
SPEC["paths"].update(DOSSIER_PATHS)  # server/openapi_dossiers.py
SPEC["paths"].update(IMPORT_PATHS)  # server/openapi_import.py
SPEC["components"]["schemas"].update(DOSSIER_REPORT_SCHEMAS)
SPEC["tags"].append({"name": "dossiers"})
SPEC["paths"].update(SMS_PATHS)  # server/openapi_sms.py
SPEC["tags"].append({"name": "sms"})

# Operations described here that a blueprint may not serve (none now: all have landed).
PLANNED: set[tuple[str, str]] = set()


def routed(app) -> set[tuple[str, str]]:
    """(METHOD, /api/path/{param}) of every API route this app serves."""
    out = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        if path.startswith("/api/"):
            out |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return out


def spec_for(office, app=None, config: dict | None = None, version: int | None = None) -> dict:
    """The spec with this office's procedure codes and counter numbers as enums.

    With `app`, operations it does not serve (PLANNED ones whose blueprint has not landed)
    are left out, so clients and fuzzers see exactly what answers.
    """
    spec = copy.deepcopy(SPEC)
    if app is not None:
        served = routed(app)
        for path, ops in list(spec["paths"].items()):
            for method in list(ops):
                if (method.upper(), path) not in served:
                    del ops[method]
            if not ops:
                del spec["paths"][path]
    comp = spec["components"]
    comp["schemas"]["ServiceCode"]["enum"] = [s.code for s in office.services]
    comp["parameters"]["CounterNumber"]["schema"]["enum"] = [c.number for c in office.counters]
    spec["info"]["x-office"] = office.name
    if config is not None:
        served_config(spec, config, version)
    if app is not None:
        e = app.extensions["onestop"]
        today = dt.date.fromisoformat(e.queue._day)
        specialise_dossiers(spec, e.settings["dossiers"]["code_pattern"], today)
    return spec


@bp.get("/openapi.json")
def openapi_json():
    app = current_app._get_current_object()
    e = app.extensions["onestop"]
    return jsonify(spec_for(e.settings.office, app, e.config.data(), e.config.version))
