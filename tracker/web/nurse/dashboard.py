"""The nurse dashboard and its work lists (today, tomorrow, overdue, critical, reminders)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request

from tracker.clock import utcnow
from tracker.db import get_session
from tracker.web.nurse import forms as nurse_forms
from tracker.web.nurse.blueprint import bp
from tracker.workspace import choices
from tracker.workspace import dashboard as queries
from tracker.workspace.work_list_pages import PAGE_SIZE, Context

LIST_NAMES = ",".join(queries.WORK_LISTS)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_ZONE"])


@bp.get("/")
def dashboard() -> str:
    session = get_session()
    filters = nurse_forms.filters(request.args)
    context = Context(utcnow(), _zone(), filters)
    return render_template(
        "nurse/dashboard.html",
        pages=queries.dashboard(session, context),
        alerts=queries.alerts(session, context),
        context=context,
        lists=queries.WORK_LISTS,
        **_filter_choices(),
    )


@bp.get(f"/<any({LIST_NAMES}):name>")
def work_list(name: str) -> str:
    session = get_session()
    filters = nurse_forms.filters(request.args)
    page_number = nurse_forms.page_number(request.args)
    context = Context(utcnow(), _zone(), filters)
    offset = (page_number - 1) * PAGE_SIZE
    page = queries.work_list(session, name, context, offset=offset)
    return render_template(
        "nurse/work_list.html",
        spec=queries.WORK_LISTS[name],
        page=page,
        context=context,
        page_number=page_number,
        **_filter_choices(),
    )


def _filter_choices() -> dict[str, Any]:
    session = get_session()
    return {"pathways": choices.pathway_choices(session), "nurses": choices.nurse_choices(session)}
