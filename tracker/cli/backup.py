"""`tracker backup PATH`: a consistent copy of the database while the app runs."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import make_url

from tracker.cli import fail
from tracker.cli.context import app_context


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
def backup(path: Path) -> None:
    """Copy a SQLite database to the new file PATH (online), or print the pg_dump recipe."""
    from tracker import db
    from tracker.errors import InvalidInput

    # The schema is not checked: a database behind the code is worth a backup all the more.
    with app_context(check_schema=False) as app:
        url = str(app.config["DATABASE_URL"])
    backend = make_url(url).get_backend_name()
    if backend == "postgresql":
        click.echo(db.pg_dump_recipe(url=url, target=path))
        return
    if backend != "sqlite":
        fail(f"tracker: backup knows SQLite and PostgreSQL, not {backend}")
    try:
        pages = db.backup_sqlite(url=url, target=path)
    except InvalidInput as error:
        fail(f"tracker: {error.message}")
    except RuntimeError as error:  # the source itself is damaged: not a fault of the input
        click.echo(f"tracker: {error}", err=True)
        sys.exit(1)
    click.echo(f"backed up {pages} pages to {path}")
