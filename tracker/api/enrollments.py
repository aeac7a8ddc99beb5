"""Enrollments: create (choosing conditional steps), read with every item, reschedule (preview,
or apply with If-Match), cancel, complete; a nurse's tick or "not done" on an item."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from tracker.api.enrollment_schemas import (
    EnrollmentIn,
    EnrollmentOut,
    EnrollmentPage,
    EnrollmentQuery,
    EnrollmentSummary,
    ItemActionIn,
    ItemChangeOut,
    ItemOut,
    RescheduleIn,
    RescheduleOut,
)
from tracker.api.operations import Call, get_or_404, operation, page_of, require_match
from tracker.api.problems import ApiProblem
from tracker.care import enrollment as care
from tracker.care import rescheduling
from tracker.care.procedure_time import parse_local_start
from tracker.care.schedule_rows import items_of
from tracker.clock import utcnow
from tracker.models import Enrollment, Pathway, PathwayVersion, Patient
from tracker.patient import ticking


def enrollment_out(session: Session, row: Enrollment) -> EnrollmentOut:
    """The enrollment with every item's state, as the API shows it."""
    items = [ItemOut.model_validate(i, from_attributes=True) for i in items_of(session, row)]
    fields = EnrollmentSummary.model_validate(row, from_attributes=True).model_dump()
    return EnrollmentOut(
        **fields,
        procedure_end=row.procedure_end,
        dropped_steps=row.dropped_steps,
        items=items,
    )


def _newest_published(session: Session, slug: str) -> PathwayVersion | None:
    """library.pathways' get_pathway then published_version, in one query: enrolling through
    the API runs it on every call (bench/bench_api.py)."""
    query = (
        select(PathwayVersion)
        .join(Pathway, col(Pathway.id) == PathwayVersion.pathway_id)
        .where(Pathway.slug == slug, PathwayVersion.state == "published")
        .order_by(col(PathwayVersion.number).desc())
    )
    return session.exec(query.limit(1)).first()


@operation(
    "GET", "/enrollments", scope="read", response=EnrollmentPage, query=EnrollmentQuery,
    tag="enrollments",
)  # fmt: skip
def list_enrollments(call: Call) -> EnrollmentPage:
    """Enrollments in id order, filtered by patient and state."""
    query: EnrollmentQuery = call.query
    where: list[Any] = []
    if query.patient_id is not None:
        where.append(Enrollment.patient_id == query.patient_id)
    if query.state is not None:
        where.append(Enrollment.state == query.state)
    rows, cursor = page_of(
        call.session, Enrollment, limit=query.limit, cursor=query.cursor, where=where
    )
    items = [EnrollmentSummary.model_validate(r, from_attributes=True) for r in rows]
    return EnrollmentPage(items=items, next_cursor=cursor)


@operation(
    "POST", "/enrollments", scope="enroll", response=EnrollmentSummary, status=201,
    body=EnrollmentIn, tag="enrollments", location="/enrollments/{id}",
)  # fmt: skip
def create_enrollment(call: Call) -> EnrollmentSummary:
    """Enroll a patient on a pathway's newest published version; every conditional step must
    be in `confirm` or `drop`. The items are read with GET (the answer stays small: a busy
    EHR enrolls in bulk and reading back every item would cost a quarter of the call)."""
    body: EnrollmentIn = call.body
    person = call.session.get(Patient, body.patient_id)
    if person is None:
        raise ApiProblem(404, f"no patient {body.patient_id}")
    version = _newest_published(call.session, body.pathway.strip())
    if version is None:
        raise ApiProblem(404, f"no published pathway {body.pathway!r}")
    row = care.enroll(
        session=call.session,
        patient=person,
        version=version,
        start=parse_local_start(body.start),
        now=utcnow(),
        actor=call.actor,
        timezone=body.timezone,
        fold=body.fold,
        confirm=body.confirm,
        drop=body.drop,
        allow_past=body.allow_past,
    )
    return EnrollmentSummary.model_validate(row, from_attributes=True)


@operation(
    "GET", "/enrollments/<int:enrollment_id>", scope="read", response=EnrollmentOut, etag=True,
    tag="enrollments",
)  # fmt: skip
def get_enrollment(call: Call, enrollment_id: int) -> EnrollmentOut:
    """One enrollment with every item's state, and an ETag for changes."""
    return enrollment_out(call.session, get_or_404(call.session, Enrollment, enrollment_id))


@operation(
    "POST", "/enrollments/<int:enrollment_id>/reschedule", scope="enroll",
    response=RescheduleOut, body=RescheduleIn, tag="enrollments",
)  # fmt: skip
def reschedule(call: Call, enrollment_id: int) -> RescheduleOut:
    """What a new procedure time moves; with `apply` (and If-Match), move it."""
    row = get_or_404(call.session, Enrollment, enrollment_id)
    body: RescheduleIn = call.body
    if body.apply:
        require_match(enrollment_out(call.session, row))
    options: dict[str, Any] = {
        "session": call.session,
        "enrollment": row,
        "now": utcnow(),
        "start": parse_local_start(body.start),
        "fold": body.fold,
        "allow_past": body.allow_past,
        "reopen": body.reopen,
    }
    diff = (
        rescheduling.reschedule(actor=call.actor, **options)
        if body.apply
        else rescheduling.preview_reschedule(**options)
    )
    changes = [
        ItemChangeOut(
            item_id=c.item_id,
            step_id=c.step_id,
            occurrence=c.occurrence,
            status=c.status,
            new_status=c.new_status,
            old_opens_at=None if c.old is None else c.old.opens,
            new_opens_at=None if c.new is None else c.new.opens,
            no_longer_counts=c.no_longer_counts,
            reopen=c.reopen,
        )
        for c in diff.changes
    ]
    return RescheduleOut(
        enrollment_id=enrollment_id,
        applied=body.apply,
        old_start=diff.old_start,
        new_start=diff.new_start,
        new_end=diff.new_end,
        unchanged=diff.unchanged,
        changes=changes,
    )


@operation(
    "POST", "/enrollments/<int:enrollment_id>/cancel", scope="enroll", response=EnrollmentOut,
    if_match=True, tag="enrollments",
)  # fmt: skip
def cancel(call: Call, enrollment_id: int) -> EnrollmentOut:
    """Cancel: open items and waiting reminders are cancelled; needs If-Match."""
    row = get_or_404(call.session, Enrollment, enrollment_id)
    require_match(enrollment_out(call.session, row))
    care.cancel_enrollment(session=call.session, enrollment=row, actor=call.actor, now=utcnow())
    return enrollment_out(call.session, row)


@operation(
    "POST", "/enrollments/<int:enrollment_id>/complete", scope="enroll", response=EnrollmentOut,
    if_match=True, tag="enrollments",
)  # fmt: skip
def complete(call: Call, enrollment_id: int) -> EnrollmentOut:
    """Complete: the plan is over; needs If-Match."""
    row = get_or_404(call.session, Enrollment, enrollment_id)
    require_match(enrollment_out(call.session, row))
    care.complete_enrollment(session=call.session, enrollment=row, actor=call.actor, now=utcnow())
    return enrollment_out(call.session, row)


@operation(
    "POST", "/enrollments/<int:enrollment_id>/items/<int:item_id>", scope="enroll",
    response=ItemOut, body=ItemActionIn, tag="enrollments",
)  # fmt: skip
def act_on_item(call: Call, enrollment_id: int, item_id: int) -> ItemOut:
    """A nurse records a tick ("done"), "not_done" (with a note) or "undo" for the patient."""
    row = get_or_404(call.session, Enrollment, enrollment_id)
    body: ItemActionIn = call.body
    item = ticking.act(
        session=call.session,
        enrollment=row,
        actor=call.actor,
        item_id=item_id,
        action=body.action,
        now=utcnow(),
        note=body.note,
        allow_early=True,
    )
    return ItemOut.model_validate(item, from_attributes=True)
