"""Reviewing a pathway version before anyone is enrolled: publish, retire, start a new draft.

Only drafts change; a draft's steps are edited in tracker.library.step_edits. Publishing
freezes a version and retires the pathway's previously published one; editing a published
pathway starts a new draft from a copy of its steps. Every change adds an audit row; callers
commit (views and commands own the transaction).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, select

from tracker import audit
from tracker.errors import DocumentError, DraftExists, ReviewError, VersionFrozen, Word
from tracker.library import pathways, translation_rows
from tracker.models import Pathway, PathwayVersion, Step
from tracker.reading import timing
from tracker.reading.documents import parse_document

DRAFT, PUBLISHED, RETIRED = "draft", "published", "retired"
STEP_FIELDS = (
    "position",
    "section",
    "line",
    "text",
    "kind",
    "critical",
    "conditional",
    "opens",
    "due",
    "expires",
    "recurrence",
    "evidence",
    "rule",
    "confidence",
    "asks",
    "merged",
)
VERSION_FIELDS = ("number", "state", "published_at", "published_by")


def frozen(version: PathwayVersion) -> VersionFrozen:
    """The refusal to change a version that is no longer a draft."""
    if version.state == "retired":
        return VersionFrozen(
            "v%(number)s is retired: published versions never change. "
            "Start a new draft to make changes.",
            number=version.number,
        )
    return VersionFrozen(
        "v%(number)s is %(state)s: published versions never change. "
        "Start a new draft to make changes.",
        number=version.number,
        state=Word(version.state),
    )


def actor_for(user_id: int | None) -> str:
    """How audit rows name who acted: a staff member, or the system (commands, jobs)."""
    return f"user:{user_id}" if user_id is not None else "system"


def publish(
    *,
    session: Session,
    version: PathwayVersion,
    user_id: int | None,
    now: datetime,
    allow_unreviewed: bool = True,
) -> PathwayVersion:
    """Freeze a draft for enrollment; the pathway's previously published version retires.
    With `allow_unreviewed=False` (`tracker pathways publish`), steps still below the review
    threshold refuse it."""
    assert version.id is not None
    _lock_pathway(session, version.pathway_id)
    lock_draft(session, version.id)
    steps = pathways.steps_of(session, version)
    if not steps:
        raise ReviewError(
            "v%(number)s has no steps: add one before publishing", number=version.number
        )
    unreviewed = [s.position for s in steps if s.confidence < timing.REVIEW_THRESHOLD]
    if unreviewed and not allow_unreviewed:
        listed = ", ".join(str(position) for position in unreviewed)
        raise ReviewError(
            "v%(number)s has %(count)s step(s) still to review "
            "(positions %(positions)s): review them, or allow unreviewed steps",
            number=version.number,
            count=len(unreviewed),
            positions=listed,
        )
    pathway = session.get(Pathway, version.pathway_id)
    assert pathway is not None
    previous = pathways.published_version(session, pathway)
    if previous is not None:
        _set_state(session, previous, RETIRED, user_id, now, action="version.retire")
    changes = {"published_at": now, "published_by": user_id}
    return _set_state(
        session, version, PUBLISHED, user_id, now, action="version.publish", **changes
    )


def retire(
    *, session: Session, version: PathwayVersion, user_id: int | None, now: datetime
) -> PathwayVersion:
    """Hide a version from enrollment for good; enrollments already on it keep it."""
    _lock_pathway(session, version.pathway_id)
    session.refresh(version)
    if version.state == RETIRED:
        raise VersionFrozen("v%(number)s is already retired", number=version.number)
    return _set_state(session, version, RETIRED, user_id, now, action="version.retire")


def start_draft(
    *, session: Session, pathway: Pathway, user_id: int | None, now: datetime
) -> PathwayVersion:
    """A new draft copying the published version's steps (else the latest version's)."""
    assert pathway.id is not None
    _lock_pathway(session, pathway.id)
    versions = pathways.versions_of(session, pathway)
    if not versions:
        raise ReviewError(
            "%(slug)s has no versions to copy: import its document", slug=pathway.slug
        )
    draft = next((v for v in versions if v.state == DRAFT), None)
    if draft is not None:
        raise DraftExists(draft)
    source = pathways.published_version(session, pathway) or versions[-1]
    version = PathwayVersion(
        pathway_id=pathway.id,
        number=versions[-1].number + 1,
        state=DRAFT,
        title=source.title,
        source_name=source.source_name,
        source_text=source.source_text,
        source_hash=source.source_hash,
        duration_minutes=source.duration_minutes,
        warnings=list(source.warnings),
        created_at=now,
        created_by=user_id,
    )
    session.add(version)
    session.flush()
    assert version.id is not None
    originals = pathways.steps_of(session, source)
    copies = [
        Step(version_id=version.id, **{name: getattr(step, name) for name in STEP_FIELDS})
        for step in originals
    ]
    session.add_all(copies)
    session.flush()
    pairs = {step.id or 0: copy for step, copy in zip(originals, copies, strict=True)}
    translation_rows.copy_to(session=session, copies=pairs, now=now)
    translation_rows.copy_titles(
        session=session, source_id=source.id or 0, version_id=version.id, now=now
    )
    after = {
        "number": version.number,
        "state": DRAFT,
        "copied_from": source.number,
        "steps": len(copies),
    }
    record_change(session, user_id, "version.draft", version, None, after, now)
    return version


def source_sentences(version: PathwayVersion) -> dict[int, str]:
    """Each document line that starts a bullet or paragraph -> its full (joined) text."""
    try:
        document = parse_document(version.source_text, path=version.source_name or "<source>")
    except DocumentError:
        document = None
    if document is not None:
        headings = {section.line: section.name for section in document.sections}
        entries = {e.line: e.text for section in document.sections for e in section.entries}
        return headings | entries
    lines = version.source_text.split("\n")
    return {number: text.strip() for number, text in enumerate(lines, start=1) if text.strip()}


def _lock_pathway(session: Session, pathway_id: int) -> None:
    """Serialise publishing and drafting per pathway (row lock; SQLite serialises writers)."""
    session.exec(select(Pathway.id).where(Pathway.id == pathway_id).with_for_update()).one()


def lock_draft(session: Session, version_id: int) -> PathwayVersion:
    """The version, locked and re-read (publishing locks it too, so nothing lands in it after
    it is published); VersionFrozen unless it is a draft: only a draft may change."""
    query = select(PathwayVersion).where(PathwayVersion.id == version_id).with_for_update()
    version = session.exec(query.execution_options(populate_existing=True)).one()
    if version.state != DRAFT:
        raise frozen(version)
    return version


def _set_state(
    session: Session,
    version: PathwayVersion,
    state: str,
    user_id: int | None,
    now: datetime,
    *,
    action: str,
    **changes: Any,
) -> PathwayVersion:
    before = audit.snapshot(version, VERSION_FIELDS)
    version.state = state
    for name, value in changes.items():
        setattr(version, name, value)
    session.add(version)
    session.flush()
    old, new = audit.changes(before, audit.snapshot(version, VERSION_FIELDS))
    record_change(session, user_id, action, version, old, new, now)
    return version


def record_change(
    session: Session,
    user_id: int | None,
    action: str,
    subject: SQLModel,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    now: datetime,
) -> None:
    audit.record(
        session=session,
        actor=actor_for(user_id),
        action=action,
        subject=subject,
        before=before,
        after=after,
        patient_id=None,
        now=now,
    )
