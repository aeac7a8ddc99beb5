"""Enrolling a patient: choose a published pathway, then the start, the nurse and which
conditional steps apply."""

from __future__ import annotations

from http import HTTPStatus

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from tracker import auth, errors
from tracker.care import enrollment
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.library.pathways import steps_of
from tracker.models import PathwayVersion, Patient, User
from tracker.web.nurse import forms as nurse_forms
from tracker.web.nurse.blueprint import UNPROCESSABLE, bp, get_or_404
from tracker.web.nurse.forms import FormState
from tracker.workspace import choices

ENROLL_FIELDS = ("version", "date", "time", "timezone", "nurse", "allow_past", "dst_choice")


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
    except errors.InvalidInput as error:
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
