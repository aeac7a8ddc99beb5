"""Changing an enrollment: reschedule (a preview of what moves, then confirm), cancel or
complete. The preview carries the enrollment's updated_at, so a change made meanwhile is
caught at confirm and previewed again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from tracker import auth, errors
from tracker.care import enrollment, rescheduling
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.models import Enrollment, Patient
from tracker.web.nurse import forms as nurse_forms
from tracker.web.nurse.blueprint import UNPROCESSABLE, bp, get_or_404
from tracker.web.nurse.forms import FormState
from tracker.workspace.patient_timeline import local_text

TIME_FIELDS = ("date", "time", "allow_past", "dst_choice")


def _enrollment_and_patient(enrollment_id: int) -> tuple[Enrollment, Patient]:
    row = get_or_404(Enrollment, enrollment_id)
    return row, get_or_404(Patient, row.patient_id)


@bp.route("/enrollments/<int:enrollment_id>/reschedule", methods=["GET", "POST"])
def reschedule(enrollment_id: int) -> ResponseReturnValue:
    """GET: the new-time form. POST: the preview of what would move (writes nothing)."""
    session = get_session()
    row, person = _enrollment_and_patient(enrollment_id)
    zone = ZoneInfo(row.timezone)
    if request.method == "GET":
        current = row.procedure_start.astimezone(zone)
        form = FormState(values={"date": f"{current:%Y-%m-%d}", "time": f"{current:%H:%M}"})
        form.values.update({k: v for k, v in request.args.items() if k in TIME_FIELDS})
        return _reschedule_form(row, person, form)
    form = FormState.read(request.form, TIME_FIELDS)
    local = nurse_forms.local_start(form)
    if local is None:
        return _reschedule_form(row, person, form, UNPROCESSABLE)
    fold = nurse_forms.fold(request.form)
    try:
        diff, start = nurse_forms.resolving_gap(
            form,
            local,
            row.timezone,
            lambda start: (
                rescheduling.preview_reschedule(
                    session=session,
                    enrollment=row,
                    start=start,
                    now=utcnow(),
                    fold=fold,
                    allow_past=form.get("allow_past") == "yes",
                ),
                start,
            ),
        )
    except errors.InvalidInput as error:
        session.rollback()
        form.add_invalid(error, fields={"fold": "start"})
        return _reschedule_form(row, person, form, UNPROCESSABLE)
    session.rollback()  # a preview never writes
    return _preview_page(row, person, form, diff, start, fold)


def _reschedule_form(
    row: Enrollment, person: Patient, form: FormState, status: int = HTTPStatus.OK
) -> ResponseReturnValue:
    return render_template(
        "nurse/reschedule.html", enrollment=row, patient=person, form=form
    ), status


def _preview_page(
    row: Enrollment,
    person: Patient,
    form: FormState,
    diff: rescheduling.RescheduleDiff,
    start: datetime,
    fold: int | None,
    status: int = HTTPStatus.OK,
) -> ResponseReturnValue:
    return render_template(
        "nurse/reschedule_preview.html",
        enrollment=row,
        patient=person,
        form=form,
        diff=diff,
        start=f"{start:%Y-%m-%dT%H:%M}",
        fold="" if fold is None else str(fold),
        token=row.updated_at.isoformat(),
    ), status


@bp.post("/enrollments/<int:enrollment_id>/reschedule/confirm")
def reschedule_confirm(enrollment_id: int) -> ResponseReturnValue:
    """Apply the previewed move; if the enrollment changed since the preview, preview again."""
    session = get_session()
    row, person = _enrollment_and_patient(enrollment_id)
    form = FormState.read(request.form, ("start", "allow_past", "token"), ("reopen",))
    try:
        start = datetime.fromisoformat(form.get("start"))
    except ValueError:
        abort(400)
    fold = nurse_forms.fold(request.form)
    reopen = nurse_forms.int_list(request.form, "reopen")
    allow_past = form.get("allow_past") == "yes"
    now = utcnow()
    try:
        if form.get("token") != row.updated_at.isoformat():
            form.general = (
                "This enrollment changed since the preview was made: "
                "check the new preview and confirm again."
            )
            diff = rescheduling.preview_reschedule(
                session=session,
                enrollment=row,
                start=start,
                now=now,
                fold=fold,
                allow_past=allow_past,
            )
            session.rollback()
            return _preview_page(row, person, form, diff, start, fold, HTTPStatus.CONFLICT)
        diff = rescheduling.reschedule(
            session=session,
            enrollment=row,
            start=start,
            now=now,
            actor=auth.staff_actor(),
            fold=fold,
            allow_past=allow_past,
            reopen=reopen,
        )
    except errors.InvalidInput as error:
        session.rollback()
        form.add_invalid(error, fields={"fold": "start"})
        if error.field != "reopen":
            edit = FormState(
                values={
                    "date": f"{start:%Y-%m-%d}",
                    "time": f"{start:%H:%M}",
                    "allow_past": form.get("allow_past"),
                },
                errors=form.errors,
                general=form.general,
            )
            return _reschedule_form(row, person, edit, UNPROCESSABLE)
        diff = rescheduling.preview_reschedule(
            session=session, enrollment=row, start=start, now=now, fold=fold, allow_past=allow_past
        )
        session.rollback()
        return _preview_page(row, person, form, diff, start, fold, UNPROCESSABLE)
    session.commit()
    moved = sum(change.item_id is not None for change in diff.changes)
    flash(
        f"Procedure moved to {local_text(diff.new_start, ZoneInfo(row.timezone))}; "
        f"{moved} item{'s' if moved != 1 else ''} moved.",
        "success",
    )
    return redirect(url_for("nurse.patient", patient_id=person.id, enrollment=row.id))


FINISHERS: dict[str, Callable[..., Enrollment]] = {
    "cancel": enrollment.cancel_enrollment,
    "complete": enrollment.complete_enrollment,
}


@bp.route("/enrollments/<int:enrollment_id>/<any(cancel,complete):action>", methods=["GET", "POST"])
def finish(enrollment_id: int, action: str) -> ResponseReturnValue:
    """A confirmation page; POST with the box ticked cancels or completes the enrollment."""
    session = get_session()
    row, person = _enrollment_and_patient(enrollment_id)
    form = FormState.read(request.form, ("confirm",))
    if request.method == "POST":
        if not nurse_forms.confirmed(request.form):
            form.add("confirm", f"tick the box to {action} this enrollment")
        else:
            try:
                FINISHERS[action](
                    session=session, enrollment=row, actor=auth.staff_actor(), now=utcnow()
                )
                session.commit()
                flash(
                    f"Enrollment {'cancelled' if action == 'cancel' else 'completed'}.", "success"
                )
                return redirect(url_for("nurse.patient", patient_id=person.id, enrollment=row.id))
            except errors.InvalidInput as error:
                session.rollback()
                form.add("confirm", error.message)
    status = UNPROCESSABLE if form.errors else HTTPStatus.OK
    return render_template(
        "nurse/finish.html", enrollment=row, patient=person, form=form, action=action
    ), status
