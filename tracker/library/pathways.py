"""Documents become versioned pathways: import, list, read back as timed steps."""

from __future__ import annotations

import glob
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import Integer, func, or_
from sqlmodel import Session, col, select

from tracker.errors import DocumentError
from tracker.library import pathway_settings
from tracker.models import Pathway, PathwayVersion, Step
from tracker.reading import second_reading, timing
from tracker.reading.documents import Document, read_document

ImportStatus = Literal["created", "new version", "unchanged"]
SLUG_LENGTH = 80
# A translation of a document sits beside it named for its language: `22868.es.txt`.
TRANSLATED_NAME = re.compile(r"(?P<stem>.+)\.(?P<language>[a-z]{2})\.txt", re.IGNORECASE)


@dataclass(frozen=True)
class ImportResult:
    """What importing one document did."""

    path: str
    slug: str
    status: ImportStatus
    version: int
    steps: int
    needs_review: int
    settings_changed: bool = False  # by this import's arrival_minutes / stay_days


@dataclass(frozen=True)
class PathwaySummary:
    """One row of the pathway library."""

    pathway: Pathway
    versions: list[PathwayVersion]
    step_counts: dict[int, tuple[int, int]]  # version id -> (steps, needing review)

    @property
    def latest(self) -> PathwayVersion:
        return self.versions[-1]

    @property
    def published(self) -> PathwayVersion | None:
        return next((v for v in reversed(self.versions) if v.state == "published"), None)


def slug_for(document: Document) -> str:
    """A stable, readable identifier: the code and the short name, e.g. `22868-insertion-of-…`."""
    words = re.sub(r"[^a-z0-9]+", "-", f"{document.code or ''} {document.short_name}".lower())
    slug = words.strip("-")[:SLUG_LENGTH].rstrip("-")
    return slug or "pathway"


def source_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def import_document(
    *,
    session: Session,
    document: Document,
    now: datetime,
    user_id: int | None = None,
    arrival_minutes: int | None = None,
    stay_days: int | None = None,
) -> ImportResult:
    """Store a document as a draft version read with its pathway's settings; an unchanged
    document is left alone. `arrival_minutes` / `stay_days` first change those settings
    (InvalidInput when out of range)."""
    slug = slug_for(document)
    digest = source_hash(document.text)
    pathway = session.exec(select(Pathway).where(Pathway.slug == slug)).first()
    if pathway is None:
        pathway = Pathway(
            slug=slug,
            code_system=document.code_system,
            code=document.code or "",
            title=document.long_title,
            short_name=document.short_name,
            created_at=now,
        )
        session.add(pathway)
        session.flush()
    changed = pathway_settings.change_settings(
        session=session,
        pathway=pathway,
        arrival_minutes=arrival_minutes,
        stay_days=stay_days,
        user_id=user_id,
        now=now,
    )
    latest = _latest_version(session, pathway)
    if latest is not None and latest.source_hash == digest:
        steps, review = _count_steps(session, latest)
        return ImportResult(document.path, slug, "unchanged", latest.number, steps, review, changed)

    settings = pathway_settings.settings_of(pathway)  # the pathway's arrival and usual stay
    derived = timing.derive(document, settings=settings)
    # a tagger reads every step too (issue 10)
    derived, second = second_reading.check(derived, settings=settings)
    assert pathway.id is not None
    version = PathwayVersion(
        pathway_id=pathway.id,
        number=(latest.number + 1) if latest else 1,
        title=document.short_name or document.long_title,
        source_name=Path(document.path).name,
        source_text=document.text,
        source_hash=digest,
        duration_minutes=derived.duration_minutes,
        warnings=list(derived.warnings),
        created_at=now,
        created_by=user_id,
    )
    session.add(version)
    session.flush()
    assert version.id is not None
    session.add_all(
        step_row(version.id, position, step, second[position])
        for position, step in enumerate(derived.steps)
    )
    session.flush()
    status: ImportStatus = "created" if latest is None else "new version"
    review = sum(step.needs_review for step in derived.steps)
    count = len(derived.steps)
    return ImportResult(document.path, slug, status, version.number, count, review, changed)


def step_row(
    version_id: int,
    position: int,
    step: timing.Step,
    second: second_reading.SecondReading | None = None,
) -> Step:
    """A timing.Step as a database row (relative times, never absolute ones)."""
    stored = second.to_dict() if second is not None and second.flagged else None
    return Step(version_id=version_id, position=position, second_reading=stored, **step.to_dict())


def timing_step(row: Step) -> timing.Step:
    """A database row back as a typed timing.Step."""
    return timing.Step(
        section=row.section,
        line=row.line,
        text=row.text,
        kind=row.kind,
        critical=row.critical,
        conditional=row.conditional,
        opens=timing.RelTime.from_dict(row.opens),
        due=timing.RelTime.from_dict(row.due),
        expires=timing.RelTime.from_dict(row.expires) if row.expires else None,
        recurrence=timing.Recurrence.from_dict(row.recurrence) if row.recurrence else None,
        evidence=row.evidence,
        rule=row.rule,
        confidence=row.confidence,
        asks=row.asks,
        merged=tuple(timing.Evidence.from_dict(e) for e in row.merged),
    )


def documents_in(path: Path) -> list[Path]:
    """The documents a path names: the file itself, or a folder's .txt files in name order
    (translations, `22868.es.txt`, are not documents of their own: see translations_in)."""
    if path.is_dir():
        found = (p for p in path.iterdir() if p.suffix.lower() == ".txt" and p.is_file())
        return sorted(p for p in found if not TRANSLATED_NAME.fullmatch(p.name))
    return [] if TRANSLATED_NAME.fullmatch(path.name) else [path]


def translations_in(path: Path) -> list[Path]:
    """The translations a path names: a folder's, the file itself, or those beside a document."""
    if path.is_dir():
        found = (p for p in path.iterdir() if p.is_file() and TRANSLATED_NAME.fullmatch(p.name))
        return sorted(found)
    if TRANSLATED_NAME.fullmatch(path.name):
        return [path]
    if not path.parent.is_dir():
        return []
    beside = path.parent.glob(f"{glob.escape(path.stem)}.*.txt")
    return sorted(p for p in beside if p.is_file() and TRANSLATED_NAME.fullmatch(p.name))


def read_all(path: Path, *, code: str | None) -> list[Document | DocumentError]:
    """Read every document a path names; a bad one becomes its error, the others still read."""
    if not path.exists():
        return [DocumentError(str(path), 0, "no such file or directory")]
    outcomes: list[Document | DocumentError] = []
    for file in documents_in(path):
        try:
            outcomes.append(read_document(file, code=code))
        except DocumentError as error:
            outcomes.append(error)
    return outcomes


def summaries(session: Session, search: str = "") -> list[PathwaySummary]:
    """Every pathway with its versions (oldest first) and step counts, for the library; with
    `search`, only those whose name, title, slug or code contains it (any case)."""
    query = select(Pathway).order_by(col(Pathway.short_name))
    words = search.strip()
    if words:
        columns = (Pathway.short_name, Pathway.title, Pathway.slug, Pathway.code)
        query = query.where(or_(*(col(c).icontains(words, autoescape=True) for c in columns)))
    pathways = session.exec(query).all()
    versions = session.exec(select(PathwayVersion).order_by(col(PathwayVersion.number))).all()
    counts = _step_counts(session)
    by_pathway: dict[int, list[PathwayVersion]] = {}
    for version in versions:
        by_pathway.setdefault(version.pathway_id, []).append(version)
    return [
        PathwaySummary(p, by_pathway.get(p.id or 0, []), counts)
        for p in pathways
        if by_pathway.get(p.id or 0)
    ]


def get_pathway(session: Session, slug: str) -> Pathway | None:
    return session.exec(select(Pathway).where(Pathway.slug == slug)).first()


def versions_of(session: Session, pathway: Pathway) -> list[PathwayVersion]:
    query = select(PathwayVersion).where(PathwayVersion.pathway_id == pathway.id)
    return list(session.exec(query.order_by(col(PathwayVersion.number))).all())


def steps_of(session: Session, version: PathwayVersion) -> list[Step]:
    query = select(Step).where(Step.version_id == version.id).order_by(col(Step.position))
    return list(session.exec(query).all())


def _latest_version(session: Session, pathway: Pathway) -> PathwayVersion | None:
    query = select(PathwayVersion).where(PathwayVersion.pathway_id == pathway.id)
    return session.exec(query.order_by(col(PathwayVersion.number).desc())).first()


def _count_steps(session: Session, version: PathwayVersion) -> tuple[int, int]:
    return _step_counts(session, version.id).get(version.id or 0, (0, 0))


def _step_counts(session: Session, version_id: int | None = None) -> dict[int, tuple[int, int]]:
    review = func.sum((col(Step.confidence) < timing.REVIEW_THRESHOLD).cast(Integer))
    query = select(Step.version_id, func.count(), review).group_by(col(Step.version_id))
    if version_id is not None:
        query = query.where(Step.version_id == version_id)
    return {vid: (int(total), int(flagged or 0)) for vid, total, flagged in session.exec(query)}


def published_version(session: Session, pathway: Pathway) -> PathwayVersion | None:
    """The version new enrollments use: the pathway's one published version, if any."""
    query = select(PathwayVersion).where(
        PathwayVersion.pathway_id == pathway.id, PathwayVersion.state == "published"
    )
    return session.exec(query.order_by(col(PathwayVersion.number).desc())).first()
