"""The API's plumbing, shared by every resource: one `operation` decorator registers a view
with its scope and typed models, checks the bearer token, parses the query and body with
pydantic, commits, and renders JSON. The same table of operations generates the OpenAPI
document (openapi.py), so the document cannot drift from what the views accept."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Blueprint, Response, g, request
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, SQLModel, col, select

from tracker import audit
from tracker.api.problems import ApiProblem, on_api_problem, on_unexpected
from tracker.api.schemas import MAX_ID, FieldError
from tracker.api.tokens import TokenRefused, authenticate
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.errors import InvalidInput, ItemNotFound

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
bp.register_error_handler(ApiProblem, on_api_problem)
bp.register_error_handler(Exception, on_unexpected)

Row = TypeVar("Row", bound=SQLModel)


@dataclass(frozen=True)
class Operation:
    """One API operation, as the OpenAPI document describes it."""

    method: str
    rule: str  # Flask's rule, e.g. /patients/<int:patient_id>
    name: str
    summary: str
    scope: str
    response: type[BaseModel] | None  # None: a free-form JSON object
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    if_match: bool = False  # an update: If-Match is required
    etag: bool = False  # a read that carries an ETag
    tags: tuple[str, ...] = field(default_factory=tuple)
    location: str = ""  # a 201's Location, formatted with the created resource's fields


OPERATIONS: list[Operation] = []


@dataclass
class Call:
    """What a view receives besides its path parameters."""

    session: Session
    actor: str  # "token:<name>", written to the audit log
    body: Any = None
    query: Any = None


def operation(
    method: str,
    rule: str,
    *,
    scope: str,
    response: type[BaseModel] | None,
    tag: str,
    status: int = 200,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    if_match: bool = False,
    etag: bool = False,
    location: str = "",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a view as an API operation (see the module docstring)."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        summary = (view.__doc__ or view.__name__).strip().splitlines()[0]
        spec = Operation(
            method, rule, view.__name__, summary, scope, response, status, body, query,
            if_match, etag, (tag,), location,
        )  # fmt: skip
        OPERATIONS.append(spec)

        @functools.wraps(view)
        def endpoint(**path: Any) -> Response:
            for name, value in path.items():
                if isinstance(value, int) and value > MAX_ID:
                    raise ApiProblem(404, f"no such {name.removesuffix('_id')}")
            session = get_session()
            token = _authenticate(session, spec.scope)
            call = Call(session=session, actor=f"token:{token}")
            if spec.query is not None:
                call.query = _validate(spec.query, request.args.to_dict(), "query")
            if spec.body is not None:
                call.body = _validate(spec.body, _json_object(), "body")
            try:
                result = view(call, **path)
            except ItemNotFound:
                raise ApiProblem(404, "no such item in this enrollment") from None
            except InvalidInput as error:
                problem = FieldError(field=error.field, message=error.message)
                raise ApiProblem(422, error.message, errors=[problem]) from None
            if spec.method == "GET":
                _audit_read(call, spec, path)
            session.commit()
            return _render(result, spec)

        bp.add_url_rule(rule, endpoint=view.__name__, view_func=endpoint, methods=[method])
        return view

    return register


def _authenticate(session: Session, scope: str) -> str:
    try:
        name = authenticate(session, request.headers.get("Authorization", ""), scope)
    except TokenRefused as refused:
        raise ApiProblem(refused.status, refused.detail) from None
    g.api_token = name
    return name


def _audit_read(call: Call, spec: Operation, path: dict[str, Any]) -> None:
    """Every read of patient data is on record with the token's name (writes are audited by
    the services they call)."""
    ids = [value for value in path.values() if isinstance(value, int)]
    audit.record_read(
        session=call.session,
        actor=call.actor,
        what=request.full_path.rstrip("?"),
        subject_type=spec.rule.strip("/").split("/")[0].removesuffix("s"),
        subject_id=ids[0] if ids else 0,
        now=utcnow(),
    )


def _json_object() -> Any:
    if request.mimetype != "application/json":
        raise ApiProblem(415, "send the body as application/json")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiProblem(422, "the body must be a JSON object")
    return data


def _validate(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = [
            FieldError(
                field=".".join(str(part) for part in item["loc"]) or where,
                message=item["msg"],
            )
            for item in error.errors(include_url=False)
        ]
        raise ApiProblem(
            422, f"the {where} has {len(errors)} invalid field(s)", errors=errors
        ) from None


def _render(result: Any, spec: Operation) -> Response:
    text = result.model_dump_json() if isinstance(result, BaseModel) else _dumps(result)
    response = Response(text, status=spec.status, mimetype="application/json")
    if spec.etag or spec.if_match:
        response.headers["ETag"] = etag_of(text)
    if spec.location and isinstance(result, BaseModel):
        response.headers["Location"] = PREFIX + spec.location.format(**dict(result))
    return response


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def etag_of(text: str) -> str:
    """A strong ETag: the representation's hash, so any change to what a client saw shows."""
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def require_match(current: BaseModel) -> None:
    """Refuse an update unless If-Match names the representation as it is now."""
    given = request.headers.get("If-Match")
    if given is None:
        raise ApiProblem(428, "send If-Match with the ETag of the resource you read")
    tags = [tag.strip().removeprefix("W/") for tag in given.split(",")]
    if "*" not in tags and etag_of(current.model_dump_json()) not in tags:
        raise ApiProblem(412, "the resource changed since you read it: read it again")


def get_or_404(session: Session, model: type[Row], row_id: int) -> Row:
    """The row, or a 404 problem."""
    row = session.get(model, row_id)
    if row is None:
        raise ApiProblem(404, f"no {model.__name__.lower()} {row_id}")
    return row


def page_of(
    session: Session,
    model: type[Row],
    *,
    limit: int,
    cursor: int | None,
    where: Sequence[Any] = (),
) -> tuple[list[Row], str | None]:
    """One page in id order after `cursor`, and the cursor of the next page (None: the last)."""
    id_column = col(model.id)  # type: ignore[attr-defined]
    query = select(model).where(*where)
    if cursor is not None:
        query = query.where(id_column > cursor)
    rows = list(session.exec(query.order_by(id_column).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1].id) if more else None)  # type: ignore[attr-defined]
