"""`tracker run`: the web app (and, once reminders exist, the scheduler) in one process."""

from __future__ import annotations

import click

from tracker.cli.context import app_context


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
def run(host: str, port: int) -> None:
    """Serve the app for a single machine (development and small sites)."""
    from werkzeug.serving import run_simple

    from tracker.reminders import scheduler

    with app_context() as app:
        if scheduler.start_in_process(app) is None:
            click.echo("reminders: another dispatcher holds this database; serving the web only")
        else:
            click.echo("reminders: the dispatcher runs in this process")
        click.echo(f"Care Pathway Tracker is running at http://{host}:{port}/ (Ctrl-C stops it)")
        # No reloader: a reloader would start a second process (and a second scheduler).
        run_simple(host, port, app, use_reloader=False, threaded=True)
