"""The `tracker` command. Subcommands load lazily so `tracker preview` starts fast."""

from __future__ import annotations

import importlib
import sys
from typing import Any, NoReturn

import click

# name -> "module:attribute"; adding a command is adding a row.
COMMANDS: dict[str, str] = {
    "preview": "tracker.cli.documents:preview",
    "import": "tracker.cli.documents:import_",
    "pathways": "tracker.cli.documents:pathways",
    "db": "tracker.cli.database:db",
    "run": "tracker.cli.serve:run",
    "patient": "tracker.cli.patients:patient",
    "enroll": "tracker.cli.patients:enroll",
    "reschedule": "tracker.cli.patients:reschedule",
    "user": "tracker.cli.users:user",
    "demo-users": "tracker.cli.users:demo_users",
    "scheduler": "tracker.cli.reminders:scheduler",
    "reminders": "tracker.cli.reminders:reminders",
    "backup": "tracker.cli.backup:backup",
    "token": "tracker.cli.tokens:token",
    "link": "tracker.cli.links:link",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attribute)
        return command


@click.group(cls=LazyGroup)
def cli() -> None:
    """Care Pathway Tracker: procedure documents become timed patient checklists."""


def fail(message: str) -> NoReturn:
    """One line on standard error and exit status 2: the contract for bad input."""
    click.echo(message, err=True)
    sys.exit(2)


def main(argv: list[str] | None = None) -> Any:
    return cli.main(args=argv, prog_name="tracker")
