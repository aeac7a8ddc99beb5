"""Reminders and alerts listed by state; patient links issued (shown once) and revoked."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from sqlmodel import col, select

from tracker.api.enrollment_schemas import (
    AlertOut,
    AlertPage,
    AlertQuery,
    LinkOut,
    LinksRevoked,
    ReminderOut,
    ReminderPage,
    ReminderQuery,
)
from tracker.api.operations import Call, get_or_404, operation, page_of
from tracker.clock import utcnow
from tracker.models import ChecklistItem, Enrollment, Escalation, Reminder
from tracker.patient.links import issue_link, revoke_links

UNCONFIRMED = ("pending", "not_done", "missed")  # an escalated item still nobody ticked


@operation(
    "GET", "/reminders", scope="read", response=ReminderPage, query=ReminderQuery,
    tag="reminders",
)  # fmt: skip
def list_reminders(call: Call) -> ReminderPage:
    """Reminders in id order, filtered by status and enrollment."""
    query: ReminderQuery = call.query
    where: list[Any] = []
    if query.status is not None:
        where.append(Reminder.status == query.status)
    if query.enrollment_id is not None:
        where.append(Reminder.enrollment_id == query.enrollment_id)
    rows, cursor = page_of(
        call.session, Reminder, limit=query.limit, cursor=query.cursor, where=where
    )
    items = [ReminderOut.model_validate(r, from_attributes=True) for r in rows]
    return ReminderPage(items=items, next_cursor=cursor)


@operation("GET", "/alerts", scope="read", response=AlertPage, query=AlertQuery, tag="reminders")
def list_alerts(call: Call) -> AlertPage:
    """Escalations of critical items: `open` while the item is still not done."""
    query: AlertQuery = call.query
    where: list[Any] = []
    if query.enrollment_id is not None:
        where.append(Escalation.enrollment_id == query.enrollment_id)
    if query.state is not None:
        unconfirmed = select(ChecklistItem.id).where(col(ChecklistItem.status).in_(UNCONFIRMED))
        is_open = col(Escalation.item_id).in_(unconfirmed)
        where.append(is_open if query.state == "open" else ~is_open)
    rows, cursor = page_of(
        call.session, Escalation, limit=query.limit, cursor=query.cursor, where=where
    )
    ids = [row.item_id for row in rows]
    status = dict(
        call.session.exec(
            select(ChecklistItem.id, ChecklistItem.status).where(col(ChecklistItem.id).in_(ids))
        ).all()
    )
    items = [
        AlertOut(
            id=row.id or 0,
            item_id=row.item_id,
            enrollment_id=row.enrollment_id,
            raised_at=row.raised_at,
            kind=row.kind,
            item_status=status.get(row.item_id, ""),
        )
        for row in rows
    ]
    return AlertPage(items=items, next_cursor=cursor)


@operation(
    "POST", "/enrollments/<int:enrollment_id>/links", scope="enroll", response=LinkOut,
    status=201, tag="links",
)  # fmt: skip
def issue(call: Call, enrollment_id: int) -> LinkOut:
    """A new personal link (any working one is revoked); the URL is in this response only."""
    row = get_or_404(call.session, Enrollment, enrollment_id)
    link, token = issue_link(session=call.session, enrollment=row, now=utcnow(), actor=call.actor)
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    assert link.id is not None
    return LinkOut(
        id=link.id,
        enrollment_id=enrollment_id,
        url=base + url_for("patient.checklist", token=token),
        expires_at=link.expires_at,
    )


@operation(
    "DELETE", "/enrollments/<int:enrollment_id>/links", scope="enroll", response=LinksRevoked,
    tag="links",
)  # fmt: skip
def revoke(call: Call, enrollment_id: int) -> LinksRevoked:
    """Revoke every working link of the enrollment at once."""
    row = get_or_404(call.session, Enrollment, enrollment_id)
    links = revoke_links(session=call.session, enrollment=row, now=utcnow(), actor=call.actor)
    return LinksRevoked(revoked=[link.id for link in links if link.id is not None])
