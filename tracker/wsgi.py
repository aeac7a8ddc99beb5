"""The WSGI entry point for gunicorn (`gunicorn tracker.wsgi:app`).

Web workers never send reminders: the factory starts no scheduler unless SCHEDULER_ENABLED,
so production runs `tracker scheduler` as its own process.
"""

from __future__ import annotations

import gc

from tracker import create_app

app = create_app()
# What is built by now (modules, the app, its tables of data) lives as long as the worker:
# frozen, it is left out of the cyclic collector's full passes, which otherwise walk all of it
# every few hundred requests. Measured on the FHIR Bundle (bench/bench_api.py, in-process, on a
# busy 2-core machine): p99 139-185 ms without, 46-55 ms with; p50 unchanged.
gc.freeze()
