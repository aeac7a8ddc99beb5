"""`tracker pathways --json`, `tracker pathways publish SLUG`, `tracker link issue`."""

from __future__ import annotations

import json
from pathlib import Path

import time_machine
from click.testing import CliRunner, Result
from flask import Flask
from sqlmodel import Session, select

from tests.enrollment_helpers import NOW, custom_version, enroll_patient, make_step
from tracker.cli import cli
from tracker.models import PathwayVersion, PatientLink, Step


def _run(args: list[str], database_url: str, tmp_path: Path) -> Result:
    env = {"TRACKER_DATABASE_URL": database_url, "TRACKER_INSTANCE_PATH": str(tmp_path / "i")}
    with time_machine.travel(NOW, tick=False):
        return CliRunner().invoke(cli, args, env=env)


def test_pathways_json_and_publish(
    app: Flask, session: Session, database_url: str, tmp_path: Path, seed_path: Path
) -> None:
    assert _run(["import", str(seed_path)], database_url, tmp_path).exit_code == 0
    listed = _run(["pathways", "--json"], database_url, tmp_path)
    assert listed.exit_code == 0, listed.output
    [pathway] = json.loads(listed.stdout)
    [draft] = pathway["versions"]
    assert draft["state"] == "draft" and draft["steps"] > 10
    slug = pathway["slug"]
    if draft["need_review"]:
        refused = _run(["pathways", "publish", slug], database_url, tmp_path)
        assert refused.exit_code == 2 and "to review" in refused.stderr
        assert len(refused.stderr.splitlines()) == 1
        session.expire_all()
        assert session.exec(select(PathwayVersion)).one().state == "draft"
        args = ["pathways", "publish", slug, "--allow-unreviewed"]
    else:
        args = ["pathways", "publish", slug]
    published = _run(args, database_url, tmp_path)
    assert published.exit_code == 0, published.output
    session.expire_all()
    assert session.exec(select(PathwayVersion)).one().state == "published"
    again = _run(["pathways", "publish", slug], database_url, tmp_path)
    assert again.exit_code == 2 and "no draft" in again.stderr
    unknown = _run(["pathways", "publish", "nope"], database_url, tmp_path)
    assert unknown.exit_code == 2 and "no pathway 'nope'" in unknown.stderr


def test_publish_refuses_steps_marked_for_review(
    app: Flask, session: Session, database_url: str, tmp_path: Path
) -> None:
    version = custom_version(session, [make_step("Doubtful")], state="draft", slug="doubt")
    step = session.exec(select(Step).where(Step.version_id == version.id)).one()
    step.confidence = 0.3
    session.add(step)
    session.commit()
    refused = _run(["pathways", "publish", "doubt"], database_url, tmp_path)
    assert refused.exit_code == 2 and "1 step(s) still to review" in refused.stderr
    assert (
        _run(
            ["pathways", "publish", "doubt", "--allow-unreviewed"], database_url, tmp_path
        ).exit_code
        == 0
    )


def test_link_issue_prints_a_working_link(
    app: Flask, session: Session, database_url: str, tmp_path: Path
) -> None:
    enrollment = enroll_patient(session)
    printed = _run(["link", "issue", "--enrollment", str(enrollment.id)], database_url, tmp_path)
    assert printed.exit_code == 0, printed.output
    url = printed.stdout.strip()
    with time_machine.travel(NOW, tick=False):
        assert app.test_client().get(url[url.index("/p/") :]).status_code == 200
    as_json = _run(
        ["link", "issue", "--enrollment", str(enrollment.id), "--json"], database_url, tmp_path
    )
    body = json.loads(as_json.stdout)
    assert body["enrollment_id"] == enrollment.id and "/p/" in body["url"]
    links = session.exec(select(PatientLink)).all()
    assert len(links) == 2 and links[0].revoked_at is not None  # a new link replaces the old
    for bad, message in (("abc", "is not an id"), ("999", "no enrollment 999")):
        result = _run(["link", "issue", "--enrollment", bad], database_url, tmp_path)
        assert result.exit_code == 2 and message in result.stderr
