"""`tracker patient add`, `tracker enroll`, `tracker reschedule`: patients onto pathways.

Bad input is one line `tracker: --option: problem` and exit status 2, with nothing written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import click

from tracker import errors
from tracker.cli import fail
from tracker.cli.patient_output import (
    diff_json,
    enrollment_json,
    patient_json,
    print_diff,
    print_json,
)

if TYPE_CHECKING:
    from sqlmodel import Session

ACTOR = "cli"
# --channel names -> the stored channel (text messages go out through the webhook gateway).
CHANNEL_OPTIONS = {"email": "email", "sms": "webhook"}
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
@click.option(
    "--channel",
    "channels",
    type=click.Choice(sorted(CHANNEL_OPTIONS)),
    multiple=True,
    help="Also remind by email or text message (repeatable); the in-app inbox always.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def add(
    mrn: str,
    name: str,
    email: str,
    phone: str,
    zone_name: str | None,
    birth_date: str | None,
    channels: tuple[str, ...],
    as_json: bool,
) -> None:
    """Register a patient."""
    from tracker.care.patients import parse_birth_date, register_patient
    from tracker.clock import utcnow

    for wanted, (option, given) in {"email": ("--email", email), "sms": ("--phone", phone)}.items():
        if wanted in channels and not given.strip():
            fail(f"tracker: --channel: {wanted} needs {option}")
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
            channels=[CHANNEL_OPTIONS[name] for name in channels],
            now=utcnow(),
            actor=ACTOR,
        )
        result = patient_json(row)
    # An address given but not used is most likely a forgotten --channel: say what is on.
    unused = [
        f"{option} given without --channel {channel}"
        for channel, option, value in (("email", "--email", email), ("sms", "--phone", phone))
        if value.strip() and channel not in channels
    ]
    if unused:
        on = ", ".join(["in-app", *channels])
        click.echo(f"tracker: note: {'; '.join(unused)}: reminders go by {on} only", err=True)
    if as_json:
        print_json(result)
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
    from tracker.care import enrollment as service
    from tracker.care.patients import find_patient
    from tracker.care.procedure_time import parse_local_start
    from tracker.care.schedule_rows import version_plans
    from tracker.clock import utcnow
    from tracker.errors import InvalidInput
    from tracker.library.pathways import get_pathway, versions_of

    if confirm_all and drop_conditional:
        fail("tracker: --confirm-all: give --confirm-all or --drop-conditional, not both")
    with _transaction() as (_app, session):
        local = parse_local_start(start)
        person = find_patient(session, mrn)
        if person is None:
            raise InvalidInput("patient", "no patient with MRN %(mrn)s", mrn=repr(mrn))
        pathway = get_pathway(session, slug.strip())
        if pathway is None:
            raise InvalidInput(
                "version", "no pathway %(slug)s: see `tracker pathways`", slug=repr(slug)
            )
        published = [v for v in versions_of(session, pathway) if v.state == "published"]
        if not published:
            raise InvalidInput("version", "%(slug)s has no published version yet", slug=slug)
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
        except errors.UndecidedSteps as error:
            listed = "; ".join(f"[{step_id}] {text}" for step_id, text in error.steps)
            raise InvalidInput(
                "conditional",
                "%(slug)s v%(number)s has conditional steps, "
                "give --confirm-all or --drop-conditional: %(steps)s",
                slug=pathway.slug,
                number=version.number,
                steps=listed,
            ) from None
        result = enrollment_json(
            session, enrollment, person, slug=pathway.slug, version=version.number
        )
    if as_json:
        print_json(result)
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
    from tracker.care import rescheduling as service
    from tracker.care.procedure_time import parse_local_start
    from tracker.clock import utcnow
    from tracker.errors import InvalidInput
    from tracker.models import Enrollment

    with _transaction() as (_app, session):
        row = session.get(Enrollment, _whole_number(enrollment_id, "enrollment"))
        if row is None:
            raise InvalidInput("enrollment", "no enrollment %(id)s", id=enrollment_id)
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
        result = diff_json(diff, applied=apply_)
    if as_json:
        print_json(result)
    else:
        print_diff(result)


# --- plumbing ----------------------------------------------------------------------------


@contextmanager
def _transaction() -> Iterator[tuple[Any, Session]]:
    """An app and a session committed at the end; InvalidInput becomes the one-line error."""
    from tracker.cli.context import app_context
    from tracker.db import get_engine, session_scope
    from tracker.errors import InvalidInput

    with app_context() as app:
        try:
            with session_scope(get_engine(app)) as session:
                yield app, session
        except InvalidInput as error:
            option = OPTIONS.get(error.field, "--" + error.field.replace("_", "-"))
            message = f"tracker: {option}: {error.message}"
            fail(message.replace("\r", " ").replace("\n", " "))


def _fold(text: str | None) -> int | None:
    from tracker.errors import InvalidInput

    if text is None:
        return None
    if text.strip() not in ("0", "1"):
        raise InvalidInput("fold", "must be 0 (the first of a repeated hour) or 1 (the second)")
    return int(text)


def _whole_number(text: str, field: str) -> int:
    from tracker.errors import InvalidInput

    if not text.strip().isdigit():
        raise InvalidInput(field, "%(text)s is not an id", text=repr(text))
    return int(text)
