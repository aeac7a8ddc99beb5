"""Changing an enrollment: reschedule (a preview of what moves, then confirm), cancel or
complete. The preview carries the enrollment's updated_at, so a change made meanwhile is
caught at confirm and previewed again."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext, lazy_gettext, ngettext

from tracker import auth, errors
from tracker.care import enrollment, rescheduling
from tracker.care.reschedule_summary import summarize
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.models import Enrollment, Patient
from tracker.web.nurse.blueprint import UNPROCESSABLE, bp, get_or_404
from tracker.web.nurse.forms import FinishForm, sentence
from tracker.web.nurse.time_forms import ConfirmRescheduleForm, RescheduleForm
from tracker.workspace.wording import local_text

# How a nurse reads each channel the patient is told on.
CHANNEL_NAMES = {
    "inapp": lazy_gettext("in the app"),
    "email": lazy_gettext("email"),
    "sms": lazy_gettext("text message"),
    "webhook": lazy_gettext("text message"),
}


def _enrollment_and_patient(enrollment_id: int) -> tuple[Enrollment, Patient]:
    row = get_or_404(Enrollment, enrollment_id)
    return row, get_or_404(Patient, row.patient_id)


@bp.route("/enrollments/<int:enrollment_id>/reschedule", methods=["GET", "POST"])
def reschedule(enrollment_id: int) -> ResponseReturnValue:
    """GET: the new-time form. POST: the preview of what would move (writes nothing)."""
    session = get_session()
    row, person = _enrollment_and_patient(enrollment_id)
    if request.method == "GET":
        current = row.procedure_start.astimezone(ZoneInfo(row.timezone))
        # "Change the time" on the preview comes back with the time it showed (?date=&time=).
        form = RescheduleForm(
            formdata=request.args or None,
            data={"date": f"{current:%Y-%m-%d}", "time": f"{current:%H:%M}"},
        )
        return _reschedule_form(row, person, form)
    form = RescheduleForm()
    if not form.checked():
        return _reschedule_form(row, person, form, UNPROCESSABLE)
    fold = form.chosen_fold()
    try:
        diff, start = form.resolving_gap(
            form.local_start(),
            row.timezone,
            lambda start: (
                rescheduling.preview_reschedule(
                    session=session,
                    enrollment=row,
                    start=start,
                    now=utcnow(),
                    fold=fold,
                    allow_past=form.allow_past.data,
                ),
                start,
            ),
        )
    except errors.InvalidInput as error:
        session.rollback()
        form.add_invalid(error)
        return _reschedule_form(row, person, form, UNPROCESSABLE)
    session.rollback()  # a preview never writes
    confirm = ConfirmRescheduleForm(
        formdata=None,
        data={
            "start": f"{start:%Y-%m-%dT%H:%M}",
            "fold": "" if fold is None else str(fold),
            "allow_past": form.allow_past.data,
            "token": row.updated_at.isoformat(),
        },
    )
    return _preview_page(row, person, confirm, diff)


def _reschedule_form(
    row: Enrollment, person: Patient, form: RescheduleForm, status: int = HTTPStatus.OK
) -> ResponseReturnValue:
    return render_template(
        "nurse/reschedule.html", enrollment=row, patient=person, form=form
    ), status


def _preview_page(
    row: Enrollment,
    person: Patient,
    form: ConfirmRescheduleForm,
    diff: rescheduling.RescheduleDiff,
    status: int = HTTPStatus.OK,
) -> ResponseReturnValue:
    """What would move; confirming posts the time previewed and the token of this state."""
    form.token.data = row.updated_at.isoformat()
    summary = summarize(diff, now=utcnow())
    return render_template(
        "nurse/reschedule_preview.html",
        enrollment=row,
        patient=person,
        form=form,
        diff=diff,
        summary=summary,
    ), status


@bp.post("/enrollments/<int:enrollment_id>/reschedule/confirm")
def reschedule_confirm(enrollment_id: int) -> ResponseReturnValue:
    """Apply the previewed move; if the enrollment changed since the preview, preview again."""
    session = get_session()
    row, person = _enrollment_and_patient(enrollment_id)
    form = ConfirmRescheduleForm()
    form.checked()  # every field is ours (hidden, or the reopen boxes): problems are a 400
    start, fold, allow_past = form.start_time(), form.chosen_fold(), form.allow_past.data
    now = utcnow()
    try:
        if form.token.data != row.updated_at.isoformat():
            form.form_errors.append(
                "This enrollment changed since the preview was made: "
                "check the new preview and confirm again.",
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
            return _preview_page(row, person, form, diff, HTTPStatus.CONFLICT)
        diff = rescheduling.reschedule(
            session=session,
            enrollment=row,
            start=start,
            now=now,
            actor=auth.staff_actor(),
            fold=fold,
            allow_past=allow_past,
            reopen=form.reopened(),
        )
    except errors.InvalidInput as error:
        session.rollback()
        if error.field != "reopen":
            # A problem with the time itself: back to the time form, with the time previewed.
            edit = RescheduleForm(
                formdata=None,
                data={
                    "date": f"{start:%Y-%m-%d}",
                    "time": f"{start:%H:%M}",
                    "allow_past": allow_past,
                },
            )
            edit.add_invalid(error)
            return _reschedule_form(row, person, edit, UNPROCESSABLE)
        form.add_invalid(error)
        diff = rescheduling.preview_reschedule(
            session=session, enrollment=row, start=start, now=now, fold=fold, allow_past=allow_past
        )
        session.rollback()
        return _preview_page(row, person, form, diff, UNPROCESSABLE)
    session.commit()
    moved = sum(change.item_id is not None for change in diff.changes)
    when = local_text(diff.new_start, ZoneInfo(row.timezone))
    told = [CHANNEL_NAMES.get(name, name) for name in enrollment.channels_for(person)]
    flash(
        ngettext(
            "Procedure moved to %(when)s; %(num)d item moved.",
            "Procedure moved to %(when)s; %(num)d items moved.",
            moved,
            when=when,
        )
        + " "
        + gettext(
            "The patient is told (%(channels)s) and their page shows a notice of the move.",
            channels=", ".join(str(name) for name in told),
        ),
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
    form = FinishForm()
    form.action = action
    if form.is_submitted():
        if form.checked():
            try:
                FINISHERS[action](
                    session=session, enrollment=row, actor=auth.staff_actor(), now=utcnow()
                )
                session.commit()
                flash(
                    gettext("Enrollment cancelled.")
                    if action == "cancel"
                    else gettext("Enrollment completed."),
                    "success",
                )
                return redirect(url_for("nurse.patient", patient_id=person.id, enrollment=row.id))
            except errors.InvalidInput as error:
                session.rollback()
                form.add_error("confirm", sentence("enrollment", error))
    status = UNPROCESSABLE if form.has_errors else HTTPStatus.OK
    return render_template(
        "nurse/finish.html", enrollment=row, patient=person, form=form, action=action
    ), status
