"""An application context for commands, turning a stale schema into one clear line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask

from tracker.cli import fail


@contextmanager
def app_context(*, check_schema: bool = True, **config: Any) -> Iterator[Flask]:
    from tracker import create_app
    from tracker.errors import SchemaOutdated

    try:
        app = create_app({"CHECK_SCHEMA": check_schema, **config})
    except SchemaOutdated as error:
        fail(f"tracker: {error}")
        raise  # unreachable: fail() exits
    try:
        with app.app_context():
            yield app
    finally:
        # Close pooled connections now: a command may run inside a longer-lived process (tests).
        from tracker.db import get_engine

        get_engine(app).dispose()
