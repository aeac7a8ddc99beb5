"""`tracker user add|list` and `tracker demo-users`: staff accounts."""

from __future__ import annotations

import sys

import click

from tracker.cli import fail

SIGN_IN_PATH = "/auth/sign-in"


@click.group()
def user() -> None:
    """Staff accounts (nurses and admins)."""


@user.command()
@click.argument("email")
@click.option("--role", default=None, help="nurse or admin.")
@click.option("--name", default="", help="Name shown to colleagues.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of generating one.",
)
def add(email: str, role: str | None, name: str, password_stdin: bool) -> None:
    """Create an account for EMAIL and print its password (shown only once)."""
    from tracker.accounts import ROLES, create_user
    from tracker.cli.context import app_context
    from tracker.clock import utcnow
    from tracker.db import get_engine, session_scope
    from tracker.errors import AccountError

    if role is None:
        fail(f"tracker: --role is required ({' or '.join(ROLES)})")
    password = None
    if password_stdin:
        password = sys.stdin.read().removesuffix("\n").removesuffix("\r")
    with app_context() as app:
        try:
            with session_scope(get_engine(app)) as session:
                account, password = create_user(
                    session=session,
                    email=email,
                    role=role,
                    name=name,
                    password=password,
                    now=utcnow(),
                )
        except AccountError as error:
            fail(f"tracker: {error.field}: {error.message}")
        click.echo(f"created {account.role} {account.email} (id {account.id})")
        if not password_stdin:
            click.echo(f"one-time password: {password}")
            click.echo("Hand it over in person; it is not stored and will not be shown again.")


@user.command("list")
def list_() -> None:
    """Every staff account with its role and state."""
    from tracker.accounts import list_users
    from tracker.cli.context import app_context
    from tracker.db import get_engine, session_scope

    with app_context() as app, session_scope(get_engine(app)) as session:
        users = list_users(session=session)
        if not users:
            click.echo("no staff accounts yet: run `tracker user add EMAIL --role admin`")
        for account in users:
            state = "active" if account.active else "inactive"
            click.echo(
                f"{account.id:>4}  {account.role:<6} {state:<8}  {account.email}  "
                f"{account.name}".rstrip()
            )


@click.command("demo-users")
def demo_users() -> None:
    """A demo admin and nurse (password demo-password), only while there are no accounts."""
    from tracker.accounts import DEMO_PASSWORD, DEMO_STAFF, ensure_demo_users
    from tracker.cli.context import app_context
    from tracker.clock import utcnow
    from tracker.db import get_engine, session_scope

    with app_context() as app:
        with session_scope(get_engine(app)) as session:
            created = ensure_demo_users(session=session, now=utcnow())
        sign_in_url = app.config["BASE_URL"].rstrip("/") + SIGN_IN_PATH
        if not created:
            demo = " / ".join(email for email, _role, _name in DEMO_STAFF)
            click.echo(
                f"Accounts exist already; no demo users added. Sign in at {sign_in_url} "
                f"(demo accounts: {demo}, password {DEMO_PASSWORD}, unless changed)."
            )
            return
        for account in created:
            click.echo(f"created {account.role} {account.email} (password {DEMO_PASSWORD})")
        demo_admin = DEMO_STAFF[0][0]
        click.echo(f"Sign in at {sign_in_url} as {demo_admin} with the password {DEMO_PASSWORD}.")
