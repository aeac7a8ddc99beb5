"""Property tests: any RRULE text maps to a valid Timing or to none, and any id or search value
under /fhir gets 200, 400 or 404 as an OperationOutcome, never a 500."""

from __future__ import annotations

from urllib.parse import quote

from fhir.resources.R4B.timing import Timing
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.fhir.conftest import MEDIA_TYPE, Fhir
from tracker.fhir.repeats import timing_of

RULE_PARTS = st.sampled_from(
    ["FREQ", "INTERVAL", "BYHOUR", "BYMINUTE", "BYDAY", "COUNT", "UNTIL", "WKST", "freq", ""]
)
RULE_VALUES = st.one_of(
    st.sampled_from(["DAILY", "HOURLY", "WEEKLY", "MINUTELY", "YEARLY", "MO,TU", "1MO,-1FR"]),
    st.integers(-5, 100).map(str),
    st.sampled_from(["¹", "²,3", "٣", "9" * 5000, "08"]),
    st.lists(st.integers(0, 30), max_size=4).map(lambda v: ",".join(map(str, v))),
    st.text(max_size=12),
)
RULES = st.one_of(
    st.text(max_size=60),
    st.lists(st.tuples(RULE_PARTS, RULE_VALUES), max_size=6).map(
        lambda parts: ";".join(f"{k}={v}" for k, v in parts)
    ),
)


@given(RULES)
def test_any_rule_gives_a_valid_timing_or_none(rule: str) -> None:
    timing = timing_of(rule)
    if timing is not None:
        Timing.model_validate(timing)
        assert timing["repeat"]["period"] >= 1 and timing["repeat"]["frequency"] >= 1


SEGMENTS = st.one_of(
    st.text(max_size=30),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["enrollment-1", "enrollment-", "-1", "1e3", "0x10", "１２"]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(segment=SEGMENTS, resource=st.sampled_from(["PlanDefinition", "CarePlan", "Bundle"]))
@example(segment="/0", resource="PlanDefinition")  # a doubled slash was redirected, as HTML
def test_any_id_is_answered_without_a_server_error(fhir: Fhir, resource: str, segment: str) -> None:
    response = fhir.get(f"/{resource}/{quote(segment, safe='')}")
    assert response.status_code in (200, 400, 404, 405), response.get_data(as_text=True)
    assert response.mimetype == MEDIA_TYPE


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.one_of(st.text(max_size=30), SEGMENTS.map(lambda s: "CarePlan/" + s)))
def test_any_based_on_is_answered_without_a_server_error(fhir: Fhir, value: str) -> None:
    response = fhir.get("/Task", query_string={"based-on": value})
    assert response.status_code in (200, 400), response.get_data(as_text=True)
    assert response.mimetype == MEDIA_TYPE
