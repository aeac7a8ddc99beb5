"""Enrolling a patient: choose a published pathway, then the start, the nurse and which
conditional steps apply."""

from __future__ import annotations

from http import HTTPStatus

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from wtforms.fields.choices import SelectChoice

from tracker import auth, errors
from tracker.care import enrollment
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.library.pathways import steps_of
from tracker.models import PathwayVersion, Patient, Step
from tracker.web.nurse.blueprint import UNPROCESSABLE, bp, get_or_404
from tracker.web.nurse.forms import options
from tracker.web.nurse.time_forms import ChooseVersionForm, EnrollForm
from tracker.workspace import choices


@bp.route("/patients/<int:patient_id>/enroll", methods=["GET", "POST"])
def enroll(patient_id: int) -> ResponseReturnValue:
    """Two steps without JavaScript: choose the pathway (GET ?version=), then time and steps."""
    session = get_session()
    person = get_or_404(Patient, patient_id)
    pick = ChooseVersionForm(request.form if request.method == "POST" else request.args)
    pick.checked()  # our select and hidden field send it: anything but an id is malformed
    version_id = pick.version_id()
    version = session.get(PathwayVersion, version_id) if version_id else None
    if version is None or version.state != "published":
        versions = choices.published_versions(session)
        pick.version.choices = options("Choose a pathway…", versions)
        if version_id is not None:
            pick.add_error("version", "Choose a published pathway.")
        status = UNPROCESSABLE if pick.has_errors else HTTPStatus.OK
        return render_template(
            "nurse/enroll_choose.html", patient=person, form=pick, versions=versions
        ), status
    conditional = [step for step in steps_of(session, version) if step.conditional]
    form = _enroll_form(person, conditional)

    def page(status: int = HTTPStatus.OK) -> ResponseReturnValue:
        return render_template(
            "nurse/enroll.html",
            patient=person,
            version=version,
            form=form,
            conditional=conditional,
            sections={str(step.id): step.section for step in conditional},
        ), status

    if request.method == "GET":
        return page()
    if not form.checked():
        return page(UNPROCESSABLE)
    chosen = form.confirmed()
    zone_name = form.timezone.data.strip() or person.timezone
    try:
        created = form.resolving_gap(
            form.local_start(),
            zone_name,
            lambda start: enrollment.enroll(
                session=session,
                patient=person,
                version=version,
                start=start,
                now=utcnow(),
                actor=auth.staff_actor(),
                timezone=zone_name,
                fold=form.chosen_fold(),
                confirm=chosen,
                drop=[s.id for s in conditional if s.id is not None and s.id not in chosen],
                allow_past=form.allow_past.data,
                nurse_id=int(form.nurse.data) if form.nurse.data else None,
            ),
        )
    except errors.InvalidInput as error:
        session.rollback()
        form.add_invalid(error)
        return page(UNPROCESSABLE)
    session.commit()
    flash(f"{person.name} is enrolled on {version.title}.", "success")
    return redirect(url_for("nurse.patient", patient_id=person.id, enrollment=created.id))


def _enroll_form(person: Patient, conditional: list[Step]) -> EnrollForm:
    """The posted form, or on GET one filled with the patient's zone and the signed-in nurse."""
    if request.method == "POST":
        form = EnrollForm()
    else:
        staff = auth.current_staff()
        form = EnrollForm(
            formdata=request.args if "timezone" in request.args else None,
            data={"timezone": person.timezone, "nurse": str(staff.id) if staff else ""},
        )
    nurses = choices.nurse_choices(get_session())
    form.nurse.choices = options("Not assigned", nurses)
    form.confirm.choices = [SelectChoice(str(step.id), step.text) for step in conditional]
    return form
