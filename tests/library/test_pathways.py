"""Importing documents into versioned pathways, through the service and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from tracker.cli import cli
from tracker.clock import utcnow
from tracker.library import pathways
from tracker.models import Pathway, PathwayVersion, Step
from tracker.reading.documents import read_document
from tracker.reading.timing import RelTime


def _run(args: list[str], database_url: str, tmp_path: Path):
    env = {"TRACKER_DATABASE_URL": database_url, "TRACKER_INSTANCE_PATH": str(tmp_path / "inst")}
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)


@pytest.mark.both_databases
def test_import_stores_relative_steps_and_skips_an_unchanged_document(
    session: Session, seed_path: Path
) -> None:
    document = read_document(seed_path)
    first = pathways.import_document(session=session, document=document, now=utcnow())
    session.commit()
    assert (first.status, first.version) == ("created", 1)
    assert first.slug.startswith("22868-")
    rows = session.exec(select(Step)).all()
    assert len(rows) == first.steps >= 7
    # Stored relative to the procedure, never as absolute times.
    for row in rows:
        assert RelTime.from_dict(row.opens).anchor in {"start", "end"}
    assert {row.section for row in rows} <= {
        "preparation",
        "recovery",
        "patient experience",
        "risks and complications",
    }

    again = pathways.import_document(session=session, document=document, now=utcnow())
    session.commit()
    assert (again.status, again.version) == ("unchanged", 1)
    assert len(session.exec(select(PathwayVersion)).all()) == 1


@pytest.mark.both_databases
def test_a_changed_document_becomes_a_new_draft_version(
    session: Session, seed_path: Path, tmp_path: Path
) -> None:
    pathways.import_document(session=session, document=read_document(seed_path), now=utcnow())
    changed = tmp_path / "22868.txt"
    changed.write_text(seed_path.read_text().replace("within a few hours", "within 4 hours"))
    result = pathways.import_document(
        session=session, document=read_document(changed), now=utcnow()
    )
    session.commit()
    assert (result.status, result.version) == ("new version", 2)
    versions = session.exec(select(PathwayVersion).order_by(PathwayVersion.number)).all()
    assert [(v.number, v.state) for v in versions] == [(1, "draft"), (2, "draft")]
    assert len(session.exec(select(Pathway)).all()) == 1
    walking = [s for s in pathways.steps_of(session, versions[1]) if "walk" in s.text.lower()]
    assert walking and RelTime.from_dict(walking[0].due).minutes == 4 * 60


@pytest.mark.both_databases
def test_import_command_reports_a_bad_file_and_imports_the_others(
    database_url: str, tmp_path: Path, seed_path: Path
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "22868.txt").write_text(seed_path.read_text())
    (folder / "99999.txt").write_bytes(b"\x00\x01binary")
    result = _run(["import", str(folder)], database_url, tmp_path)
    assert result.exit_code == 2
    assert "22868.txt" in result.stdout and "created" in result.stdout
    assert "99999.txt:" in result.stderr and "Traceback" not in result.output
    listing = _run(["pathways"], database_url, tmp_path)
    assert listing.exit_code == 0
    assert "22868-" in listing.stdout and "v1" in listing.stdout and "draft" in listing.stdout
    again = _run(["import", str(folder / "22868.txt")], database_url, tmp_path)
    assert again.exit_code == 0 and "unchanged" in again.stdout


def test_import_of_a_missing_path_is_one_line_and_status_2(
    database_url: str, tmp_path: Path
) -> None:
    result = _run(["import", str(tmp_path / "nope")], database_url, tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "nope" in result.stderr


def test_every_team_document_imports_and_previews_without_warnings(
    database_url: str, tmp_path: Path
) -> None:
    folder = Path(__file__).resolve().parents[2] / "pathways"
    # Translations (22868.es.txt) are read against their English document, not previewed.
    found = sorted(folder.glob("*.txt"))
    documents = [p for p in found if not pathways.TRANSLATED_NAME.fullmatch(p.name)]
    assert len(documents) >= 8
    result = _run(["import", str(folder)], database_url, tmp_path)
    assert result.exit_code == 0, result.output
    for path in documents:
        shown = _run(
            [
                "preview",
                str(path),
                "--start",
                "2027-03-15T08:00",
                "--tz",
                "America/New_York",
                "--json",
            ],
            database_url,
            tmp_path,
        )
        assert shown.exit_code == 0, shown.output
        preview = json.loads(shown.stdout)
        assert preview["warnings"] == [], (path.name, preview["warnings"])
        assert preview["items"], path.name


def _stored_before_asks(url: str) -> None:
    """A schema at 0002 holding one version with three steps, as stored before `asks`."""
    import sqlalchemy as sa

    from tracker import db

    engine = db.make_engine(url)
    db.upgrade(engine, "0002")
    now = utcnow().replace(tzinfo=None)
    when = json.dumps({"anchor": "end", "days": 0, "minutes": 0, "clock": None,
                       "reminder_hour": False})  # fmt: skip
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO pathway (id, slug, code_system, code, title, short_name, created_at)"
                " VALUES (1, 's', 'CPT4', '1', 't', 't', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            sa.text(
                "INSERT INTO pathwayversion (id, pathway_id, number, state, title, source_name,"
                " source_text, source_hash, duration_minutes, warnings, created_at) VALUES"
                " (1, 1, 1, 'published', 't', 's.txt', 'x', 'h', 60, '[]', :now)"
            ),
            {"now": now},
        )
        for position, (section, text, kind) in enumerate(
            [
                ("recovery", "Expect some soreness", "symptom watch"),
                ("recovery", "No lifting over 10 lb for 6 weeks", "restriction"),
                ("risks and complications", "Watch for these warning signs: bleeding", "watch"),
                ("preparation", "Arrange a ride home", "logistics"),
            ]
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO step (version_id, position, section, line, text, kind, critical,"
                    " conditional, opens, due, evidence, rule, confidence) VALUES (1, :p, :s, 1,"
                    " :t, :k, :c, :c, :w, :w, '', '', 0.9)"
                ),
                {"p": position, "s": section, "t": text, "k": kind, "c": False, "w": when},
            )
    engine.dispose()


def _migrated_asks(url: str) -> list[tuple[str, str, list[object]]]:
    import sqlalchemy as sa

    from tracker import db

    engine = db.make_engine(url)
    db.upgrade(engine, "0003")
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT text, asks, merged FROM step ORDER BY position"))
        found = [
            (text, asks, merged if isinstance(merged, list) else json.loads(merged))
            for text, asks, merged in rows
        ]
    engine.dispose()
    return found


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_migration_0003_fills_asks_for_stored_versions(kind: str, tmp_path: Path) -> None:
    from tests.conftest import postgres_schema

    urls = (
        iter([f"sqlite:///{tmp_path / 'old.sqlite3'}"])
        if kind == "sqlite"
        else postgres_schema(migrate=False)
    )
    for url in urls:
        _stored_before_asks(url)
        assert _migrated_asks(url) == [
            ("Expect some soreness", "know", []),
            ("No lifting over 10 lb for 6 weeks", "avoid", []),
            ("Watch for these warning signs: bleeding", "watch", []),
            ("Arrange a ride home", "do", []),
        ]


@pytest.mark.both_databases
def test_a_know_step_is_stored_and_never_reminded(session: Session) -> None:
    from dataclasses import replace

    from tests.enrollment_helpers import custom_version, enroll_patient, make_step
    from tracker.models import ChecklistItem, Reminder

    know = replace(make_step("Clear fluids are allowed up to 2 hours before"), asks="know")
    version = custom_version(session, [make_step("Arrange a ride home"), know])
    rows = pathways.steps_of(session, version)
    assert [(r.text, r.asks) for r in rows] == [
        ("Arrange a ride home", "do"),
        ("Clear fluids are allowed up to 2 hours before", "know"),
    ]
    assert pathways.timing_step(rows[1]) == know
    enrollment = enroll_patient(session, version=version)
    items = session.exec(
        select(ChecklistItem).where(ChecklistItem.enrollment_id == enrollment.id)
    ).all()
    reminded = {r.item_id for r in session.exec(select(Reminder)).all()}
    by_step = {item.step_id: item.id for item in items}
    assert by_step[rows[0].id] in reminded
    assert by_step[rows[1].id] not in reminded
