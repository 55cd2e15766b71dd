"""The OpenAPI description covers every API route, and only routes that exist (or are planned)."""

from __future__ import annotations

from server.openapi import PLANNED, SPEC, routed, spec_for


def spec_ops(spec: dict) -> set[tuple[str, str]]:
    return {(m.upper(), path) for path, ops in spec["paths"].items() for m in ops}


def test_every_api_route_is_described(app):
    missing = routed(app) - spec_ops(SPEC)
    assert not missing, f"describe these in server/openapi.py: {sorted(missing)}"


def test_described_routes_exist_or_are_planned(app):
    extra = spec_ops(SPEC) - routed(app) - PLANNED
    assert not extra, f"server/openapi.py describes routes nobody serves: {sorted(extra)}"


def test_served_spec_lists_this_office_and_only_served_routes(client, onestop):
    r = client.get("/api/openapi.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    spec = r.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec_ops(spec) == routed(client.application) & spec_ops(SPEC)
    codes = spec["components"]["schemas"]["ServiceCode"]["enum"]
    assert codes == [s.code for s in onestop.settings.office.services]
    numbers = spec["components"]["parameters"]["CounterNumber"]["schema"]["enum"]
    assert numbers == [c.number for c in onestop.settings.office.counters]


def test_every_reference_resolves(onestop):
    spec = spec_for(onestop.settings.office)
    refs = []

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    assert refs
    for r in refs:
        node = spec
        for part in r.removeprefix("#/").split("/"):
            node = node[part]


def test_every_operation_documents_its_errors():
    for path, ops in SPEC["paths"].items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert any(c.startswith("2") for c in codes), (method, path)
            if op.get("security"):
                assert {"401", "403"} <= codes, (method, path)
            if method == "post":
                assert "400" in codes, (method, path)
