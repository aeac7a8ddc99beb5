"""A published pathway version as a FHIR PlanDefinition, timed relative to the procedure.

The procedure is an action of its own (id `procedure`); every step is an action whose
`relatedAction` points at it: `before-start` / `after-start` for steps anchored to the start,
`after-end` / `before-end` for those anchored to the end, with `offsetDuration` when the step
is one moment and `offsetRange` for a window (low and high are the ends nearer to and farther
from the anchor). An exact offset is a UCUM duration; a calendar one ("the day before, at
21:00", "at the reminder hour") is whole days with the local time in an extension, since R4's
Duration cannot say "at a clock time".
"""

from __future__ import annotations

from collections.abc import Sequence

from tracker.care.schedule_rows import StepPlan
from tracker.fhir.elements import (
    CODE_SYSTEM,
    Json,
    concept,
    duration,
    extension,
    instant,
    quantity,
)
from tracker.fhir.repeats import timing_of
from tracker.models import Pathway, PathwayVersion
from tracker.reading.timing import RelTime

PROCEDURE = "procedure"  # the procedure action's id, which every step's relatedAction names
DAY = 24 * 60
PLAN_TYPE = "http://terminology.hl7.org/CodeSystem/plan-definition-type"
STATUSES = {"published": "active", "retired": "retired", "draft": "draft"}


def plan_definition(
    *, version: PathwayVersion, pathway: Pathway, steps: Sequence[StepPlan], base: str
) -> Json:
    """The version as a PlanDefinition (`base` is the site's address, for its canonical URL)."""
    procedure: Json = {
        "id": PROCEDURE,
        "title": version.title,
        # The procedure's length sets when the end-anchored steps fall. Not timingDuration:
        # R4 reads an action's timing[x] as when it happens, not how long it lasts.
        "extension": [
            extension("procedure-duration", valueDuration=duration(version.duration_minutes))
        ],
    }
    if pathway.code:
        procedure["code"] = [
            {"coding": [{"code": pathway.code}], "text": f"{pathway.code_system} {pathway.code}"}
        ]
    return {
        "resourceType": "PlanDefinition",
        "id": str(version.id),
        "url": f"{base}/fhir/PlanDefinition/{version.id}",
        "version": str(version.number),
        "title": version.title,
        "type": concept(PLAN_TYPE, "clinical-protocol"),
        "status": STATUSES.get(version.state, "unknown"),
        "date": instant(version.published_at or version.created_at),
        "action": [procedure, *(step_action(step) for step in steps)],
    }


def step_action(plan: StepPlan) -> Json:
    """One step as an action related to the procedure's."""
    step = plan.step
    action: Json = {
        "id": f"step-{plan.id}",
        "title": step.text,
        # What it asks of the patient (do, avoid, know, watch) and its kind, as codes of this
        # export's own systems: R4 has no element for either.
        "code": [
            concept(CODE_SYSTEM + "asks", step.asks),
            concept(CODE_SYSTEM + "kind", step.kind),
        ],
        "priority": "urgent" if step.critical else "routine",
        # A conditional step is one the nurse may leave out at enrollment.
        "requiredBehavior": "could" if step.conditional else "must",
        "relatedAction": related_actions(step.opens, step.due),
    }
    if step.evidence.strip():
        # The sentence of the source document that set the timing travels as the action's
        # documentation: a RelatedArtifact of type `justification` is R4's element for "why
        # this action is so", and generic readers show it, where an extension would be hidden.
        action["documentation"] = [
            {"type": "justification", "label": f"line {step.line}", "citation": step.evidence}
        ]
    # Only the recurrence's RRULE body is read: it is becoming the one stored form.
    if step.recurrence is not None and (timing := timing_of(step.recurrence.rule)) is not None:
        action["timingTiming"] = timing
    if step.expires is not None:
        action["extension"] = [_expires(step.expires)]
    return action


def related_actions(opens: RelTime, due: RelTime) -> list[Json]:
    """The step's window relative to the procedure action (two links if it spans anchors)."""
    if opens.anchor != due.anchor:  # e.g. opens before the start, due after the end
        return [_link([opens], "opens"), _link([due], "due")]
    return [_link([opens] if opens == due else [opens, due], "window")]


def _link(points: list[RelTime], name: str) -> Json:
    anchor = points[0].anchor
    values = [p.days * DAY + p.minutes for p in points]
    # Zero counts as before the start and after the end: "at the start" is preparation,
    # "at the end" is recovery.
    before = all(v <= 0 for v in values) and (anchor == "start" or any(v < 0 for v in values))
    sign = -1 if before else 1
    link: Json = {
        "id": name,
        "actionId": PROCEDURE,
        "relationship": f"{'before' if before else 'after'}-{anchor}",
    }
    if len(points) == 1:
        link["offsetDuration"] = offset(points[0], sign)
    else:
        near, far = (points[1], points[0]) if before else (points[0], points[1])
        link["offsetRange"] = {"low": offset(near, sign), "high": offset(far, sign)}
    return link


def offset(point: RelTime, sign: int) -> Json:
    """A point's distance from its anchor (`sign` -1 counts backwards, for before-*)."""
    if point.clock is None and not point.reminder_hour:
        return duration(sign * (point.days * DAY + point.minutes))
    days = quantity(sign * point.days, "d")
    if point.clock is not None:
        local = [extension("clock", valueTime=f"{point.clock}:00")]
    else:
        local = [extension("at-reminder-hour", valueBoolean=True)]
    if point.minutes:  # exact minutes after that local time, forwards whatever the sign
        local.append(extension("then-minutes", valueInteger=point.minutes))
    days["extension"] = local
    return days


def _expires(point: RelTime) -> Json:
    """When acting stops making sense, from its anchor (forwards in time, signed)."""
    return extension(
        "expires",
        extension=[
            {"url": "anchor", "valueCode": point.anchor},
            {"url": "offset", "valueDuration": offset(point, 1)},
        ],
    )
