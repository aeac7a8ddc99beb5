"""Every route in the URL map answers hostile input with a 4xx, never a 500 (issue 12).

Walks each rule (GET and POST), anonymous, as a nurse and as an admin, with the patient
routes on a real link: ids past 32 and 64 bits, negative ids, years 9999 and 0001, NUL bytes,
over-long values and random text, in the path, the query and the form. CSRF is off here so
that hostile forms reach the views (CSRF itself is tested in test_auth).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select
from werkzeug.routing import Rule

from tests.auth_helpers import sign_in_as
from tests.enrollment_helpers import custom_version, make_step, rel
from tests.patient_helpers import linked
from tracker.models import ChecklistItem, Pathway, PathwayVersion, Step

SPECIALS = [
    "2147483648",  # 2**31
    "9223372036854775808",  # 2**63
    "-1",
    "-9223372036854775809",
    "0",
    "999999999999",
    "1e309",
    "NaN",
    "9999-12-31",
    "0001-01-01",
    "10000-01-01",
    "0000-00-00",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "23:60",
    "a\x00b",
    "\x00",
    "x" * 3000,
    "é" * 300,
    "",
    " ",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "America/Nowhere",
    "' OR 1=1 --",
]
PASSWORDS_TRIED = {"a\x00b", "x" * 3000, "", "2147483648"}
FIELDS = [
    *("action", "allow_past", "anchor", "birth_date", "channels", "clock", "conditional"),
    *("confirm", "count", "critical", "date", "dst_choice", "due", "email", "enrollment"),
    *("expires", "fold", "has_expiry", "kind", "language", "mrn", "name", "opens", "password"),
    *("phone", "q", "quiet_end", "quiet_start", "reminder_hour", "reopen", "repeat"),
    *("section", "start", "text", "time", "timezone", "until", "while_awake", "pathway"),
    *("nurse", "page", "version", "item", "all", "download", "refused", "saved", "next"),
    *("note", "day", "month", "year", "status"),
    *(f"{point}-{part}" for point in ("opens", "due", "expires") for part in ("days", "minutes")),
    *(f"{point}-{part}" for point in ("opens", "due", "expires") for part in ("anchor", "clock")),
]
# Form and query fields that name a row, and the real row they get in the second pass.
ID_FIELDS = {"version": "version_id", "enrollment": "enrollment_id", "item": "item_id"}
ID_QUERIES = {"nurse.enroll", "nurse.patient", "nurse.reschedule"}
ARGUMENT = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
ROLES = ("anonymous", "nurse", "admin")
# Signing out would end the walker's own sessions; it is walked anonymously only.
ANONYMOUS_ONLY = {"auth.sign_out"}
values = st.one_of(
    st.sampled_from(SPECIALS),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
)


@dataclass
class World:
    """The app, one client per role and the real values each path argument can take."""

    app: Flask
    clients: dict[str, FlaskClient]
    real: dict[str, list[str]]


@pytest.fixture
def world(app_config: dict[str, Any], app: Flask, session: Session) -> Iterator[World]:
    plan = linked(session)
    draft = custom_version(
        session, [make_step("Drink water", opens=rel(days=-1), due=rel())], state="draft"
    )
    published = session.get(PathwayVersion, plan.enrollment.version_id)
    assert published is not None
    items = session.exec(
        select(ChecklistItem.id).where(ChecklistItem.enrollment_id == plan.id)
    ).all()
    steps = session.exec(
        select(Step.id).where(col(Step.version_id).in_([draft.id, published.id]))
    ).all()
    pathway_slugs = list(session.exec(select(Pathway.slug)).all())
    real = {
        "token": [plan.token],
        "slug": pathway_slugs,
        "number": ["1"],
        "step_id": [str(i) for i in steps],
        "item_id": [str(i) for i in items[:3]],
        "enrollment_id": [str(plan.id)],
        "version_id": [str(published.id)],
        "patient_id": [str(plan.enrollment.patient_id)],
        "link_id": [str(plan.link.id)],
    }
    clients = {"anonymous": app.test_client()}
    for role in ("nurse", "admin"):
        clients[role] = app.test_client()
        sign_in_as(clients[role], app, role)
    app.config["WTF_CSRF_ENABLED"] = False
    yield World(app, clients, real)


def _routes(app: Flask) -> list[tuple[Rule, str]]:
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in ("GET", "POST")
        if method in (rule.methods or ())
    ]


def _path(rule: Rule, choose: Any) -> str:
    """The rule's path with each argument replaced by `choose(converter, options, name)`."""

    def fill(match: re.Match[str]) -> str:
        converter, options, name = match.groups()
        if converter == "any":
            picks = [o.strip().strip("'\"") for o in (options or "").split(",")]
            return quote(str(choose("any", picks, name)), safe="")
        return quote(str(choose(converter or "string", [], name)), safe="")

    return ARGUMENT.sub(fill, rule.rule)


def _send(
    world: World, rule: Rule, method: str, path: str, fields: dict[str, str], roles: Any = ROLES
) -> list[str]:
    """The request as each of `roles`; what answered 500 or raised, in words."""
    failures = []
    for role in ("anonymous",) if rule.endpoint in ANONYMOUS_ONLY else roles:
        client = world.clients[role]
        try:
            if method == "GET":
                response = client.get(path, query_string=fields)
            else:
                response = client.post(path, data=fields, query_string=fields)
            status = response.status_code
            response.close()
            problem = f"status {status}" if status >= 500 else ""
        except Exception as error:  # TESTING propagates what would be a 500
            problem = repr(error)[:300]
        if problem:
            failures.append(f"{role} {method} {path[:80]!r} {str(fields)[:80]}: {problem}")
    return failures


def _real_or(world: World, value: str | None) -> Any:
    def choose(converter: str, options: list[str], name: str) -> str:
        if converter == "any":
            return options[0]
        return value if value is not None else world.real.get(name, ["1"])[0]

    return choose


@pytest.mark.both_databases
def test_every_route_survives_every_hostile_value(world: World) -> None:
    """The walk: each special value in every path argument, then in every field."""
    failures: list[str] = []
    turn = 0
    for rule, method in _routes(world.app):
        real_path = _path(rule, _real_or(world, None))
        for value in SPECIALS:
            # The roles take turns (each meets every route many times): a third of the cost.
            turn += 1
            role = (ROLES[turn % len(ROLES)],)
            if rule.arguments:
                path = _path(rule, _real_or(world, value))
                failures += _send(world, rule, method, path, {}, role)
            fields = dict.fromkeys(FIELDS, value)
            if value not in PASSWORDS_TRIED:  # each sign-in try costs an argon2 hash
                del fields["password"]
            failures += _send(world, rule, method, real_path, fields, role)
            if method == "POST" or rule.endpoint in ID_QUERIES:
                # Again with real ids, so the hostile value reaches the step behind the choice.
                fields |= {name: world.real[key][0] for name, key in ID_FIELDS.items()}
                failures += _send(world, rule, method, real_path, fields, role)
    assert failures == [], f"{len(failures)} answers >= 500:\n" + "\n".join(failures[:40])


@pytest.mark.both_databases
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_hostile_requests_never_get_a_500(world: World, data: st.DataObject) -> None:
    rule, method = data.draw(st.sampled_from(_routes(world.app)), label="route")

    def choose(converter: str, options: list[str], name: str) -> str:
        if converter == "any":
            return data.draw(st.sampled_from(options), label=name)
        real = world.real.get(name, ["1"])
        return data.draw(st.one_of(st.sampled_from(real), values), label=name)

    path = _path(rule, choose)
    names = data.draw(st.lists(st.sampled_from(FIELDS), max_size=8, unique=True), label="fields")
    fields = {name: data.draw(values, label=name) for name in names}
    role = data.draw(st.sampled_from(ROLES), label="role")
    assert _send(world, rule, method, path, fields, (role,)) == []


# --- the guards' own answers ---------------------------------------------------------------------


def _page(response: Any) -> str:
    text: str = response.get_data(as_text=True)
    return text


@pytest.mark.parametrize(
    ("path", "query", "form", "status", "message"),
    [
        ("/auth/sign-in", {}, {"email": "a\x00@example.org", "password": "x"}, 400, "NUL"),
        ("/auth/sign-in", {"next": "/\x00"}, {}, 400, "NUL"),
        ("/auth/sign-in", {}, {"email": "a" * 100_001}, 400, "longer than 100000"),
        ("/pathways/", {"q": "a" * 2001}, None, 400, "longer than 2000"),
        # Patients' pages keep their own calm wording for every refusal.
        ("/p/" + "a" * 2001, {}, None, 400, "Please go back and try again"),
        ("/p/abc%00def", {}, None, 400, "Please go back and try again"),
        ("/nurse/patients/2147483648", {}, None, 404, "Not found"),
        ("/nurse/patients/9223372036854775808", {}, None, 404, "Not found"),
        ("/nurse/patients/-1", {}, None, 404, "Not found"),
    ],
)
def test_guards_answer_with_a_clear_4xx(
    client: FlaskClient,
    path: str,
    query: dict[str, str],
    form: dict[str, str] | None,
    status: int,
    message: str,
) -> None:
    if form is None:
        response = client.get(path, query_string=query)
    else:
        response = client.post(path, query_string=query, data=form)
    assert response.status_code == status
    assert message in _page(response)


def test_a_body_past_the_limit_is_refused(client: FlaskClient) -> None:
    response = client.post("/auth/sign-in", data={"email": "a" * (1 << 20)})
    assert response.status_code == 413


def test_ids_past_32_bits_are_not_found_for_a_signed_in_nurse(world: World) -> None:
    nurse = world.clients["nurse"]
    for path in ("/nurse/patients/2147483648", "/nurse/links/9223372036854775808"):
        response = nurse.get(path)
        assert response.status_code == 404
    assert nurse.get("/nurse/patients/2147483647").status_code == 404  # in range, no such row
