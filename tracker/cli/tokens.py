"""`tracker token create|list|revoke`: bearer tokens for machine clients of the JSON API."""

from __future__ import annotations

import click

from tracker.cli import fail

ACTOR = "cli"


@click.group()
def token() -> None:
    """Bearer tokens for the JSON API (/api/v1)."""


@token.command()
@click.option("--name", default="", help="Who uses it, e.g. epic-prod (unique, no spaces).")
@click.option("--scope", default="", help="read, enroll or admin (each includes the ones before).")
def create(name: str, scope: str) -> None:
    """Create a token and print it once: only its hash is stored."""
    from tracker.api.tokens import create_token
    from tracker.cli.context import app_context
    from tracker.clock import utcnow
    from tracker.db import get_engine, session_scope
    from tracker.errors import InvalidInput

    with app_context() as app:
        try:
            with session_scope(get_engine(app)) as session:
                row, secret = create_token(
                    session=session, name=name, scope=scope, now=utcnow(), actor=ACTOR
                )
        except InvalidInput as error:
            fail(f"tracker: --{error.field}: {error.message}")
    click.echo(f"created token {row.name} (scope {row.scope})")
    click.echo(secret)
    click.echo("Store it now: it is not kept and will not be shown again.", err=True)


@token.command("list")
def list_() -> None:
    """Every token: name, scope, created, revoked (never the token)."""
    from tracker.api.tokens import list_tokens
    from tracker.cli.context import app_context
    from tracker.db import get_engine, session_scope

    with app_context() as app, session_scope(get_engine(app)) as session:
        rows = list_tokens(session)
    if not rows:
        click.echo("no tokens yet: tracker token create --name N --scope read")
    for row in rows:
        state = f"revoked {row.revoked_at:%Y-%m-%d %H:%M}" if row.revoked_at else "active"
        click.echo(f"{row.name}  {row.scope:<7} created {row.created_at:%Y-%m-%d %H:%M}  {state}")


@token.command()
@click.argument("name")
def revoke(name: str) -> None:
    """Stop the token NAME working at once."""
    from tracker.api.tokens import revoke_token
    from tracker.cli.context import app_context
    from tracker.clock import utcnow
    from tracker.db import get_engine, session_scope
    from tracker.errors import InvalidInput

    with app_context() as app:
        try:
            with session_scope(get_engine(app)) as session:
                revoke_token(session=session, name=name, now=utcnow(), actor=ACTOR)
        except InvalidInput as error:
            fail(f"tracker: NAME: {error.message}")
    click.echo(f"revoked token {name}")
