"""Friendly error pages instead of Werkzeug's defaults."""

from __future__ import annotations

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException

PAGES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    429: "Too many attempts",
    500: "Something went wrong",
}


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _render)


def _render(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    title = PAGES.get(code, error.name)
    return render_template(
        "errors/error.html", code=code, title=title, description=error.description
    ), code
