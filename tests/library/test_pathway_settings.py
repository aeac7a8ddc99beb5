"""A pathway's arrival lead and usual stay (issue 10): stored on the pathway, used when its
document is read into a version, changed only within range, and the columns' migration."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import Session, select

from tests.conftest import POSTGRES_URL, postgres_schema
from tracker import db
from tracker.clock import utcnow
from tracker.errors import InvalidInput
from tracker.library import pathway_settings, pathways
from tracker.localtime import local_to_utc, resolve
from tracker.models import AuditEvent, Pathway, Step
from tracker.reading.documents import parse_document
from tracker.reading.timing import RelTime, Settings

HEAD = "Site\nLong title\nCPT4 code\nName of the Procedure:\nThing\nDuration\n60 minutes\n"
ZONE = ZoneInfo("America/New_York")
START = local_to_utc(datetime(2027, 3, 16, 10, 0), ZONE)  # Tue 16 Mar, 10:00
END = START + timedelta(minutes=60)
MEDICINES = "Bring your medicines to the appointment"
DRESSING = "The day you go home, remove the dressing"


def _document(*preparation: str, recovery: str = DRESSING):  # type: ignore[no-untyped-def]
    bullets = "".join(f"- {b}\n" for b in (MEDICINES, *preparation))
    text = f"{HEAD}Preparation\n{bullets}Recovery\n- {recovery}\n"
    return parse_document(text, path="thing.txt")


def _import(session: Session, *preparation: str, **settings: int) -> dict[str, Step]:
    """Import the document; its newest version's steps by text."""
    result = pathways.import_document(
        session=session, document=_document(*preparation), now=utcnow(), **settings
    )
    pathway = pathways.get_pathway(session, result.slug)
    assert pathway is not None
    rows = pathways.steps_of(session, pathways.versions_of(session, pathway)[-1])
    return {row.text: row for row in rows}


def _local(point: dict[str, object]) -> datetime:
    instant = resolve(RelTime.from_dict(point), start=START, end=END, tz=ZONE)
    return instant.astimezone(ZONE).replace(tzinfo=None)


@pytest.mark.parametrize(
    ("stay", "home"),
    [(0, datetime(2027, 3, 16)), (2, datetime(2027, 3, 18))],
    ids=["day case (Tue)", "two nights (Thu)"],
)
def test_the_day_you_go_home_is_the_end_plus_the_pathways_stay(
    session: Session, stay: int, home: datetime
) -> None:
    dressing = _import(session, stay_days=stay)[DRESSING]
    # The procedure ends at 11:00: going home is `stay` days after that, done by its midnight.
    assert _local(dressing.opens) == home + timedelta(hours=11)
    assert _local(dressing.due) == home + timedelta(days=1)


def test_a_pathways_arrival_is_used_when_the_document_states_none(session: Session) -> None:
    medicines = _import(session, arrival_minutes=90)[MEDICINES]
    assert _local(medicines.due) == datetime(2027, 3, 16, 8, 30)  # check-in: 90 min before


def test_the_documents_arrive_2_hours_before_beats_the_pathways_arrival(
    session: Session,
) -> None:
    medicines = _import(session, "Arrive 2 hours before your procedure", arrival_minutes=90)
    assert _local(medicines[MEDICINES].due) == datetime(2027, 3, 16, 8, 0)


def test_the_settings_are_stored_and_used_by_the_next_version_read(session: Session) -> None:
    first = _import(session, stay_days=2, arrival_minutes=90)
    pathway = session.exec(select(Pathway)).one()
    assert (pathway.arrival_minutes, pathway.stay_days) == (90, 2)
    # A changed document imported with no options: a new version, read with the stored ones.
    second = _import(session, "Shower the evening before")
    assert len(pathways.versions_of(session, pathway)) == 2
    assert second[DRESSING].opens == first[DRESSING].opens == {**_day(2)}
    assert _local(second[MEDICINES].due) == datetime(2027, 3, 16, 8, 30)


def _day(days: int) -> dict[str, object]:
    return RelTime(anchor="end", days=days).to_dict()


def test_a_new_pathway_reads_with_the_readers_defaults(session: Session) -> None:
    steps = _import(session)
    pathway = session.exec(select(Pathway)).one()
    assert pathway_settings.settings_of(pathway) == Settings()
    assert _local(steps[MEDICINES].due) == datetime(2027, 3, 16, 9, 0)
    assert session.exec(select(AuditEvent)).all() == []  # nothing changed, nothing audited


@pytest.mark.parametrize(
    "values",
    [{"stay_days": -1}, {"stay_days": 61}, {"arrival_minutes": 1441}, {"arrival_minutes": True}],
)
def test_out_of_range_settings_are_refused_and_nothing_changes(
    session: Session, values: dict[str, int]
) -> None:
    _import(session, stay_days=1)
    pathway = session.exec(select(Pathway)).one()
    with pytest.raises(InvalidInput) as refused:
        pathway_settings.change_settings(
            session=session, pathway=pathway, user_id=None, now=utcnow(), **values
        )
    assert refused.value.field in values
    assert (pathway.arrival_minutes, pathway.stay_days) == (60, 1)


def test_a_change_is_audited_with_what_it_was(session: Session) -> None:
    _import(session)
    pathway = session.exec(select(Pathway)).one()
    assert pathway_settings.change_settings(
        session=session, pathway=pathway, stay_days=3, user_id=None, now=utcnow()
    )
    [row] = session.exec(select(AuditEvent)).all()
    assert (row.action, row.before, row.after) == (
        "pathway.settings",
        {"stay_days": 0},
        {"stay_days": 3},
    )
    assert not pathway_settings.change_settings(
        session=session, pathway=pathway, stay_days=3, user_id=None, now=utcnow()
    )


def test_the_models_defaults_are_the_readers() -> None:
    blank = Pathway(slug="x", title="x", created_at=utcnow())
    assert pathway_settings.settings_of(blank) == Settings()


# --- migration -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_existing_pathways_get_the_defaults_and_the_columns_go_down_and_up(
    kind: str, tmp_path: Path
) -> None:
    if kind == "sqlite":
        urls = iter([f"sqlite:///{tmp_path / 'm.sqlite3'}"])
    else:
        if not POSTGRES_URL:
            pytest.skip("TRACKER_TEST_POSTGRES_URL is not set")
        urls = postgres_schema(migrate=False)
    for url in urls:
        engine = db.make_engine(url)
        command.upgrade(db.alembic_config(engine), "0017")
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO pathway (slug, code_system, code, title, short_name, created_at)"
                    " VALUES ('old', '', '', 'Old', 'Old', '2026-12-01 00:00:00')"
                )
            )
        command.upgrade(db.alembic_config(engine), "0018")
        assert db.current_revision(engine) == "0018"
        with engine.connect() as connection:
            row = connection.execute(sa.text("SELECT arrival_minutes, stay_days FROM pathway"))
            assert row.one() == (60, 0)
        command.downgrade(db.alembic_config(engine), "0017")
        columns = {c["name"] for c in sa.inspect(engine).get_columns("pathway")}
        assert not columns & {"arrival_minutes", "stay_days"}
        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision()
        engine.dispose()
