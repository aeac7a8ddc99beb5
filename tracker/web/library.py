"""The pathway library: every pathway, its versions and their timed steps, read-only."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext
from werkzeug.wrappers import Response
from wtforms import Form, StringField
from wtforms.validators import Length

from tracker.auth import require_staff_for_blueprint
from tracker.db import get_session
from tracker.library import pathways
from tracker.reading import wording

bp = Blueprint("library", __name__)
MAX_SEARCH = 100


@bp.get("/")
def home() -> Response:
    return redirect(url_for("library.index"))


class LibrarySearch(Form):  # type: ignore[misc]
    """The library's search box (?q=): name, title, slug or code."""

    q = StringField(lazy_gettext("Search pathways"), validators=[Length(max=MAX_SEARCH)])


@bp.get("/pathways/")
def index() -> tuple[str, int]:
    search = LibrarySearch(request.args)
    valid = search.validate()
    words = (search.q.data or "") if valid else ""
    found = pathways.summaries(get_session(), words)
    page = render_template("library/index.html", summaries=found, search=search, words=words)
    return page, 200 if valid else 400


@bp.get("/pathways/<slug>")
def detail(slug: str) -> str:
    session = get_session()
    pathway = pathways.get_pathway(session, slug) or abort(404)
    versions = pathways.versions_of(session, pathway)
    number = request.args.get("version", type=int)
    version = next((v for v in versions if v.number == number), None) if number else versions[-1]
    if version is None:
        abort(404)
    steps = pathways.steps_of(session, version)
    return render_template(
        "library/detail.html", pathway=pathway, versions=versions, version=version, steps=steps
    )


bp.add_app_template_filter(wording.step_window, "step_window")
require_staff_for_blueprint(bp)
