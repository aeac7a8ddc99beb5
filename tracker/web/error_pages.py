"""Friendly error pages instead of Werkzeug's defaults, in the reader's language."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext
from werkzeug.exceptions import HTTPException

PAGES = {
    400: (lazy_gettext("Bad request"), lazy_gettext("The page could not use what was sent.")),
    403: (lazy_gettext("Not allowed"), lazy_gettext("You are not allowed to open this page.")),
    404: (lazy_gettext("Not found"), lazy_gettext("There is no page at this address.")),
    405: (lazy_gettext("Not allowed"), lazy_gettext("This page cannot be used that way.")),
    413: (lazy_gettext("Too large"), lazy_gettext("What was sent is too large.")),
    429: (
        lazy_gettext("Too many attempts"),
        lazy_gettext("There have been too many attempts. Please wait a few minutes."),
    ),
    500: (
        lazy_gettext("Something went wrong"),
        lazy_gettext("Please try again. If it keeps happening, tell the support team."),
    ),
}


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _render)


def _render(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    title, standard = PAGES.get(code, (error.name, error.description or ""))
    # A description the code gave (abort(400, "...")) says more than the standard one.
    own = error.description if error.description != type(error).description else None
    description = own or str(standard)
    page = render_template(
        "errors/error.html", code=code, title=str(title), description=description
    )
    return page, code
