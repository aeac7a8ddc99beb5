"""Append-only history: who changed what, when, and the values before and after."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapper
from sqlmodel import Session, SQLModel, col, select

from tracker.errors import AuditRowChanged
from tracker.models import AuditEvent


def record(
    *,
    session: Session,
    actor: str,
    action: str,
    subject: SQLModel,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    patient_id: int | None,
    now: datetime,
) -> AuditEvent:
    """Add one audit row for `subject` (a flushed row); the caller's transaction commits it."""
    subject_id = getattr(subject, "id", None)
    if subject_id is None:
        raise ValueError(f"audit subject {type(subject).__name__} has no id yet: flush first")
    row = AuditEvent(
        at=now,
        actor=actor,
        action=action,
        subject_type=type(subject).__name__.lower(),
        subject_id=subject_id,
        patient_id=patient_id,
        before=_plain(before),
        after=_plain(after),
    )
    session.add(row)
    return row


def record_read(
    *, session: Session, actor: str, what: str, subject_type: str, subject_id: int, now: datetime
) -> AuditEvent:
    """Add one row saying who read what (an API client's GET): `what` is the path and query.

    Reads carry no patient id, so a patient's history stays the story of their plan; the
    subject names what was read (e.g. patient 7, or enrollment 0 for a list)."""
    row = AuditEvent(
        at=now,
        actor=actor,
        action="api.read",
        subject_type=subject_type,
        subject_id=subject_id,
        patient_id=None,
        before=None,
        after={"read": what[:500]},
    )
    session.add(row)
    return row


def history(session: Session, patient_id: int) -> list[AuditEvent]:
    """A patient's audit rows, oldest first."""
    query = select(AuditEvent).where(AuditEvent.patient_id == patient_id)
    return list(session.exec(query.order_by(col(AuditEvent.at), col(AuditEvent.id))).all())


def snapshot(row: SQLModel, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of a row as JSON-ready values (dates and datetimes as ISO text)."""
    return {name: _value(getattr(row, name)) for name in fields}


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose value differs: (before, after), for compact audit rows."""
    keys = [key for key in after if before.get(key) != after[key]]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def _plain(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else {key: _value(value) for key, value in values.items()}


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    return value


def _refuse(_mapper: Mapper[Any], _connection: Connection, target: AuditEvent) -> None:
    raise AuditRowChanged(f"audit event {target.id} is append-only")


event.listen(AuditEvent, "before_update", _refuse)
event.listen(AuditEvent, "before_delete", _refuse)
