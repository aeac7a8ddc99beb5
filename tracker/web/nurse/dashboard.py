"""The nurse dashboard and its work lists (today, tomorrow, overdue, critical, reminders)."""

from __future__ import annotations

from http import HTTPStatus
from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from tracker import auth
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.errors import InvalidInput
from tracker.patient import check_ins
from tracker.web.nurse.blueprint import bp
from tracker.web.nurse.forms import FilterForm, NurseForm, options
from tracker.workspace import choices
from tracker.workspace import dashboard as queries
from tracker.workspace.work_list_pages import PAGE_SIZE, Context

LIST_NAMES = ",".join(queries.WORK_LISTS)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_ZONE"])


@bp.get("/")
def dashboard() -> str:
    session = get_session()
    form = _filter_form()
    filters = form.filters()
    context = Context(utcnow(), _zone(), filters)
    return render_template(
        "nurse/dashboard.html",
        form=form,
        pages=queries.dashboard(session, context),
        alerts=queries.alerts(session, context),
        context=context,
        lists=queries.WORK_LISTS,
    )


@bp.get(f"/<any({LIST_NAMES}):name>")
def work_list(name: str) -> str:
    session = get_session()
    form = _filter_form()
    page_number = form.page_number()
    context = Context(utcnow(), _zone(), form.filters())
    offset = (page_number - 1) * PAGE_SIZE
    page = queries.work_list(session, name, context, offset=offset)
    return render_template(
        "nurse/work_list.html",
        spec=queries.WORK_LISTS[name],
        page=page,
        context=context,
        page_number=page_number,
        form=form,
    )


def _filter_form() -> FilterForm:
    """The filters from the query string, their selects filled with today's choices."""
    session = get_session()
    form = FilterForm(request.args)
    form.checked()  # every problem with these is malformed (400): people pick, never type
    form.pathway.choices = options(gettext("All pathways"), choices.pathway_choices(session))
    form.nurse.choices = options(gettext("All nurses"), choices.nurse_choices(session))
    return form


@bp.post("/check-ins/<int(max=2147483647):check_in_id>/handled")
def check_in_handled(check_in_id: int) -> Response:
    """A patient's "yes" to the warning signs has been dealt with: off the alerts."""
    NurseForm().checked()  # the CSRF token; nothing else is posted
    session = get_session()
    try:
        check_ins.mark_handled(
            session=session, check_in_id=check_in_id, actor=auth.staff_actor(), now=utcnow()
        )
    except InvalidInput:
        abort(404)
    session.commit()
    flash("Marked handled.", "success")
    return redirect(url_for("nurse.dashboard"), HTTPStatus.SEE_OTHER)
