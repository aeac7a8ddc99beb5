"""The WSGI entry point for gunicorn (`gunicorn tracker.wsgi:app`).

Web workers never send reminders: the factory starts no scheduler unless SCHEDULER_ENABLED,
so production runs `tracker scheduler` as its own process.
"""

from __future__ import annotations

from tracker import create_app

app = create_app()
