"""`tracker import --arrival-minutes/--stay-days`: the pathway's settings stored, then used by
this and later imports; a bad value refused with status 2 and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlmodel import Session, col, select

from tracker.cli import cli
from tracker.library import pathways
from tracker.models import AuditEvent, Pathway, PathwayVersion
from tracker.reading.timing import RelTime

HEAD = "Site\nLong title\nCPT4 code\nName of the Procedure:\nThing\nDuration\n60 minutes\n"
MEDICINES = "Bring your medicines to the appointment"
DRESSING = "The day you go home, remove the dressing"


def _run(args: list[str], database_url: str, tmp_path: Path) -> Result:
    env = {"TRACKER_DATABASE_URL": database_url, "TRACKER_INSTANCE_PATH": str(tmp_path / "i")}
    return CliRunner().invoke(cli, args, env=env)


def _write(tmp_path: Path, *more: str) -> Path:
    path = tmp_path / "thing.txt"
    bullets = "".join(f"- {b}\n" for b in (MEDICINES, *more))
    path.write_text(f"{HEAD}Preparation\n{bullets}Recovery\n- {DRESSING}\n")
    return path


def _newest(session: Session) -> dict[str, RelTime]:
    """The newest version's steps' due times, by text."""
    session.expire_all()
    pathway = session.exec(select(Pathway)).one()
    rows = pathways.steps_of(session, pathways.versions_of(session, pathway)[-1])
    return {row.text: RelTime.from_dict(row.due) for row in rows}


@pytest.mark.both_databases
def test_the_options_are_stored_and_used_now_and_by_later_imports(
    session: Session, database_url: str, tmp_path: Path
) -> None:
    options = ["--arrival-minutes", "90", "--stay-days", "2"]
    done = _run(["import", str(_write(tmp_path)), *options], database_url, tmp_path)
    assert done.exit_code == 0, done.output
    due = _newest(session)
    assert due[MEDICINES] == RelTime(anchor="start", minutes=-90)  # by check-in
    assert due[DRESSING] == RelTime(anchor="end", days=3, clock="00:00")  # home after 2 nights
    pathway = session.exec(select(Pathway)).one()
    assert (pathway.arrival_minutes, pathway.stay_days) == (90, 2)
    # The same document again: nothing read, the new setting stored for the next version.
    same = _run(["import", str(tmp_path / "thing.txt"), "--stay-days", "3"], database_url, tmp_path)
    assert same.exit_code == 0 and "unchanged" in same.stdout
    assert "new settings apply to the next version read" in same.stdout
    assert (
        _run(
            ["import", str(tmp_path / "thing.txt"), "--stay-days", "2"], database_url, tmp_path
        ).exit_code
        == 0
    )
    # A changed document, no options: the stored settings read it; one option changes one.
    changed = _write(tmp_path, "Shower the evening before")
    assert _run(["import", str(changed)], database_url, tmp_path).exit_code == 0
    assert _newest(session)[MEDICINES] == RelTime(anchor="start", minutes=-90)
    _write(tmp_path, "Shower the evening before", "Arrange a ride home")
    assert _run(["import", str(changed), "--stay-days", "0"], database_url, tmp_path).exit_code == 0
    due = _newest(session)
    assert due[DRESSING] == RelTime(anchor="end", days=1, clock="00:00")  # a day case now
    assert due[MEDICINES] == RelTime(anchor="start", minutes=-90)
    session.expire_all()
    assert len(session.exec(select(PathwayVersion)).all()) == 3
    audited = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    assert [row.after for row in audited] == [
        {"arrival_minutes": 90, "stay_days": 2},
        {"stay_days": 3},
        {"stay_days": 2},
        {"stay_days": 0},
    ]
    assert {row.actor for row in audited} == {"system"}


@pytest.mark.parametrize(
    "option",
    [
        ["--stay-days", "-1"],
        ["--stay-days", "61"],
        ["--stay-days", "two"],
        ["--arrival-minutes", "1441"],
        ["--arrival-minutes", "1.5"],
    ],
)
def test_a_bad_value_is_refused_with_status_2_and_nothing_written(
    session: Session, database_url: str, tmp_path: Path, option: list[str]
) -> None:
    path = _write(tmp_path)
    assert _run(["import", str(path), "--stay-days", "1"], database_url, tmp_path).exit_code == 0
    _write(tmp_path, "Arrange a ride home")  # changed: would be a new version
    refused = _run(["import", str(path), *option], database_url, tmp_path)
    assert refused.exit_code == 2
    assert (
        f"Invalid value for '{option[0]}'" in refused.stderr and "Traceback" not in refused.output
    )
    session.expire_all()
    pathway = session.exec(select(Pathway)).one()
    assert (pathway.arrival_minutes, pathway.stay_days) == (60, 1)
    assert len(session.exec(select(PathwayVersion)).all()) == 1
