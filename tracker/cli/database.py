"""`tracker db upgrade|current`: schema migrations."""

from __future__ import annotations

import click

from tracker.cli.context import app_context


@click.group()
def db() -> None:
    """Database schema migrations."""


@db.command()
def upgrade() -> None:
    """Create or update the schema to the newest migration."""
    from tracker import db as database

    with app_context(check_schema=False) as app:
        engine = database.get_engine(app)
        database.upgrade(engine)
        click.echo(f"database at {database.current_revision(engine)}: {engine.url!r}")


@db.command()
def current() -> None:
    """Show the schema revision of the database and of the code."""
    from tracker import db as database

    with app_context(check_schema=False) as app:
        engine = database.get_engine(app)
        click.echo(f"database: {database.current_revision(engine) or 'empty'}")
        click.echo(f"code:     {database.head_revision()}")
