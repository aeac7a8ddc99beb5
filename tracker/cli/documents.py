"""`tracker preview`, `tracker import`, `tracker pathways`: documents in, pathways out."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from tracker.cli import fail
from tracker.reading.steps import MAX_ARRIVAL_MINUTES, MAX_STAY_DAYS

if TYPE_CHECKING:
    from flask import Flask

    from tracker.library.pathways import PathwaySummary


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--start", required=True, help="Procedure start in local time, e.g. 2027-03-15T08:00."
)
@click.option(
    "--tz",
    "zone_name",
    default="America/New_York",
    show_default=True,
    help="The patient's IANA time zone.",
)
@click.option("--code", default=None, help="Procedure code, when the file name is not one.")
@click.option(
    "--reminder-hour",
    default=9,
    show_default=True,
    type=click.IntRange(0, 23),
    help="Local hour for steps that only name a day.",
)
@click.option(
    "--arrival-minutes",
    default=60,
    show_default=True,
    type=click.IntRange(0, MAX_ARRIVAL_MINUTES),
    help="Check-in this long before the start, when the document does not say.",
)
@click.option(
    "--stay-days",
    default=0,
    show_default=True,
    type=click.IntRange(0, MAX_STAY_DAYS),
    help="Usual nights in hospital after the procedure (0: a day case).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def preview(
    file: Path,
    start: str,
    zone_name: str,
    code: str | None,
    reminder_hour: int,
    arrival_minutes: int,
    stay_days: int,
    as_json: bool,
) -> None:
    """The schedule FILE gives a patient whose procedure starts at --start."""
    from tracker import localtime
    from tracker.errors import DocumentError
    from tracker.library.preview import build_preview, render_table
    from tracker.reading.documents import read_document
    from tracker.reading.steps import Settings

    try:
        start_local = datetime.fromisoformat(start)
    except ValueError:
        fail(f"--start: {start!r} is not a local date and time like 2027-03-15T08:00")
    if start_local.tzinfo is not None:
        fail(f"--start: give local time without an offset (the zone comes from --tz): {start!r}")
    try:
        tz = localtime.zone(zone_name)
    except ValueError as error:
        fail(f"--tz: {error}")
    try:
        document = read_document(file, code=code)
    except DocumentError as error:
        fail(str(error))
    settings = Settings(arrival_minutes=arrival_minutes, stay_days=stay_days)
    try:
        result = build_preview(
            document, start_local=start_local, tz=tz, reminder_hour=reminder_hour, settings=settings
        )
    except DocumentError as error:
        fail(str(error))
    click.echo(
        json.dumps(result, indent=2, ensure_ascii=False) if as_json else render_table(result)
    )


@click.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--code", default=None, help="Procedure code, when the file name is not one.")
@click.option(
    "--arrival-minutes",
    default=None,
    type=click.IntRange(0, MAX_ARRIVAL_MINUTES),
    help="Set each pathway's check-in lead (minutes before the start), for documents that "
    "do not say; kept for later imports.",
)
@click.option(
    "--stay-days",
    default=None,
    type=click.IntRange(0, MAX_STAY_DAYS),
    help="Set each pathway's usual nights in hospital (0: a day case); kept for later imports.",
)
def import_(
    path: Path, code: str | None, arrival_minutes: int | None, stay_days: int | None
) -> None:
    """Store each document in PATH (a file or a folder) as a draft pathway version, read with
    its pathway's settings (changed first by --arrival-minutes / --stay-days)."""
    from tracker.cli.context import app_context
    from tracker.clock import utcnow
    from tracker.db import get_engine, session_scope
    from tracker.errors import DocumentError
    from tracker.library.pathways import import_document, read_all

    failures = 0
    with app_context() as app:
        for outcome in read_all(path, code=code):
            if isinstance(outcome, DocumentError):
                click.echo(str(outcome), err=True)
                failures += 1
                continue
            try:  # a step the reader cannot time is a `file:line: problem`, nothing stored
                with session_scope(get_engine(app)) as session:
                    result = import_document(
                        session=session,
                        document=outcome,
                        now=utcnow(),
                        arrival_minutes=arrival_minutes,
                        stay_days=stay_days,
                    )
            except DocumentError as error:
                click.echo(str(error), err=True)
                failures += 1
                continue
            review = f", {result.needs_review} to review" if result.needs_review else ""
            later = ""
            if result.settings_changed and result.status == "unchanged":
                later = "; its new settings apply to the next version read"
            click.echo(
                f"{result.path}: {result.slug} v{result.version} {result.status} "
                f"({result.steps} steps{review}){later}"
            )
        failures += _import_translations(app, path, code)
    if failures:
        raise SystemExit(2)


def _import_translations(app: Flask, path: Path, code: str | None) -> int:
    """Attach each translation in PATH (`22868.es.txt`) to its English document's draft, after
    the documents themselves; returns how many failed (each printed as `file:line: problem`)."""
    from tracker.clock import utcnow
    from tracker.db import get_engine, session_scope
    from tracker.errors import DocumentError
    from tracker.library.pathways import translations_in
    from tracker.library.translations import import_translation, translated_name
    from tracker.reading.documents import read_document

    failures = 0
    for file in translations_in(path):
        english_path, language = translated_name(file) or (file, "")
        try:
            if not english_path.is_file():
                raise DocumentError(
                    str(file), 0, f"no English document {english_path.name} beside it"
                )
            english = read_document(english_path, code=code)
            translated = read_document(file, code=english.code)
            with session_scope(get_engine(app)) as session:  # all of it, or nothing
                result = import_translation(
                    session=session,
                    english=english,
                    translated=translated,
                    language=language,
                    now=utcnow(),
                )
        except DocumentError as error:
            click.echo(str(error), err=True)
            failures += 1
            continue
        if result.frozen:  # not an error: a published version keeps what it was published with
            click.echo(f"{result.path}: not attached: {result.frozen}", err=True)
            continue
        changed = f"{result.changed} new or changed, to review" if result.changed else "unchanged"
        missing = f"; {result.untranslated} steps not in it" if result.untranslated else ""
        title = "; the title new or changed, to review" if result.title_changed else ""
        click.echo(
            f"{result.path}: {result.slug} v{result.version} {result.language}: "
            f"{result.matched} steps translated ({changed}{missing}){title}"
        )
    return failures


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def pathways(ctx: click.Context, as_json: bool) -> None:
    """Pathways, their versions and states, step counts and steps needing review."""
    from tracker.cli.context import app_context
    from tracker.db import get_engine, session_scope
    from tracker.library.pathways import summaries

    if ctx.invoked_subcommand is not None:
        return
    with app_context() as app, session_scope(get_engine(app)) as session:
        rows = summaries(session)
        if as_json:
            click.echo(json.dumps(_summaries_json(rows), indent=2, ensure_ascii=False))
            return
        if not rows:
            click.echo("no pathways yet: run `tracker import pathways/`")
        for summary in rows:
            click.echo(f"{summary.pathway.slug}  {summary.pathway.short_name[:60]}")
            for version in summary.versions:
                steps, review = summary.step_counts.get(version.id or 0, (0, 0))
                click.echo(
                    f"  v{version.number:<3} {version.state:<10} {steps:>3} steps  "
                    f"{review:>2} need review"
                )


def _summaries_json(rows: list[PathwaySummary]) -> list[dict[str, object]]:
    return [
        {
            "slug": summary.pathway.slug,
            "title": summary.pathway.short_name,
            "code": summary.pathway.code,
            "versions": [
                {
                    "id": version.id,
                    "number": version.number,
                    "state": version.state,
                    "steps": summary.step_counts.get(version.id or 0, (0, 0))[0],
                    "need_review": summary.step_counts.get(version.id or 0, (0, 0))[1],
                    "published_at": version.published_at and version.published_at.isoformat(),
                }
                for version in summary.versions
            ],
        }
        for summary in rows
    ]


@pathways.command()
@click.argument("slug")
@click.option(
    "--allow-unreviewed", is_flag=True, help="Publish even with steps still marked for review."
)
def publish(slug: str, allow_unreviewed: bool) -> None:
    """Publish SLUG's draft (its previously published version retires)."""
    from tracker.cli.context import app_context
    from tracker.clock import utcnow
    from tracker.db import get_engine, session_scope
    from tracker.errors import ReviewError
    from tracker.library import review
    from tracker.library.pathways import get_pathway, versions_of

    with app_context() as app:
        try:
            with session_scope(get_engine(app)) as session:
                pathway = get_pathway(session, slug.strip())
                if pathway is None:
                    fail(f"tracker: SLUG: no pathway {slug!r}: see `tracker pathways`")
                drafts = [v for v in versions_of(session, pathway) if v.state == "draft"]
                if not drafts:
                    fail(f"tracker: SLUG: {slug} has no draft to publish")
                version = review.publish(
                    session=session,
                    version=drafts[-1],
                    user_id=None,
                    now=utcnow(),
                    allow_unreviewed=allow_unreviewed,
                )
                number = version.number
        except ReviewError as error:
            fail(f"tracker: {slug}: {error}".replace("\n", " "))
    click.echo(f"{slug} v{number} published")
