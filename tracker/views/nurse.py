"""The nurse workspace: dashboard, work lists, patients, enrollment and its changes.

Views parse (tracker.nurse_forms), call services, commit, flash and redirect; a service's
InvalidInput rolls the request's transaction back and re-renders the form with status 422.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from http import HTTPStatus
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from tracker import (
    auth,
    checklist,
    choices,
    enrollment,
    escalation,
    nurse_forms,
    patients,
    rescheduling,
)
from tracker import dashboard as queries
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.models import ChecklistItem, Enrollment, PathwayVersion, Patient, User
from tracker.nurse_forms import FormState
from tracker.pathways import steps_of
from tracker.patient_timeline import css_status, load, local_text, short_text
from tracker.work_list_pages import PAGE_SIZE, Context

bp = Blueprint("nurse", __name__, url_prefix="/nurse")
auth.require_staff_for_blueprint(bp)

UNPROCESSABLE = HTTPStatus.UNPROCESSABLE_ENTITY
LIST_NAMES = ",".join(queries.WORK_LISTS)
T = TypeVar("T")


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_ZONE"])


def get_or_404(model: type[T], row_id: int) -> T:
    row = get_session().get(model, row_id)
    if row is None:
        abort(404)
    return row


# --- dashboard and work lists ---------------------------------------------------------------


@bp.get("/")
def dashboard() -> str:
    session = get_session()
    filters = nurse_forms.filters(request.args)
    context = Context(utcnow(), _zone(), filters)
    return render_template(
        "nurse/dashboard.html",
        pages=queries.dashboard(session, context),
        alerts=escalation.alerts(
            session, context.now, pathway_id=filters.pathway_id, nurse_id=filters.nurse_id
        ),
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


# --- patients ------------------------------------------------------------------------------


@bp.get("/patients")
def patient_list() -> str:
    text = nurse_forms.search_text(request.args)
    page_number = nurse_forms.page_number(request.args)
    rows, total = choices.search_patients(get_session(), text, offset=(page_number - 1) * PAGE_SIZE)
    return render_template(
        "nurse/patients.html",
        rows=rows,
        total=total,
        q=text,
        page_number=page_number,
        page_size=PAGE_SIZE,
    )


@bp.route("/patients/new", methods=["GET", "POST"])
def new_patient() -> ResponseReturnValue:
    config = current_app.config
    if request.method == "GET":
        form = FormState(
            values={
                "timezone": config["DEFAULT_ZONE"],
                "reminder_hour": str(config["REMINDER_HOUR"]),
                "quiet_start": config["QUIET_START"],
                "quiet_end": config["QUIET_END"],
                "language": "en",
            }
        )
        return render_template("nurse/patient_new.html", form=form)
    form, values = nurse_forms.patient_form(request.form)
    session = get_session()
    if form.ok:
        try:
            patient = patients.register_patient(
                session=session,
                now=utcnow(),
                actor=auth.staff_actor(),
                default_zone=config["DEFAULT_ZONE"],
                **values,
            )
            session.commit()
            flash(f"Registered {patient.name} (MRN {patient.mrn}).", "success")
            return redirect(url_for("nurse.patient", patient_id=patient.id))
        except patients.InvalidInput as error:
            session.rollback()
            form.add_invalid(error)
    return render_template("nurse/patient_new.html", form=form), UNPROCESSABLE


@bp.get("/patients/<int:patient_id>")
def patient(patient_id: int) -> str:
    return _patient_page(patient_id)


def _patient_page(
    patient_id: int, *, item_errors: dict[int, str] | None = None, enrollment_id: int | None = None
) -> str:
    session = get_session()
    row = get_or_404(Patient, patient_id)
    if enrollment_id is None:
        enrollment_id = nurse_forms.optional_int(request.args, "enrollment")
    now = utcnow()
    page = load(session, row, now=now, enrollment_id=enrollment_id)
    if page is None:
        abort(404)
    return render_template("nurse/patient.html", page=page, item_errors=item_errors or {}, now=now)


# --- enrollment ----------------------------------------------------------------------------

ENROLL_FIELDS = ("version", "date", "time", "timezone", "nurse", "allow_past", "dst_choice")
TIME_FIELDS = ("date", "time", "allow_past", "dst_choice")


@bp.route("/patients/<int:patient_id>/enroll", methods=["GET", "POST"])
def enroll(patient_id: int) -> ResponseReturnValue:
    """Two steps without JavaScript: choose the pathway (GET ?version=), then time and steps."""
    session = get_session()
    person = get_or_404(Patient, patient_id)
    source = request.form if request.method == "POST" else request.args
    version_id = nurse_forms.optional_int(source, "version")
    form = FormState.read(source, ENROLL_FIELDS, ("confirm",))
    if request.method == "GET" and "timezone" not in request.args:
        staff = auth.current_staff()
        form.values.update(timezone=person.timezone, nurse=str(staff.id if staff else ""))
    version = session.get(PathwayVersion, version_id) if version_id else None
    if version is None or version.state != "published":
        if version_id is not None:
            form.add("version", "choose a published pathway")
        status = UNPROCESSABLE if form.errors else HTTPStatus.OK
        return render_template(
            "nurse/enroll_choose.html",
            patient=person,
            form=form,
            versions=choices.published_versions(session),
        ), status
    conditional = [step for step in steps_of(session, version) if step.conditional]

    def page(status: int = HTTPStatus.OK) -> ResponseReturnValue:
        return render_template(
            "nurse/enroll.html",
            patient=person,
            version=version,
            form=form,
            conditional=conditional,
            nurses=choices.nurse_choices(session),
        ), status

    if request.method == "GET":
        return page()
    chosen = set(nurse_forms.int_list(request.form, "confirm"))
    if chosen - {step.id for step in conditional}:
        abort(400)
    nurse_id = _nurse_id(form)
    local = nurse_forms.local_start(form)
    if local is None or not form.ok:
        return page(UNPROCESSABLE)
    zone_name = form.get("timezone").strip() or person.timezone
    try:
        created = nurse_forms.resolving_gap(
            form,
            local,
            zone_name,
            lambda start: enrollment.enroll(
                session=session,
                patient=person,
                version=version,
                start=start,
                now=utcnow(),
                actor=auth.staff_actor(),
                timezone=zone_name,
                fold=nurse_forms.fold(request.form),
                confirm=sorted(chosen),
                drop=[s.id for s in conditional if s.id is not None and s.id not in chosen],
                allow_past=form.get("allow_past") == "yes",
                nurse_id=nurse_id,
            ),
        )
    except patients.InvalidInput as error:
        session.rollback()
        form.add_invalid(error, fields={"fold": "start"})
        return page(UNPROCESSABLE)
    session.commit()
    flash(f"{person.name} is enrolled on {version.title}.", "success")
    return redirect(url_for("nurse.patient", patient_id=person.id, enrollment=created.id))


def _nurse_id(form: FormState) -> int | None:
    raw = form.get("nurse").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        abort(400)
    user = get_session().get(User, int(raw))
    if user is None or not user.active:
        form.add("nurse", "choose a nurse from the list")
        return None
    return user.id


# --- reschedule, cancel, complete ----------------------------------------------------------


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
    except patients.InvalidInput as error:
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
    except patients.InvalidInput as error:
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
            except patients.InvalidInput as error:
                session.rollback()
                form.add("confirm", error.message)
    status = UNPROCESSABLE if form.errors else HTTPStatus.OK
    return render_template(
        "nurse/finish.html", enrollment=row, patient=person, form=form, action=action
    ), status


# --- ticking items on the patient's behalf --------------------------------------------------


@bp.post("/items/<int:item_id>")
def item(item_id: int) -> ResponseReturnValue:
    session = get_session()
    row = get_or_404(ChecklistItem, item_id)
    parent = get_or_404(Enrollment, row.enrollment_id)
    action = nurse_forms.item_action(request.form)
    try:
        if action == "reopen":
            enrollment.reopen_item(
                session=session, item=row, actor=auth.staff_actor(), now=utcnow()
            )
        else:
            checklist.act(
                session=session,
                enrollment=parent,
                actor=auth.staff_actor(),
                item_id=item_id,
                action=action,
                now=utcnow(),
                note=None,  # a nurse's tick leaves the patient's note as it is
                allow_early=True,  # as before: nurses may record an occurrence done ahead
            )
    except patients.InvalidInput as error:
        session.rollback()
        return _patient_page(
            parent.patient_id, item_errors={item_id: error.message}, enrollment_id=parent.id
        ), UNPROCESSABLE
    session.commit()
    words = {"done": "marked done", "not_done": "marked not done", "reopen": "reopened"}
    flash(f"Item {words[action]}.", "success")
    target = url_for("nurse.patient", patient_id=parent.patient_id, enrollment=parent.id)
    return redirect(f"{target}#item-{item_id}")


def _local(moment: datetime | None, zone_name: str) -> str:
    return "" if moment is None else local_text(moment, ZoneInfo(zone_name))


def _short(moment: datetime | None, zone_name: str) -> str:
    return "" if moment is None else short_text(moment, ZoneInfo(zone_name), utcnow())


bp.add_app_template_filter(_local, "nurse_time")
bp.add_app_template_filter(_short, "nurse_short")
bp.add_app_template_filter(css_status, "nurse_status_class")
