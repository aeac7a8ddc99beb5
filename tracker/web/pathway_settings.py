"""A pathway's settings on its review page: the usual arrival lead and stay its documents are
read with (issue 10). They apply to versions read after a change; a version already read
keeps its times."""

from __future__ import annotations

from http import HTTPStatus

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from tracker import errors
from tracker.auth import current_staff, require_admin_for_blueprint
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.library import pathway_settings
from tracker.web.admin import review_page, version_or_404
from tracker.web.forms import PathwaySettingsForm

bp = Blueprint("pathway_settings", __name__, url_prefix="/admin")
require_admin_for_blueprint(bp)


@bp.post("/pathways/<slug>/v<int:number>/settings")
def change(slug: str, number: int) -> Response | tuple[str, int]:
    """Store the posted settings and go back to the version; errors beside the fields."""
    pathway, found = version_or_404(slug, number)
    form = PathwaySettingsForm()
    status = HTTPStatus.UNPROCESSABLE_ENTITY
    if form.validate_on_submit():
        staff = current_staff()
        assert staff is not None, "the blueprint requires a signed-in admin"
        session = get_session()
        try:
            changed = pathway_settings.change_settings(
                session=session,
                pathway=pathway,
                arrival_minutes=form.arrival_minutes.data,
                stay_days=form.stay_days.data,
                user_id=staff.id,
                now=utcnow(),
            )
        except errors.InvalidInput as error:
            session.rollback()
            getattr(form, error.field).errors.append(error.translated)
        else:
            session.commit()
            message = (
                gettext("Settings saved: documents read from now on use them.")
                if changed
                else gettext("The settings are unchanged.")
            )
            flash(message, "success")
            target = url_for("admin.version", slug=slug, number=number, _anchor="settings")
            return redirect(target, HTTPStatus.SEE_OTHER)
    elif "csrf_token" in form.errors:
        status = HTTPStatus.BAD_REQUEST  # the form's token was missing or stale
    return review_page(pathway, found, settings_form=form), status
