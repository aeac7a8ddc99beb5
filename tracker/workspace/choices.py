"""The nurse workspace's pick lists, and its patient search.

Named for `Choice`, the option every pick list here returns: the dashboard's pathway and
nurse filters, and the published versions a patient can be enrolled on. The patient search
sits with them because it too serves a form (the register's search box), not a work list;
the work lists are in tracker.workspace.dashboard. Both take their table handles and page size from
tracker.workspace.work_list_pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlmodel import Session

from tracker.workspace.work_list_pages import (
    ENROLLMENTS,
    PAGE_SIZE,
    PATHWAYS,
    PATIENTS,
    USERS,
    VERSIONS,
)

_enr, _pat, _ver, _user = ENROLLMENTS.c, PATIENTS.c, VERSIONS.c, USERS.c


@dataclass(frozen=True)
class Choice:
    """An option of a filter select."""

    id: int
    label: str


def pathway_choices(session: Session) -> list[Choice]:
    """Pathways with at least one published version, by name."""
    published = select(_ver.pathway_id).where(_ver.state == "published")
    pathways = PATHWAYS.c
    query = (
        select(pathways.id, pathways.short_name, pathways.title)
        .where(pathways.id.in_(published))
        .order_by(pathways.short_name)
    )
    return [Choice(r.id, r.short_name or r.title) for r in session.connection().execute(query)]


def nurse_choices(session: Session) -> list[Choice]:
    """Active staff who can be an enrollment's nurse, by name."""
    query = (
        select(_user.id, _user.name, _user.email)
        .where(_user.active.is_(True))
        .order_by(func.lower(func.coalesce(func.nullif(_user.name, ""), _user.email)))
    )
    return [Choice(r.id, r.name or r.email) for r in session.connection().execute(query)]


@dataclass(frozen=True)
class PatientRow:
    """A patient in the list, with the procedure of their latest active enrollment."""

    id: int
    name: str
    mrn: str
    birth_date: date | None
    timezone: str
    pathway: str = ""
    procedure_start: datetime | None = None
    enrollment_timezone: str = ""


def search_patients(
    session: Session, text: str, *, offset: int = 0, limit: int = PAGE_SIZE
) -> tuple[list[PatientRow], int]:
    """Patients whose name or MRN contains `text` (any case), by name; and how many match."""
    query = select(_pat.id, _pat.name, _pat.mrn, _pat.birth_date, _pat.timezone)
    needle = text.strip()
    if needle:
        pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(_pat.name.ilike(pattern, escape="\\"), _pat.mrn.ilike(pattern, escape="\\"))
        )
    connection = session.connection()
    found = list(
        connection.execute(
            query.order_by(func.lower(_pat.name), _pat.id).offset(offset).limit(limit)
        )
    )
    total = int(connection.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    ids = [r.id for r in found]
    latest: dict[int, tuple[str, datetime, str]] = {}
    if ids:
        enrollments = connection.execute(
            select(_enr.patient_id, _ver.title, _enr.procedure_start, _enr.timezone)
            .join(VERSIONS, _ver.id == _enr.version_id)
            .where(_enr.patient_id.in_(ids), _enr.state == "active")
            .order_by(_enr.procedure_start)
        )
        for r in enrollments:  # in time order, so the latest one is written last
            latest[r.patient_id] = (r.title, r.procedure_start, r.timezone)
    rows = [
        PatientRow(r.id, r.name, r.mrn, r.birth_date, r.timezone, *latest.get(r.id, ("", None, "")))
        for r in found
    ]
    return rows, total


def published_versions(session: Session) -> list[Choice]:
    """The newest published version of each pathway, by name: what a patient can be put on."""
    pathways = PATHWAYS.c
    newest = (
        select(_ver.pathway_id, func.max(_ver.number).label("number"))
        .where(_ver.state == "published")
        .group_by(_ver.pathway_id)
        .subquery()
    )
    query = (
        select(_ver.id, _ver.number, pathways.short_name, pathways.title, pathways.code)
        .join(newest, (newest.c.pathway_id == _ver.pathway_id) & (newest.c.number == _ver.number))
        .join(PATHWAYS, pathways.id == _ver.pathway_id)
        .order_by(func.lower(func.coalesce(func.nullif(pathways.short_name, ""), pathways.title)))
    )
    return [
        Choice(r.id, f"{r.short_name or r.title}{f' ({r.code})' if r.code else ''} · v{r.number}")
        for r in session.connection().execute(query)
    ]
