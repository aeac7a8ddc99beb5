"""Enrolling a patient: choose a published pathway, then the start, the nurse and which
conditional steps apply."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from http import HTTPStatus
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from wtforms.fields.choices import SelectChoice

from tracker import auth, errors
from tracker.care import enrollment, late_start
from tracker.care.late_start import LateItem
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.library.pathways import steps_of
from tracker.models import Enrollment, PathwayVersion, Patient, Step
from tracker.web.nurse.blueprint import UNPROCESSABLE, bp, get_or_404
from tracker.web.nurse.forms import options
from tracker.web.nurse.time_forms import ChooseVersionForm, EnrollForm
from tracker.workspace import choices


class StartsLate(Exception):
    """Not enrolled yet: some items would start out late and the nurse has not said what to
    do with them (`items`), or another answer is missing (no items)."""

    def __init__(self, items: list[LateItem]) -> None:
        super().__init__(f"{len(items)} item(s) would start late")
        self.items = items


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
        pick.version.choices = options(gettext("Choose a pathway…"), versions)
        if version_id is not None:
            pick.add_error("version", "Choose a published pathway.")
        status = UNPROCESSABLE if pick.has_errors else HTTPStatus.OK
        return render_template(
            "nurse/enroll_choose.html", patient=person, form=pick, versions=versions
        ), status
    conditional = [step for step in steps_of(session, version) if step.conditional]
    form = _enroll_form(person, conditional)

    def page(
        status: int = HTTPStatus.OK, late: Sequence[LateItem] = (), zone: str = person.timezone
    ) -> ResponseReturnValue:
        return render_template(
            "nurse/enroll.html",
            patient=person,
            version=version,
            form=form,
            conditional=conditional,
            sections={
                str(s.id): s.section + (", critical" if s.critical else "") for s in conditional
            },
            late=late,
            zone=zone,
        ), status

    if request.method == "GET":
        return page()
    if not form.checked():
        return page(UNPROCESSABLE)
    chosen = form.confirmed()
    reason = (form.drop_reason.data or "").strip()
    if any(s.critical and s.id not in chosen for s in conditional) and not reason:
        form.add_error("drop_reason", "You unticked a critical step: say why (it is recorded).")
    zone_name = form.timezone.data.strip() or person.timezone
    now = utcnow()
    choices_made: dict[str, Any] = {  # what enroll and plan_enrollment both take
        "session": session,
        "patient": person,
        "version": version,
        "now": now,
        "timezone": zone_name,
        "fold": form.chosen_fold(),
        "confirm": chosen,
        "drop": [s.id for s in conditional if s.id is not None and s.id not in chosen],
        "allow_past": form.allow_past.data,
        "nurse_id": int(form.nurse.data) if form.nurse.data else None,
    }

    def attempt(start: datetime) -> Enrollment:
        planned, _, windows = enrollment.plan_enrollment(start=start, **choices_made)
        late = late_start.late(windows, now=now, start=planned.procedure_start)
        undecided = late and form.late.data not in ("catch_up", "keep")
        if undecided or form.has_errors:
            raise StartsLate(late if undecided else [])
        return enrollment.enroll(
            start=start,
            actor=auth.staff_actor(),
            catch_up=bool(late) and form.late.data == "catch_up",
            drop_reason=reason,
            **choices_made,
        )

    try:
        created = form.resolving_gap(form.local_start(), zone_name, attempt)
    except StartsLate as starts_late:  # or another answer is missing: all said at once
        session.rollback()
        if starts_late.items:
            message = "Some items would already be late: choose what to do with them."
            form.add_error("late", message)
        return page(UNPROCESSABLE, late=starts_late.items, zone=zone_name)
    except errors.InvalidInput as error:
        session.rollback()
        form.add_invalid(error)
        return page(UNPROCESSABLE)
    session.commit()
    flash(
        gettext("%(name)s is enrolled on %(title)s.", name=person.name, title=version.title),
        "success",
    )
    return redirect(url_for("nurse.patient", patient_id=person.id, enrollment=created.id))


def _enroll_form(person: Patient, conditional: list[Step]) -> EnrollForm:
    """The posted form, or on GET one filled with the patient's zone and the signed-in nurse."""
    if request.method == "POST":
        form = EnrollForm()
    else:
        staff = auth.current_staff()
        # Critical conditional steps (fasting, say) start ticked: dropping one is a decision.
        critical = [str(step.id) for step in conditional if step.critical]
        form = EnrollForm(
            formdata=request.args if "timezone" in request.args else None,
            data={
                "timezone": person.timezone,
                "nurse": str(staff.id) if staff else "",
                "confirm": critical,
            },
        )
    nurses = choices.nurse_choices(get_session())
    form.nurse.choices = options(gettext("Not assigned"), nurses)
    form.confirm.choices = [SelectChoice(str(step.id), step.text) for step in conditional]
    return form
