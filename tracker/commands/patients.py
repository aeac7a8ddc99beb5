"""`tracker patient add`, `tracker enroll`, `tracker reschedule`: patients onto pathways.

Bad input is one line `tracker: --option: problem` and exit status 2, with nothing written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import click

from tracker.cli import fail

if TYPE_CHECKING:
    from sqlmodel import Session

    from tracker.localtime import Window
    from tracker.models import ChecklistItem, Enrollment, Patient
    from tracker.rescheduling import ItemChange, RescheduleDiff

ACTOR = "cli"
# Service field name -> the option that supplies it, for error lines.
OPTIONS = {
    "timezone": "--tz",
    "version": "--pathway",
    "conditional": "--confirm-all",
    "patient": "--mrn",
    "item": "--reopen",
}


@click.group()
def patient() -> None:
    """Patients: add one."""


@patient.command("add")
@click.option("--mrn", default="", help="Medical record number (unique).")
@click.option("--name", default="", help="The patient's name.")
@click.option("--email", default="", help="Email address, for email reminders.")
@click.option("--phone", default="", help="Mobile phone number.")
@click.option(
    "--tz",
    "zone_name",
    default=None,
    help="IANA time zone, e.g. America/Chicago (default: DEFAULT_ZONE).",
)
@click.option("--birth-date", default=None, help="Date of birth, YYYY-MM-DD.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def add(
    mrn: str,
    name: str,
    email: str,
    phone: str,
    zone_name: str | None,
    birth_date: str | None,
    as_json: bool,
) -> None:
    """Register a patient."""
    from tracker.clock import utcnow
    from tracker.patients import parse_birth_date, register_patient

    with _transaction() as (app, session):
        row = register_patient(
            session=session,
            mrn=mrn,
            name=name,
            email=email,
            phone=phone,
            timezone=zone_name,
            default_zone=app.config["DEFAULT_ZONE"],
            birth_date=parse_birth_date(birth_date),
            now=utcnow(),
            actor=ACTOR,
        )
        result = _patient_json(row)
    if as_json:
        _print_json(result)
    else:
        click.echo(
            f"patient {result['id']}: MRN {result['mrn']} {result['name']} ({result['timezone']})"
        )


@click.command()
@click.option("--mrn", default="", help="The patient's MRN.")
@click.option("--pathway", "slug", default="", help="Pathway slug; its newest published version.")
@click.option("--start", default="", help="Procedure start in local time, e.g. 2027-03-15T08:00.")
@click.option("--tz", "zone_name", default=None, help="Zone of --start (default: the patient's).")
@click.option("--fold", default=None, help="For a repeated hour: 0 the first, 1 the second.")
@click.option("--confirm-all", is_flag=True, help="Keep every conditional step.")
@click.option("--drop-conditional", is_flag=True, help="Drop every conditional step.")
@click.option("--allow-past", is_flag=True, help="Accept a procedure time in the past.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def enroll(
    mrn: str,
    slug: str,
    start: str,
    zone_name: str | None,
    fold: str | None,
    confirm_all: bool,
    drop_conditional: bool,
    allow_past: bool,
    as_json: bool,
) -> None:
    """Enroll a patient on a pathway: checklist items and reminders in local time."""
    from tracker import enrollment as service
    from tracker.clock import utcnow
    from tracker.pathways import get_pathway, versions_of
    from tracker.patients import InvalidInput, find_patient
    from tracker.procedure_time import parse_local_start
    from tracker.schedule_rows import version_plans

    if confirm_all and drop_conditional:
        fail("tracker: --confirm-all: give --confirm-all or --drop-conditional, not both")
    with _transaction() as (_app, session):
        local = parse_local_start(start)
        person = find_patient(session, mrn)
        if person is None:
            raise InvalidInput("patient", f"no patient with MRN {mrn!r}")
        pathway = get_pathway(session, slug.strip())
        if pathway is None:
            raise InvalidInput("version", f"no pathway {slug!r}: see `tracker pathways`")
        published = [v for v in versions_of(session, pathway) if v.state == "published"]
        if not published:
            raise InvalidInput("version", f"{slug} has no published version yet")
        version = published[-1]
        plans = version_plans(session, version)  # enroll reads them again, from the cache
        conditional = [plan.id for plan in plans if plan.step.conditional]
        try:
            enrollment = service.enroll(
                session=session,
                patient=person,
                version=version,
                start=local,
                now=utcnow(),
                actor=ACTOR,
                timezone=zone_name,
                fold=_fold(fold),
                allow_past=allow_past,
                confirm=conditional if confirm_all else (),
                drop=conditional if drop_conditional else (),
            )
        except service.UndecidedSteps as error:
            listed = "; ".join(f"[{step_id}] {text}" for step_id, text in error.steps)
            raise InvalidInput(
                "conditional",
                f"{pathway.slug} v{version.number} has conditional steps, "
                f"give --confirm-all or --drop-conditional: {listed}",
            ) from None
        result = _enrollment_json(
            session, enrollment, person, slug=pathway.slug, version=version.number
        )
    if as_json:
        _print_json(result)
    else:
        counts = result["counts"]
        click.echo(
            f"enrollment {result['enrollment_id']}: MRN {person.mrn} on {pathway.slug} "
            f"v{version.number}, starts {result['start']['local']} "
            f"({result['start']['utc']}); {counts['items']} items "
            f"({counts['missed']} missed), {counts['reminders']} reminders"
        )


@click.command()
@click.option("--enrollment", "enrollment_id", default="", help="Enrollment id.")
@click.option("--start", default="", help="New procedure start in local time.")
@click.option("--fold", default=None, help="For a repeated hour: 0 the first, 1 the second.")
@click.option("--reopen", multiple=True, help="Item id to reopen (repeatable).")
@click.option("--allow-past", is_flag=True, help="Accept a procedure time in the past.")
@click.option("--apply", "apply_", is_flag=True, help="Apply; without it, only show the diff.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def reschedule(
    enrollment_id: str,
    start: str,
    fold: str | None,
    reopen: tuple[str, ...],
    allow_past: bool,
    apply_: bool,
    as_json: bool,
) -> None:
    """Show what a new procedure time moves; with --apply, move it."""
    from tracker import rescheduling as service
    from tracker.clock import utcnow
    from tracker.models import Enrollment
    from tracker.patients import InvalidInput
    from tracker.procedure_time import parse_local_start

    with _transaction() as (_app, session):
        row = session.get(Enrollment, _whole_number(enrollment_id, "enrollment"))
        if row is None:
            raise InvalidInput("enrollment", f"no enrollment {enrollment_id}")
        options: dict[str, Any] = {
            "session": session,
            "enrollment": row,
            "now": utcnow(),
            "fold": _fold(fold),
            "start": parse_local_start(start),
            "allow_past": allow_past,
            "reopen": [_whole_number(item, "reopen") for item in reopen],
        }
        diff = (
            service.reschedule(actor=ACTOR, **options)
            if apply_
            else service.preview_reschedule(**options)
        )
        result = _diff_json(diff, applied=apply_)
    if as_json:
        _print_json(result)
    else:
        _print_diff(result)


# --- plumbing ----------------------------------------------------------------------------


@contextmanager
def _transaction() -> Iterator[tuple[Any, Session]]:
    """An app and a session committed at the end; InvalidInput becomes the one-line error."""
    from tracker.commands.context import app_context
    from tracker.db import get_engine, session_scope
    from tracker.patients import InvalidInput

    with app_context() as app:
        try:
            with session_scope(get_engine(app)) as session:
                yield app, session
        except InvalidInput as error:
            option = OPTIONS.get(error.field, "--" + error.field.replace("_", "-"))
            message = f"tracker: {option}: {error.message}"
            fail(message.replace("\r", " ").replace("\n", " "))


def _fold(text: str | None) -> int | None:
    from tracker.patients import InvalidInput

    if text is None:
        return None
    if text.strip() not in ("0", "1"):
        raise InvalidInput("fold", "must be 0 (the first of a repeated hour) or 1 (the second)")
    return int(text)


def _whole_number(text: str, field: str) -> int:
    from tracker.patients import InvalidInput

    if not text.strip().isdigit():
        raise InvalidInput(field, f"{text!r} is not an id")
    return int(text)


def _print_json(result: dict[str, Any]) -> None:
    click.echo(json.dumps(result, indent=2, ensure_ascii=False))


def _moment(moment: datetime | None, tz: ZoneInfo) -> dict[str, str] | None:
    if moment is None:
        return None
    return {"utc": moment.isoformat(), "local": moment.astimezone(tz).isoformat()}


def _patient_json(row: Patient) -> dict[str, Any]:
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


def _enrollment_json(
    session: Session, enrollment: Enrollment, person: Patient, *, slug: str, version: int
) -> dict[str, Any]:
    from tracker.localtime import zone
    from tracker.models import PathwayVersion
    from tracker.schedule_rows import items_of, reminders_of, version_plans

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


def _diff_json(diff: RescheduleDiff, *, applied: bool) -> dict[str, Any]:
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


def _print_diff(result: dict[str, Any]) -> None:
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
