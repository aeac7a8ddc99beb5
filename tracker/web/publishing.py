"""Publishing a reviewed draft: a confirmation page that says what publishing does, lists the
steps still marked for review, and publishes them only with an explicit override."""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext, ngettext
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.wrappers import Response
from wtforms import BooleanField

from tracker import errors
from tracker.auth import current_staff, require_admin_for_blueprint
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.library import pathways, review, reviewed_translations, title_translations
from tracker.models import Enrollment, PathwayVersion
from tracker.reading.timing import REVIEW_THRESHOLD
from tracker.web.admin import done, refuse_unless_draft, version_or_404

bp = Blueprint("publishing", __name__, url_prefix="/admin")
require_admin_for_blueprint(bp)


class PublishForm(FlaskForm):  # type: ignore[misc]
    allow_unreviewed = BooleanField(
        lazy_gettext("Publish the steps still marked for review as they are")
    )


@bp.route("/pathways/<slug>/v<int:number>/publish", methods=["GET", "POST"])
def publish(slug: str, number: int) -> Response | tuple[str, int]:
    """GET: what publishing will do. POST: publish (the override needed for flagged steps)."""
    pathway, found = version_or_404(slug, number)
    home = url_for("admin.version", slug=slug, number=number)
    refuse_unless_draft(found)  # 409: published versions never change
    session = get_session()
    steps = pathways.steps_of(session, found)
    # (number as the review table shows it, step) for each step still marked for review
    flagged = [(n, step) for n, step in enumerate(steps, 1) if step.confidence < REVIEW_THRESHOLD]
    form = PublishForm()
    status = HTTPStatus.OK
    if form.validate_on_submit():
        allow = bool(form.allow_unreviewed.data)
        if flagged and not allow:
            form.allow_unreviewed.errors.append(
                ngettext(
                    "%(num)d step is still marked for review: review it first, "
                    "or tick this box to publish it as it is.",
                    "%(num)d steps are still marked for review: review them first, "
                    "or tick this box to publish them as they are.",
                    len(flagged),
                )
            )
            status = HTTPStatus.UNPROCESSABLE_ENTITY
        else:
            staff = current_staff()
            assert staff is not None
            try:
                review.publish(
                    session=session,
                    version=found,
                    user_id=staff.id,
                    now=utcnow(),
                    allow_unreviewed=allow,
                )
            except (errors.VersionFrozen, errors.ReviewError) as error:
                session.rollback()
                flash(error.translated, "error")
                return redirect(home, HTTPStatus.SEE_OTHER)
            return done(
                found,
                gettext("v%(n)s published: new enrollments use it from now on.", n=number),
            )
    elif form.is_submitted():
        status = HTTPStatus.BAD_REQUEST  # the form's token was missing or stale
    current = pathways.published_version(session, pathway)
    page = render_template(
        "admin/publish.html",
        pathway=pathway,
        version=found,
        steps=steps,
        flagged=flagged,
        current=current,
        staying=_active_enrollments(current),
        translated=reviewed_translations.reviewed_counts(session, found.id or 0),
        titled=title_translations.reviewed_title_languages(session, found.id or 0),
        form=form,
    )
    return page, status


def _active_enrollments(version: PathwayVersion | None) -> int:
    """How many active enrollments stay on `version` (they keep it after a new one)."""
    if version is None:
        return 0
    query = select(func.count()).where(
        Enrollment.version_id == version.id,  # type: ignore[arg-type]
        Enrollment.state == "active",  # type: ignore[arg-type]
    )
    return int(get_session().execute(query).scalar_one())
