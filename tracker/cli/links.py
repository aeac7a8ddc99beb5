"""`tracker link issue`: a patient's personal link, printed once (only its hash is stored)."""

from __future__ import annotations

import json

import click

from tracker.cli import fail

ACTOR = "cli"


@click.group()
def link() -> None:
    """Patients' personal links."""


@link.command()
@click.option("--enrollment", "enrollment_id", default="", help="Enrollment id.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def issue(enrollment_id: str, as_json: bool) -> None:
    """Issue a new link for an enrollment (any working one is revoked) and print it."""
    from flask import url_for

    from tracker.cli.context import app_context
    from tracker.clock import utcnow
    from tracker.db import get_engine, session_scope
    from tracker.errors import InvalidInput
    from tracker.models import Enrollment
    from tracker.patient.links import issue_link

    if not enrollment_id.strip().isdigit():
        fail(f"tracker: --enrollment: {enrollment_id!r} is not an id")
    with app_context() as app:
        try:
            with session_scope(get_engine(app)) as session:
                row = session.get(Enrollment, int(enrollment_id))
                if row is None:
                    fail(f"tracker: --enrollment: no enrollment {enrollment_id}")
                issued, token = issue_link(
                    session=session, enrollment=row, now=utcnow(), actor=ACTOR
                )
        except InvalidInput as error:
            fail(f"tracker: --{error.field}: {error.message}")
        base = str(app.config["BASE_URL"]).rstrip("/")
        with app.test_request_context():
            url = base + url_for("patient.checklist", token=token)
    if as_json:
        result = {
            "link_id": issued.id,
            "enrollment_id": issued.enrollment_id,
            "url": url,
            "expires_at": issued.expires_at.isoformat(),
        }
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(url)
        click.echo(f"expires {issued.expires_at:%Y-%m-%d %H:%M} UTC", err=True)
