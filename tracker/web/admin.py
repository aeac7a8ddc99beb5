"""Admin review: check the steps derived from each document, edit them, publish or retire."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NoReturn

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from tracker import errors
from tracker.auth import current_staff, require_admin_for_blueprint
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.library import pathways, review, reviewed_translations, step_edits, title_translations
from tracker.library.step_fields import StepFields
from tracker.models import Pathway, PathwayVersion, Step
from tracker.reading import wording
from tracker.reading.timing import REVIEW_THRESHOLD, RelTime
from tracker.web.forms import PathwaySettingsForm
from tracker.web.review_forms import StepForm, form_data
from tracker.workspace import procedure_timeline

bp = Blueprint("admin", __name__, url_prefix="/admin")
require_admin_for_blueprint(bp)

UNPROCESSABLE = 422
SEE_OTHER = 303
# What a new step's editor starts with: the day before, at the reminder hour, due at the start.
NEW_STEP = StepFields(
    section="preparation",
    text="",
    kind="logistics",
    critical=False,
    conditional=False,
    opens=RelTime(anchor="start", days=-1, reminder_hour=True),
    due=RelTime(anchor="start"),
    expires=None,
    recurrence=None,
)


@dataclass(frozen=True)
class StepView:
    """A step as the review table shows it."""

    step: Step
    number: int
    window: str
    source: Markup | None  # the document's sentence, the evidence marked
    needs_review: bool


@bp.get("/pathways")
def index() -> str:
    return render_template("admin/index.html", summaries=pathways.summaries(get_session()))


@bp.get("/pathways/<slug>/v<int:number>")
def version(slug: str, number: int) -> str:
    pathway, found = version_or_404(slug, number)
    return review_page(pathway, found)


@bp.route("/pathways/<slug>/v<int:number>/steps/<int:step_id>/edit", methods=["GET", "POST"])
def edit_step(slug: str, number: int, step_id: int) -> str | Response | tuple[str, int]:
    pathway, found = version_or_404(slug, number)
    step = _step_or_404(found, step_id)
    refuse_unless_draft(found)
    if request.method == "GET":
        form = StepForm(data=form_data(StepFields.of(step)))
        return _edit_page(pathway, found, step, form)
    form = _submitted_form()
    if form.validate():
        try:
            step_edits.update_step(
                session=get_session(),
                step=step,
                fields=form.fields(StepFields.of(step)),
                user_id=_user_id(),
                now=utcnow(),
            )
            return done(
                found,
                gettext("Step %(n)s saved.", n=_position(found, step)),
                anchor=f"step-{step_id}",
            )
        except errors.InvalidStep as error:
            _undo()
            form.add_error(error.field, error.translated)
        except errors.VersionFrozen as error:
            _conflict(error)
    return _edit_page(pathway, found, step, form), UNPROCESSABLE


@bp.post("/pathways/<slug>/v<int:number>/steps/new")
def add_step(slug: str, number: int) -> Response | tuple[str, int]:
    pathway, found = version_or_404(slug, number)
    refuse_unless_draft(found)
    form = _submitted_form()
    if form.validate():
        try:
            step = step_edits.add_step(
                session=get_session(),
                version=found,
                fields=form.fields(),
                user_id=_user_id(),
                now=utcnow(),
            )
            return done(found, gettext("Step added."), anchor=f"step-{step.id}")
        except errors.InvalidStep as error:
            _undo()
            form.add_error(error.field, error.translated)
        except errors.VersionFrozen as error:
            _conflict(error)
    return review_page(pathway, found, form), UNPROCESSABLE


@bp.post("/pathways/<slug>/v<int:number>/steps/<int:step_id>/remove")
def remove_step(slug: str, number: int, step_id: int) -> Response:
    _, found = version_or_404(slug, number)
    step = _step_or_404(found, step_id)
    position = _position(found, step)
    try:
        step_edits.remove_step(session=get_session(), step=step, user_id=_user_id(), now=utcnow())
    except errors.VersionFrozen as error:
        _conflict(error)
    return done(found, gettext("Step %(n)s removed.", n=position))


@bp.post("/pathways/<slug>/v<int:number>/steps/<int:step_id>/split/<int:index>")
def split_step(slug: str, number: int, step_id: int, index: int) -> Response:
    """Turn one instruction merged into a step back into a step of its own."""
    _, found = version_or_404(slug, number)
    step = _step_or_404(found, step_id)
    if index >= len(step.merged):
        abort(404)
    try:
        separate = step_edits.split_step(
            session=get_session(), step=step, index=index, user_id=_user_id(), now=utcnow()
        )
    except errors.VersionFrozen as error:
        _conflict(error)
    return done(
        found,
        gettext("Merged instruction split into a step of its own."),
        anchor=f"step-{separate.id}",
    )


@bp.post("/pathways/<slug>/v<int:number>/retire")
def retire(slug: str, number: int) -> Response:
    _, found = version_or_404(slug, number)
    try:
        review.retire(session=get_session(), version=found, user_id=_user_id(), now=utcnow())
    except errors.VersionFrozen as error:
        _conflict(error)
    return done(
        found,
        gettext("v%(n)s retired: no new enrollments; existing ones keep it.", n=number),
    )


@bp.post("/pathways/<slug>/draft")
def start_draft(slug: str) -> Response:
    pathway = pathways.get_pathway(get_session(), slug) or abort(404)
    try:
        draft = review.start_draft(
            session=get_session(), pathway=pathway, user_id=_user_id(), now=utcnow()
        )
    except errors.DraftExists as error:
        _undo()
        flash(error.translated, "info")
        return redirect(url_for("admin.version", slug=slug, number=error.version.number), SEE_OTHER)
    except errors.ReviewError as error:
        _undo()
        flash(error.translated, "error")
        return redirect(url_for("admin.index"), SEE_OTHER)
    return done(
        draft,
        gettext("v%(n)s started as a draft copy: edit it, then publish.", n=draft.number),
    )


def highlight(sentence: str, evidence: str) -> Markup:
    """The sentence, escaped, with the evidence phrase inside `<mark>` (first match, any case)."""
    match = re.search(re.escape(evidence), sentence, re.IGNORECASE) if evidence else None
    if match is None:
        return escape(sentence)
    start, end = match.span()
    marked = Markup("<mark>{}</mark>").format(sentence[start:end])
    return escape(sentence[:start]) + marked + escape(sentence[end:])


def step_views(version: PathwayVersion, steps: list[Step]) -> list[StepView]:
    """The review table's rows: wording, the source sentence, whether to look closely."""
    sentences = review.source_sentences(version)
    views = []
    for number, step in enumerate(steps, start=1):
        sentence = sentences.get(step.line) if step.line else None
        views.append(
            StepView(
                step=step,
                number=number,
                window=wording.step_window(step),
                source=highlight(sentence, step.evidence) if sentence else None,
                needs_review=step.confidence < REVIEW_THRESHOLD,
            )
        )
    return views


def review_page(
    pathway: Pathway,
    found: PathwayVersion,
    form: StepForm | None = None,
    *,
    settings_form: PathwaySettingsForm | None = None,
) -> str:
    """The version's review page; a form given is shown as posted (with its errors)."""
    session = get_session()
    steps = pathways.steps_of(session, found)
    chart = procedure_timeline.step_timeline(
        steps,
        duration_minutes=found.duration_minutes,
        title=gettext(
            "Timeline of %(name)s, v%(number)s",
            name=pathway.short_name or pathway.slug,
            number=found.number,
        ),
    )
    views = step_views(found, steps)
    return render_template(
        "admin/version.html",
        pathway=pathway,
        version=found,
        versions=pathways.versions_of(session, pathway),
        steps=views,
        chart=chart,
        form=form if form is not None else _new_step_form(),
        settings_form=settings_form
        if settings_form is not None
        else PathwaySettingsForm(formdata=None, obj=pathway),
        flagged=sum(view.needs_review for view in views),
        translated=reviewed_translations.reviewed_counts(session, found.id or 0),
        titled=title_translations.reviewed_title_languages(session, found.id or 0),
    )


def _edit_page(pathway: Pathway, found: PathwayVersion, step: Step, form: StepForm) -> str:
    [view] = [
        v
        for v in step_views(found, pathways.steps_of(get_session(), found))
        if v.step.id == step.id
    ]
    return render_template(
        "admin/edit_step.html", pathway=pathway, version=found, view=view, form=form
    )


def _new_step_form() -> StepForm:
    return StepForm(formdata=None, data=form_data(NEW_STEP))


def _submitted_form() -> StepForm:
    """The posted step form; a request missing fields a browser always sends is malformed."""
    form = StepForm()
    missing = form.missing(request.form)
    if missing:
        abort(400, description="The form is incomplete (missing " + ", ".join(missing) + ").")
    return form


def version_or_404(slug: str, number: int) -> tuple[Pathway, PathwayVersion]:
    session = get_session()
    pathway = pathways.get_pathway(session, slug) or abort(404)
    found = next((v for v in pathways.versions_of(session, pathway) if v.number == number), None)
    return pathway, found or abort(404)


def _step_or_404(found: PathwayVersion, step_id: int) -> Step:
    step = get_session().get(Step, step_id)
    if step is None or step.version_id != found.id:
        abort(404)
    return step


def refuse_unless_draft(found: PathwayVersion) -> None:
    if found.state != review.DRAFT:
        abort(409, description=review.frozen(found).translated)


def _position(found: PathwayVersion, step: Step) -> int:
    ids = [s.id for s in pathways.steps_of(get_session(), found)]
    return ids.index(step.id) + 1 if step.id in ids else 0


def _user_id() -> int:
    staff = current_staff()
    assert staff is not None, "the blueprint requires a signed-in admin"
    return staff.id


def _undo() -> None:
    get_session().rollback()


def _conflict(error: errors.VersionFrozen) -> NoReturn:
    """The version stopped being editable under the change: roll back and answer 409."""
    _undo()
    abort(409, description=error.translated)


def done(found: PathwayVersion, message: str, *, anchor: str | None = None) -> Response:
    """Commit the change and send the admin back to the version (POST, redirect, GET)."""
    session = get_session()
    session.commit()
    pathway = session.get(Pathway, found.pathway_id)
    assert pathway is not None
    flash(message, "success")
    target = url_for("admin.version", slug=pathway.slug, number=found.number, _anchor=anchor)
    return redirect(target, SEE_OTHER)
