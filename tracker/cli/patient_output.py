"""What `tracker patient add`, `tracker enroll` and `tracker reschedule` print, with --json or not.

Patients, enrollments with their items, and a reschedule's diff as JSON, each instant given
in UTC and in the enrollment's own zone; the diff also as lines for a person. Kept apart
from the commands so each command reads as options in, one service call, result out.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

if TYPE_CHECKING:
    from sqlmodel import Session

    from tracker.care.rescheduling import ItemChange, RescheduleDiff
    from tracker.localtime import Window
    from tracker.models import ChecklistItem, Enrollment, Patient


def print_json(result: dict[str, Any]) -> None:
    """A command's result as indented JSON on standard output."""
    click.echo(json.dumps(result, indent=2, ensure_ascii=False))


def _moment(moment: datetime | None, tz: ZoneInfo) -> dict[str, str] | None:
    if moment is None:
        return None
    return {"utc": moment.isoformat(), "local": moment.astimezone(tz).isoformat()}


def patient_json(row: Patient) -> dict[str, Any]:
    """A registered patient as JSON."""
    return {
        "id": row.id,
        "mrn": row.mrn,
        "name": row.name,
        "email": row.email,
        "phone": row.phone,
        "timezone": row.timezone,
        "birth_date": row.birth_date.isoformat() if row.birth_date else None,
        "reminder_hour": row.reminder_hour,
        "channels": row.channels,
        "language": row.language,
    }


def enrollment_json(
    session: Session, enrollment: Enrollment, person: Patient, *, slug: str, version: int
) -> dict[str, Any]:
    """An enrollment, its counts and its items as JSON."""
    from tracker.care.schedule_rows import items_of, reminders_of, version_plans
    from tracker.localtime import zone
    from tracker.models import PathwayVersion

    tz = zone(enrollment.timezone)
    items = items_of(session, enrollment)
    pinned = session.get_one(PathwayVersion, enrollment.version_id)
    texts = {plan.id: plan.step.text for plan in version_plans(session, pinned)}
    return {
        "enrollment_id": enrollment.id,
        "patient_id": person.id,
        "mrn": person.mrn,
        "pathway": slug,
        "version": version,
        "timezone": enrollment.timezone,
        "start": _moment(enrollment.procedure_start, tz),
        "end": _moment(enrollment.procedure_end, tz),
        "horizon": _moment(enrollment.horizon, tz),
        "dropped_steps": enrollment.dropped_steps,
        "counts": {
            "items": len(items),
            "pending": sum(i.status == "pending" for i in items),
            "missed": sum(i.status == "missed" for i in items),
            "reminders": len(reminders_of(session, enrollment)),
        },
        "items": [_item_json(item, texts.get(item.step_id, ""), tz) for item in items],
    }


def _item_json(item: ChecklistItem, text: str, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "id": item.id,
        "step_id": item.step_id,
        "occurrence": item.occurrence,
        "text": text,
        "status": item.status,
        "opens": _moment(item.opens_at, tz),
        "due": _moment(item.due_at, tz),
        "expires": _moment(item.expires_at, tz),
    }


def _window_json(window: Window | None, tz: ZoneInfo) -> dict[str, Any] | None:
    if window is None:
        return None
    return {
        "opens": _moment(window.opens, tz),
        "due": _moment(window.due, tz),
        "expires": _moment(window.expires, tz),
    }


def diff_json(diff: RescheduleDiff, *, applied: bool) -> dict[str, Any]:
    """A reschedule's diff as JSON: the old and new times, the counts, and each change."""
    from tracker.localtime import zone

    tz = zone(diff.timezone)
    changes = diff.changes
    return {
        "enrollment_id": diff.enrollment_id,
        "applied": applied,
        "timezone": diff.timezone,
        "old_start": _moment(diff.old_start, tz),
        "new_start": _moment(diff.new_start, tz),
        "old_end": _moment(diff.old_end, tz),
        "new_end": _moment(diff.new_end, tz),
        "horizon": _moment(diff.horizon, tz),
        "counts": {
            "moved": sum(c.item_id is not None and c.old != c.new for c in changes),
            "added": sum(c.item_id is None for c in changes),
            "missed": sum(c.new_status == "missed" and c.status != "missed" for c in changes),
            "cancelled": sum(c.new_status == "cancelled" for c in changes),
            "reopened": sum(c.reopen for c in changes),
            "no_longer_counts": len(diff.no_longer_counts),
            "unchanged": diff.unchanged,
        },
        "no_longer_counts": diff.no_longer_counts,
        "changes": [_change_json(change, tz) for change in changes],
    }


def _change_json(change: ItemChange, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "item_id": change.item_id,
        "step_id": change.step_id,
        "occurrence": change.occurrence,
        "text": change.text,
        "status": change.status,
        "new_status": change.new_status,
        "old": _window_json(change.old, tz),
        "new": _window_json(change.new, tz),
        "no_longer_counts": change.no_longer_counts,
        "reopen": change.reopen,
    }


def print_diff(result: dict[str, Any]) -> None:
    """A reschedule's diff (as diff_json gives it) as lines: one per item, then the counts."""
    verb = "moved" if result["applied"] else "would move"
    click.echo(
        f"enrollment {result['enrollment_id']}: {result['old_start']['local']} → "
        f"{result['new_start']['local']} ({result['timezone']}); {verb}:"
    )
    for change in result["changes"]:
        label = "new" if change["item_id"] is None else f"#{change['item_id']}"
        old, new = change["old"], change["new"]
        before = old["opens"]["local"] if old else "—"
        after = new["opens"]["local"] if new else "gone"
        status = change["status"] or "new"
        if change["new_status"] != change["status"]:
            status += f" → {change['new_status']}"
        flag = "  NO LONGER COUNTS (done for the old date)" if change["no_longer_counts"] else ""
        click.echo(
            f"  {label:>6} {change['text'][:50]:<50} opens {before} → {after}  [{status}]{flag}"
        )
    counts = result["counts"]
    click.echo(
        f"{counts['moved']} moved, {counts['added']} added, {counts['missed']} now missed, "
        f"{counts['cancelled']} cancelled, {counts['unchanged']} unchanged"
        + ("" if result["applied"] else "; add --apply to make the change")
    )
