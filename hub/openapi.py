"""The hub's OpenAPI document, served at /api/openapi.json."""

from __future__ import annotations

from flask import Flask, jsonify

from core.stats import METRIC_KEYS

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}  # fmt: skip
DATE = {"type": "string", "format": "date", "pattern": "^2[0-9]{3}-[0-9]{2}-[0-9]{2}$"}


FORMAT = ({"name": "format", "in": "query",
           "schema": {"type": "string", "enum": ["json", "csv", "xlsx"]}},
          {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["vi", "en"]}})  # fmt: skip
FILES = {"text/csv": {"schema": {"type": "string"}},
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
             "schema": {"type": "string", "format": "binary"}}}  # fmt: skip


def _errors(*codes: int) -> dict:
    return {str(c): {"description": "error", "content": {"application/json": {"schema": ERROR}}}
            for c in codes}  # fmt: skip


def document() -> dict:
    office_row = {"type": "object", "required": ["code", "name", *METRIC_KEYS, "live"],
                  "properties": {"code": {"type": "string"}, "name": {"type": "string"},
                                 "live": {"type": "object"}}}  # fmt: skip
    bearer = [{"bearer": []}]
    return {
        "openapi": "3.0.3",
        "info": {"title": "One-Stop Queue province hub", "version": "1"},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/api/health": {"get": {"responses": {"200": {"description": "ok"}}}},
            "/api/offices": {"get": {
                "security": bearer,
                "parameters": [*({"name": n, "in": "query", "schema": DATE} for n in ("from", "to")),
                               *FORMAT],
                "responses": {"200": {"description": "league table", "content": {
                    "application/json": {"schema": {"type": "object", "required": ["offices"],
                    "properties": {"offices": {"type": "array", "items": office_row}}}},
                    **FILES}},
                    **_errors(400, 401)},
            }},
            "/api/offices/{code}/trend": {"get": {
                "security": bearer,
                "parameters": [{"name": "code", "in": "path", "required": True,
                                "schema": {"type": "string"}},
                               *({"name": n, "in": "query", "schema": DATE} for n in ("from", "to"))],
                "responses": {"200": {"description": "the office's days", "content": {
                    "application/json": {"schema": {"type": "object", "required": ["trend"]}}}},
                    **_errors(400, 401, 403, 404)},
            }},
            "/api/offices/{code}/daily": {"get": {
                "security": bearer,
                "parameters": [{"name": "code", "in": "path", "required": True,
                                "schema": {"type": "string"}},
                               {"name": "date", "in": "query", "schema": DATE}, *FORMAT],
                "responses": {"200": {"description": "DailyReport", "content": {
                    "application/json": {"schema": {"type": "object",
                    "required": ["date", "office", "services", "counters", "clerks", "hours",
                                 "dossiers"]}},
                    **FILES}},
                    **_errors(400, 401, 403, 404)},
            }},
            **views_paths(bearer),
            "/api/login": {"post": {
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["name", "password"],
                    "properties": {"name": {"type": "string"}, "password": {"type": "string"}}}}}},
                "responses": {"200": {"description": "a new token", "content": {
                    "application/json": {"schema": {"type": "object", "required": ["token"],
                    "properties": {"token": {"type": "string"}}}}}}, **_errors(400, 401)},
            }},
            "/api/sync": {"post": {
                "security": bearer,
                "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"200": {"description": "ack", "content": {"application/json": {
                    "schema": {"type": "object", "required": ["acked"]}}}},
                    **_errors(400, 401, 413)},
            }},
        },
    }  # fmt: skip


def views_paths(bearer: list) -> dict:
    """The procedure comparison, the device board and the catalogue (hub/views.py)."""
    obj = {"type": "object"}
    return {
        "/api/procedures/{code}": {"get": {
            "security": bearer,
            "parameters": [{"name": "code", "in": "path", "required": True,
                            "schema": {"type": "string"}},
                           *({"name": n, "in": "query", "schema": DATE} for n in ("from", "to")),
                           *FORMAT],
            "responses": {"200": {"description": "one row per office offering it", "content": {
                "application/json": {"schema": {"type": "object",
                    "required": ["procedure", "from", "to", "offices"],
                    "properties": {"offices": {"type": "array", "items": {"type": "object",
                        "required": ["code", "name", "target_wait_s", *METRIC_KEYS]}}}}},
                **FILES}},
                **_errors(400, 401, 404)},
        }},
        "/api/devices": {"get": {
            "security": bearer,
            "responses": {"200": {"description": "device health per office", "content": {
                "application/json": {"schema": {"type": "object",
                    "required": ["stale_after_s", "offices"],
                    "properties": {"offices": {"type": "array", "items": {"type": "object",
                        "required": ["code", "name", "last_contact", "stale", "devices",
                                     "clock_steps"]}}}}}}},
                **_errors(401)},
        }},
        "/api/catalogue": {"get": {
            "security": bearer,
            "parameters": [{"name": "If-None-Match", "in": "header", "schema": {"type": "string"}}],
            "responses": {"200": {"description": "the province's procedures; ETag \"vN\"",
                "headers": {"ETag": {"schema": {"type": "string"}}},
                "content": {"application/json": {"schema": {"type": "object",
                    "required": ["version", "procedures"],
                    "properties": {"version": {"type": "integer"},
                                   "procedures": {"type": "array", "items": obj}}}}}},
                "304": {"description": "unchanged since the version named"},
                **_errors(401)},
        }},
    }  # fmt: skip


def init_app(app: Flask) -> None:
    app.add_url_rule("/api/openapi.json", "openapi", lambda: jsonify(document()))
