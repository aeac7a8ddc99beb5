"""Pathways (their published versions and steps) and the schedule preview of a posted document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from tracker import localtime
from tracker.api.operations import Call, get_or_404, operation, page_of
from tracker.api.problems import ApiProblem
from tracker.api.schemas import (
    FieldError,
    PathwayQuery,
    PreviewIn,
    StepOut,
    VersionOut,
    VersionPage,
    VersionSummary,
)
from tracker.errors import DocumentError
from tracker.library.pathways import steps_of
from tracker.library.preview import build_preview
from tracker.models import Pathway, PathwayVersion
from tracker.reading.documents import parse_document

PUBLISHED = "published"


def _summary(session: Session, version: PathwayVersion, slug: str) -> dict[str, Any]:
    assert version.id is not None
    return {
        "id": version.id,
        "slug": slug,
        "number": version.number,
        "state": version.state,
        "title": version.title,
        "duration_minutes": version.duration_minutes,
        "published_at": version.published_at,
        "steps": len(steps_of(session, version)),
    }


@operation(
    "GET", "/pathways", scope="read", response=VersionPage, query=PathwayQuery, tag="pathways"
)
def list_pathways(call: Call) -> VersionPage:
    """Published pathway versions, one per pathway, in id order."""
    query: PathwayQuery = call.query
    where = [PathwayVersion.state == PUBLISHED]
    if query.slug is not None:
        pathway = call.session.exec(select(Pathway).where(Pathway.slug == query.slug)).first()
        where.append(PathwayVersion.pathway_id == (pathway.id if pathway else -1))
    rows, cursor = page_of(
        call.session, PathwayVersion, limit=query.limit, cursor=query.cursor, where=where
    )
    slugs = {p.id: p.slug for p in call.session.exec(select(Pathway)).all()}
    items = [VersionSummary(**_summary(call.session, v, slugs[v.pathway_id])) for v in rows]
    return VersionPage(items=items, next_cursor=cursor)


@operation(
    "GET", "/versions/<int:version_id>", scope="read", response=VersionOut, etag=True,
    tag="pathways",
)  # fmt: skip
def get_version(call: Call, version_id: int) -> VersionOut:
    """A published or retired version with its steps (drafts are not shown to machines)."""
    version = get_or_404(call.session, PathwayVersion, version_id)
    if version.state == "draft":
        raise ApiProblem(404, f"no published version {version_id}")
    pathway = get_or_404(call.session, Pathway, version.pathway_id)
    steps = [
        StepOut.model_validate(step, from_attributes=True)
        for step in steps_of(call.session, version)
    ]
    return VersionOut(**_summary(call.session, version, pathway.slug), step_list=steps)


@operation("POST", "/preview", scope="read", response=None, body=PreviewIn, tag="pathways")
def preview(call: Call) -> dict[str, Any]:
    """The schedule a document gives a patient starting then: `tracker preview --json`'s JSON."""
    body: PreviewIn = call.body
    errors: list[FieldError] = []
    try:
        start = datetime.fromisoformat(body.start)
        if start.tzinfo is not None:
            errors.append(FieldError(field="start", message="give local time without an offset"))
    except ValueError:
        errors.append(FieldError(field="start", message="not a local time like 2027-03-15T08:00"))
    try:
        tz = localtime.zone(body.timezone)
    except ValueError as error:
        errors.append(FieldError(field="timezone", message=str(error)))
    if errors:
        raise ApiProblem(422, "the body has invalid fields", errors=errors)
    try:
        document = parse_document(body.text, path="<body>", code=body.code)
        return build_preview(document, start_local=start, tz=tz, reminder_hour=body.reminder_hour)
    except DocumentError as error:
        raise ApiProblem(
            422, str(error), errors=[FieldError(field="text", message=str(error))]
        ) from None
