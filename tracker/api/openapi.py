"""The OpenAPI 3.1 document, built from the table of operations and their pydantic models,
and a plain page listing the operations (no scripts: it works offline and under the CSP)."""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from flask import Response, render_template_string
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from tracker.api.operations import OPERATIONS, Operation, bp
from tracker.api.problems import MEDIA_TYPE
from tracker.api.schemas import MAX_ID, Problem

REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"<int:(\w+)>")
_document: dict[str, Any] | None = None  # built once: the operations are fixed at import

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tracker API v1</title></head>
<body><main><h1>Care Pathway Tracker API v1</h1>
<p>Send <code>Authorization: Bearer &lt;token&gt;</code> (<code>tracker token create</code>).
The machine-readable document is <a href="openapi.json">openapi.json</a>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>Scope</th><th>What</th></tr></thead><tbody>
{% for op in operations %}<tr><td>{{ op.method }}</td><td><code>/api/v1{{ op.path }}</code></td>
<td>{{ op.scope }}</td><td>{{ op.summary }}</td></tr>
{% endfor %}</tbody></table></main></body></html>
"""


def _path(rule: str) -> str:
    return _PARAM.sub(r"{\1}", rule)


def _models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {"Problem": Problem}
    for op in OPERATIONS:
        for model in (op.response, op.body):
            if model is not None:
                found[model.__name__] = model
    return list(found.values())


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        }
        for name in _PARAM.findall(op.rule)
    ]
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template=REF)
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": False, "schema": prop})
    if op.if_match or op.name == "reschedule":
        params.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "description": "the ETag you read; required (428 without it, 412 if stale)",
                "schema": {"type": "string"},
            }
        )
    return params


def _operation(op: Operation) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": op.summary}
    schema = {"$ref": REF.format(model=op.response.__name__)} if op.response else {"type": "object"}
    ok["content"] = {"application/json": {"schema": schema}}
    if op.etag or op.if_match:
        ok["headers"] = {"ETag": {"schema": {"type": "string"}}}
    if op.location:
        where = {"description": "the created resource", "schema": {"type": "string"}}
        ok["headers"] = {**ok.get("headers", {}), "Location": where}
    spec: dict[str, Any] = {
        "operationId": op.name,
        "summary": op.summary,
        "tags": list(op.tags),
        "security": [{"bearer": []}],
        "parameters": _parameters(op),
        "responses": {
            str(op.status): ok,
            "default": {
                "description": "RFC 9457 problem details",
                "content": {MEDIA_TYPE: {"schema": {"$ref": REF.format(model="Problem")}}},
            },
        },
    }
    if op.body is not None:
        spec["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": REF.format(model=op.body.__name__)}}
            },
        }
    return spec


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of every operation."""
    global _document
    if _document is not None:
        return _document
    spec = APISpec(title="Care Pathway Tracker API", version="1", openapi_version="3.1.0")
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    _, schemas = models_json_schema(
        [(model, "validation") for model in _models()], ref_template=REF
    )
    for name, schema in sorted(schemas.get("$defs", {}).items()):
        spec.components.schema(name, schema)
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(_path(op.rule), {})[op.method.lower()] = _operation(op)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    _document = spec.to_dict()
    return _document


@bp.get("/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI document (no token needed: it holds no data)."""
    from flask import jsonify

    return jsonify(document())


@bp.get("/")
def browse() -> str:
    """A page listing every operation."""
    rows = [
        {"method": op.method, "path": _path(op.rule), "scope": op.scope, "summary": op.summary}
        for op in OPERATIONS
    ]
    return render_template_string(PAGE, operations=rows)
