"""`tracker token create|list|revoke`: printed once, stored as a hash, bad input exits 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlmodel import Session, select

from tracker.api.tokens import hash_token
from tracker.cli import cli
from tracker.models import ApiToken, AuditEvent

pytestmark = pytest.mark.both_databases


def _run(args: list[str], database_url: str, tmp_path: Path) -> Result:
    env = {"TRACKER_DATABASE_URL": database_url, "TRACKER_INSTANCE_PATH": str(tmp_path / "i")}
    return CliRunner().invoke(cli, args, env=env)


def test_create_list_revoke(
    app: Flask, session: Session, database_url: str, tmp_path: Path
) -> None:
    created = _run(
        ["token", "create", "--name", "epic", "--scope", "enroll"], database_url, tmp_path
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.splitlines()[1]
    row = session.exec(select(ApiToken)).one()
    assert row.scope == "enroll" and row.token_hash == hash_token(token)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/patients", headers=headers).status_code == 200
    listed = _run(["token", "list"], database_url, tmp_path)
    assert "epic" in listed.output and "active" in listed.output and token not in listed.output
    revoked = _run(["token", "revoke", "epic"], database_url, tmp_path)
    assert revoked.exit_code == 0
    assert client.get("/api/v1/patients", headers=headers).status_code == 401
    assert "revoked" in _run(["token", "list"], database_url, tmp_path).output
    actions = session.exec(select(AuditEvent.action, AuditEvent.actor)).all()
    # The read made with the token is on record under its name; the refused one is not.
    assert actions == [("token.create", "cli"), ("api.read", "token:epic"), ("token.revoke", "cli")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--name", "x", "--scope", "root"], "tracker: --scope: 'root' is not one of"),
        (["create", "--name", "", "--scope", "read"], "tracker: --name: give a name"),
        (["create", "--name", "a b", "--scope", "read"], "tracker: --name: give a name"),
        (["revoke", "ghost"], "tracker: NAME: no token named 'ghost'"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    args: list[str], message: str, app: Flask, session: Session, database_url: str, tmp_path: Path
) -> None:
    result = _run(["token", *args], database_url, tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1
    assert session.exec(select(ApiToken)).all() == []


def test_duplicate_name_is_refused(
    app: Flask, session: Session, database_url: str, tmp_path: Path
) -> None:
    assert (
        _run(
            ["token", "create", "--name", "a", "--scope", "read"], database_url, tmp_path
        ).exit_code
        == 0
    )
    again = _run(["token", "create", "--name", "a", "--scope", "admin"], database_url, tmp_path)
    assert again.exit_code == 2 and "already exists" in again.stderr
    assert [r.scope for r in session.exec(select(ApiToken)).all()] == ["read"]
