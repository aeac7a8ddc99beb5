"""Addresses of the files under /static, built once per site root.

Every page links the stylesheet (and the patient's page its script); url_for builds such an
address through the whole URL map each time, which on the patient's checklist cost more than
some of its sections. The address only depends on where the app is mounted (SCRIPT_NAME).
"""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, current_app, request, url_for


def static_url(filename: str) -> str:
    """The address of a static file, as url_for("static", filename=...) gives it."""
    return _cached(request.script_root, current_app.static_url_path or "", filename)


@lru_cache(maxsize=64)
def _cached(_root: str, _static_path: str, filename: str) -> str:
    return url_for("static", filename=filename)


def init_app(app: Flask) -> None:
    app.jinja_env.globals["static_url"] = static_url
