"""Patients in the nurse workspace: the search, registration, the patient page, and ticking
items on a patient's behalf (whose refusals are shown on that page)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from tracker import auth, errors
from tracker.care import enrollment, patients
from tracker.care.consent import record_consent
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.models import ChecklistItem, Enrollment, Patient
from tracker.patient import ticking
from tracker.web.nurse.blueprint import UNPROCESSABLE, bp, get_or_404
from tracker.web.nurse.forms import ItemForm, PatientPageQuery, SearchForm
from tracker.web.nurse.patient_form import PatientForm
from tracker.web.nurse.text_messages import CHOICES, ConsentForm, texts_panel
from tracker.workspace import choices
from tracker.workspace.patient_page import load
from tracker.workspace.work_list_pages import PAGE_SIZE


@bp.get("/patients")
def patient_list() -> str:
    form = SearchForm(request.args)
    form.checked()  # the box's maxlength keeps people within it: longer is malformed (400)
    text = form.q.data
    page_number = form.page_number()
    rows, total = choices.search_patients(get_session(), text, offset=(page_number - 1) * PAGE_SIZE)
    return render_template(
        "nurse/patients.html",
        form=form,
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
        defaults = {
            "timezone": config["DEFAULT_ZONE"],
            "reminder_hour": str(config["REMINDER_HOUR"]),
            "quiet_start": config["QUIET_START"],
            "quiet_end": config["QUIET_END"],
            "language": "en",
        }
        return render_template("nurse/patient_new.html", form=PatientForm(data=defaults))
    form = PatientForm()
    session = get_session()
    if form.checked():
        try:
            patient = patients.register_patient(
                session=session,
                now=utcnow(),
                actor=auth.staff_actor(),
                default_zone=config["DEFAULT_ZONE"],
                **form.values(),
            )
            session.commit()
            flash(
                gettext("Registered %(name)s (MRN %(mrn)s).", name=patient.name, mrn=patient.mrn),
                "success",
            )
            return redirect(url_for("nurse.patient", patient_id=patient.id))
        except errors.InvalidInput as error:
            session.rollback()
            form.add_invalid(error)
    return render_template("nurse/patient_new.html", form=form), UNPROCESSABLE


@bp.get("/patients/<int:patient_id>")
def patient(patient_id: int) -> str:
    return patient_page(patient_id)


def patient_page(
    patient_id: int,
    *,
    item_errors: dict[int, str] | None = None,
    enrollment_id: int | None = None,
    consent_form: ConsentForm | None = None,
) -> str:
    session = get_session()
    row = get_or_404(Patient, patient_id)
    if enrollment_id is None:
        query = PatientPageQuery(request.args)
        query.checked()  # our own links carry it: anything but an id is malformed (400)
        enrollment_id = query.enrollment_id()
    now = utcnow()
    page = load(session, row, now=now, enrollment_id=enrollment_id)
    if page is None:
        abort(404)
    return render_template(
        "nurse/patient.html",
        page=page,
        item_errors=item_errors or {},
        now=now,
        texts=texts_panel(session, row, consent_form),
    )


@bp.post("/items/<int:item_id>")
def item(item_id: int) -> ResponseReturnValue:
    session = get_session()
    row = get_or_404(ChecklistItem, item_id)
    parent = get_or_404(Enrollment, row.enrollment_id)
    form = ItemForm()
    form.checked()  # only our buttons send it: anything else is malformed (400)
    action = form.action.data
    try:
        if action == "reopen":
            enrollment.reopen_item(
                session=session, item=row, actor=auth.staff_actor(), now=utcnow()
            )
        else:
            ticking.act(
                session=session,
                enrollment=parent,
                actor=auth.staff_actor(),
                item_id=item_id,
                action=action,
                now=utcnow(),
                note=None,  # a nurse's tick leaves the patient's note as it is
                allow_early=True,  # as before: nurses may record an occurrence done ahead
            )
    except errors.InvalidInput as error:
        session.rollback()
        return patient_page(
            parent.patient_id, item_errors={item_id: error.translated}, enrollment_id=parent.id
        ), UNPROCESSABLE
    session.commit()
    said = {
        "done": gettext("Item marked done."),
        "not_done": gettext("Item marked not done."),
        "reopen": gettext("Item reopened."),
    }
    flash(said[action], "success")
    target = url_for("nurse.patient", patient_id=parent.patient_id, enrollment=parent.id)
    return redirect(f"{target}#item-{item_id}")


@bp.post("/patients/<int:patient_id>/consent")
def consent(patient_id: int) -> ResponseReturnValue:
    patient = get_or_404(Patient, patient_id)
    form = ConsentForm()
    session = get_session()
    if form.checked():
        try:
            record_consent(
                session=session,
                patient_id=patient_id,
                given=CHOICES[form.given.data],
                method=form.method.data,
                actor=auth.staff_actor(),
                now=utcnow(),
            )
            session.commit()
            given = form.given.data == "given"
            flash(
                gettext("Consent to text messages given.")
                if given
                else gettext("Consent to text messages withdrawn."),
                "success",
            )
            return redirect(url_for("nurse.patient", patient_id=patient.id) + "#texts")
        except errors.InvalidInput as error:
            session.rollback()
            form.add_invalid(error)
    return patient_page(patient_id, consent_form=form), UNPROCESSABLE
