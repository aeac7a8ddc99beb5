"""GET /fhir/PlanDefinition/{version}: the procedure as an action, every step related to it,
repeats as Timing, evidence, asks and critical; valid R4 (fhir.resources R4B)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from tests.enrollment_helpers import custom_version, make_step, published_seed_version, rel
from tests.fhir.conftest import Fhir
from tracker.fhir.elements import EXTENSION
from tracker.fhir.repeats import timing_of
from tracker.library.pathways import steps_of
from tracker.reading.timing import Recurrence

pytestmark = pytest.mark.usefixtures("frozen_clock")


def _actions(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {action["id"]: action for action in body["action"]}


def test_seed_pathway_as_plan_definition(fhir: Fhir, session: Session) -> None:
    version = published_seed_version(session)
    body = fhir.read(f"/PlanDefinition/{version.id}")
    assert body["resourceType"] == "PlanDefinition" and body["status"] == "active"
    assert body["url"].endswith(f"/fhir/PlanDefinition/{version.id}")
    actions = _actions(body)
    procedure = actions.pop("procedure")
    assert procedure["title"] == version.title
    assert procedure["extension"][0]["valueDuration"]["code"] in ("min", "h", "d")
    steps = steps_of(session, version)
    assert sorted(actions) == sorted(f"step-{s.id}" for s in steps)
    for step in steps:
        action = actions[f"step-{step.id}"]
        assert action["title"] == step.text
        assert action["priority"] == ("urgent" if step.critical else "routine")
        assert action["code"][0]["coding"][0]["code"] == step.asks
        (link,) = action["relatedAction"]
        assert link["actionId"] == "procedure"
        expected = "before-start" if step.section == "preparation" else "after-end"
        assert link["relationship"] == expected, step.text
        assert ("timingTiming" in action) == (step.recurrence is not None)
        if step.evidence:
            assert action["documentation"][0]["citation"] == step.evidence
        else:
            assert "documentation" not in action
    daily = next(a for s in steps if s.recurrence for a in [actions[f"step-{s.id}"]])
    assert daily["timingTiming"]["repeat"] == {"frequency": 1, "period": 1, "periodUnit": "d"}


def test_offsets_exact_windows_and_clock_times(fhir: Fhir, session: Session) -> None:
    steps = [
        # Exactly two hours before the start: one moment, an exact duration.
        make_step("Take the tablet", opens=rel(minutes=-120), due=rel(minutes=-120)),
        # The evening before until the start: a window, with a local clock time.
        make_step("Stop eating", critical=True, opens=rel(days=-1, clock="21:00"), due=rel()),
        # Recovery: from the end to a day and a half after it, four times a day.
        make_step(
            "Cool the wound",
            section="recovery",
            opens=rel("end"),
            due=rel("end", minutes=36 * 60),
            expires=rel("end", days=2),
            recurrence=Recurrence("FREQ=DAILY;BYHOUR=8,12,16,20;BYMINUTE=0", rel("end", days=2)),
        ),
    ]
    version = custom_version(session, steps, duration_minutes=90)
    actions = list(_actions(fhir.read(f"/PlanDefinition/{version.id}")).values())
    procedure, tablet, fasting, wound = actions
    assert procedure["extension"][0]["valueDuration"] == {
        "value": 90, "unit": "minutes", "system": "http://unitsofmeasure.org", "code": "min",
    }  # fmt: skip
    (link,) = tablet["relatedAction"]
    assert link["relationship"] == "before-start"
    assert link["offsetDuration"]["value"] == 2 and link["offsetDuration"]["code"] == "h"
    (link,) = fasting["relatedAction"]
    assert fasting["priority"] == "urgent"
    assert link["relationship"] == "before-start"
    low, high = link["offsetRange"]["low"], link["offsetRange"]["high"]
    assert (low["value"], low["code"]) == (0, "d")
    assert (high["value"], high["code"]) == (1, "d")
    assert high["extension"] == [{"url": EXTENSION + "clock", "valueTime": "21:00:00"}]
    (link,) = wound["relatedAction"]
    assert link["relationship"] == "after-end"
    assert (link["offsetRange"]["high"]["value"], link["offsetRange"]["high"]["code"]) == (36, "h")
    assert wound["timingTiming"]["repeat"] == {
        "frequency": 4, "period": 1, "periodUnit": "d",
        "timeOfDay": ["08:00:00", "12:00:00", "16:00:00", "20:00:00"],
    }  # fmt: skip
    expires = wound["extension"][0]
    assert expires["url"] == EXTENSION + "expires"
    assert expires["extension"][1]["valueDuration"]["value"] == 2


def test_a_step_spanning_both_anchors_relates_twice(fhir: Fhir, session: Session) -> None:
    step = make_step("Keep the bandage on", opens=rel(days=-1), due=rel("end", days=2))
    version = custom_version(session, [step])
    action = _actions(fhir.read(f"/PlanDefinition/{version.id}"))
    links = next(a for key, a in action.items() if key != "procedure")["relatedAction"]
    assert [(x["id"], x["relationship"]) for x in links] == [
        ("opens", "before-start"),
        ("due", "after-end"),
    ]


@pytest.mark.parametrize(
    ("rule", "repeat"),
    [
        ("FREQ=DAILY", {"frequency": 1, "period": 1, "periodUnit": "d"}),
        ("FREQ=HOURLY;INTERVAL=2", {"frequency": 1, "period": 2, "periodUnit": "h"}),
        ("FREQ=MINUTELY;INTERVAL=40", {"frequency": 1, "period": 40, "periodUnit": "min"}),
        ("FREQ=DAILY;BYHOUR=22;BYMINUTE=0",
         {"frequency": 1, "period": 1, "periodUnit": "d", "timeOfDay": ["22:00:00"]}),
        ("FREQ=HOURLY;BYHOUR=8,9,10;BYMINUTE=0",
         {"frequency": 3, "period": 1, "periodUnit": "d",
          "timeOfDay": ["08:00:00", "09:00:00", "10:00:00"]}),
        ("FREQ=WEEKLY;BYDAY=MO,WE,FR",
         {"frequency": 3, "period": 1, "periodUnit": "wk", "dayOfWeek": ["mon", "wed", "fri"]}),
        ("FREQ=WEEKLY;INTERVAL=4", {"frequency": 1, "period": 4, "periodUnit": "wk"}),
        ("RRULE:FREQ=DAILY;COUNT=5;UNTIL=20270320T120000Z",
         {"frequency": 1, "period": 1, "periodUnit": "d", "count": 5,
          "boundsPeriod": {"end": "2027-03-20T12:00:00Z"}}),
        ("FREQ=DAILY;INTERVAL=x;BYHOUR=25", {"frequency": 1, "period": 1, "periodUnit": "d"}),
    ],
)  # fmt: skip
def test_rrule_to_timing(rule: str, repeat: dict[str, Any]) -> None:
    from fhir.resources.R4B.timing import Timing

    timing = timing_of(rule)
    assert timing == {"repeat": repeat}
    Timing.model_validate(timing)


@pytest.mark.parametrize("rule", ["", "INTERVAL=2", "FREQ=FORTNIGHTLY"])
def test_rules_without_a_known_frequency_give_no_timing(rule: str) -> None:
    assert timing_of(rule) is None


def test_drafts_are_not_served(fhir: Fhir, session: Session) -> None:
    version = custom_version(session, [make_step()], state="draft")
    response = fhir.get(f"/PlanDefinition/{version.id}")
    assert response.status_code == 404
    assert response.get_json(force=True)["resourceType"] == "OperationOutcome"
