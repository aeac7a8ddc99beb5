"""The admin review pages through the Flask test client: access, forms, validation, states."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select
from werkzeug.test import TestResponse

from tests.auth_helpers import csrf_token, sign_in_as
from tracker.clock import utcnow
from tracker.db import get_engine, session_scope
from tracker.library import pathways
from tracker.models import AuditEvent, Pathway, PathwayVersion, Step
from tracker.reading.documents import read_document
from tracker.reading.timing import REVIEW_THRESHOLD, RelTime


@pytest.fixture
def slug(app: Flask, seed_path: Path) -> str:
    """The seed document imported as draft v1."""
    with session_scope(get_engine(app)) as session:
        result = pathways.import_document(
            session=session, document=read_document(seed_path), now=utcnow()
        )
    return result.slug


@pytest.fixture
def admin(client: FlaskClient, app: Flask) -> FlaskClient:
    sign_in_as(client, app, "admin")
    return client


def _text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def _steps(app: Flask, slug: str, number: int = 1) -> list[Step]:
    with session_scope(get_engine(app)) as session:
        pathway = pathways.get_pathway(session, slug)
        assert pathway is not None
        version = next(v for v in pathways.versions_of(session, pathway) if v.number == number)
        return pathways.steps_of(session, version)


def _states(app: Flask, slug: str) -> list[tuple[int, str]]:
    with session_scope(get_engine(app)) as session:
        pathway = pathways.get_pathway(session, slug)
        assert pathway is not None
        return [(v.number, v.state) for v in pathways.versions_of(session, pathway)]


def _audit(app: Flask) -> list[tuple[str, str, int]]:
    with session_scope(get_engine(app)) as session:
        rows = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
        return [(row.actor, row.action, row.subject_id) for row in rows]


def _set(app: Flask, step_id: int | None, **values: Any) -> None:
    with session_scope(get_engine(app)) as session:
        step = session.get(Step, step_id)
        assert step is not None
        for name, value in values.items():
            setattr(step, name, value)
        session.add(step)


def _point(
    prefix: str, days: str = "0", minutes: str = "0", anchor: str = "start", clock: str = ""
) -> dict[str, str]:
    return {
        f"{prefix}-days": days,
        f"{prefix}-minutes": minutes,
        f"{prefix}-anchor": anchor,
        f"{prefix}-clock": clock,
    }


def _form(token: str, **overrides: str | None) -> dict[str, str]:
    """Everything a browser sends for a valid step; None removes a field."""
    data = {
        "csrf_token": token,
        "text": "Shower with the antiseptic soap",
        "section": "preparation",
        "kind": "hygiene",
        "asks": "do",
        **_point("opens", days="-1", clock="20:00"),
        **_point("due", minutes="-120"),
        **_point("expires"),
        "repeat": "none",
        "count": "",
        **_point("until"),
    }
    for name, value in overrides.items():
        key = name.replace("__", "-")
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def _token(client: FlaskClient, path: str) -> str:
    return csrf_token(_text(client.get(path)))


def _base(slug: str, number: int = 1) -> str:
    return f"/admin/pathways/{slug}/v{number}"


def _routes(slug: str, step_id: int) -> list[tuple[str, str]]:
    base = _base(slug)
    return [
        ("GET", "/admin/pathways"),
        ("GET", base),
        ("GET", f"{base}/steps/{step_id}/edit"),
        ("POST", f"{base}/steps/{step_id}/edit"),
        ("POST", f"{base}/steps/new"),
        ("POST", f"{base}/steps/{step_id}/remove"),
        ("POST", f"{base}/publish"),
        ("POST", f"{base}/retire"),
        ("POST", f"/admin/pathways/{slug}/draft"),
    ]


def test_signed_out_visitors_are_sent_to_sign_in(
    client: FlaskClient, app: Flask, slug: str
) -> None:
    step_id = _steps(app, slug)[0].id or 0
    token = _token(client, "/auth/sign-in")  # a valid token: the sign-in check is what refuses
    for method, path in _routes(slug, step_id):
        data = _form(token) if method == "POST" else None
        response = client.open(path, method=method, data=data)
        assert response.status_code == 302, (method, path)
        assert response.headers["Location"].startswith("/auth/sign-in"), (method, path)
    assert _states(app, slug) == [(1, "draft")]


def test_nurses_are_refused(client: FlaskClient, app: Flask, slug: str) -> None:
    sign_in_as(client, app, "nurse")
    token = _token(client, "/pathways/")
    step_id = _steps(app, slug)[0].id or 0
    for method, path in _routes(slug, step_id):
        data = _form(token) if method == "POST" else None
        assert client.open(path, method=method, data=data).status_code == 403, (method, path)
    assert "/admin/pathways" not in _text(client.get("/pathways/"))
    assert _states(app, slug) == [(1, "draft")] and _audit(app) == []


def test_the_review_list_links_every_version_and_admins_see_it_in_the_nav(
    admin: FlaskClient, slug: str
) -> None:
    page = _text(admin.get("/admin/pathways"))
    assert f'href="{_base(slug)}"' in page and "draft" in page
    assert '<a href="/admin/pathways">Review</a>' in _text(admin.get("/pathways/"))


def test_the_review_page_shows_the_timeline_sources_and_what_needs_review(
    admin: FlaskClient, app: Flask, slug: str
) -> None:
    steps = _steps(app, slug)
    with_evidence = next(s for s in steps if s.evidence and s.line)
    _set(app, steps[0].id, confidence=0.3, rule="vague word default")
    response = admin.get(_base(slug))
    page = _text(response)
    assert response.status_code == 200
    svg = page[page.index("<svg") : page.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert svg.count('class="tl-row') == len(steps)
    assert ">start</text>" in svg and ">end</text>" in svg
    assert page.count('<tr id="step-') == len(steps)
    assert re.search(rf'<tr id="step-{steps[0].id}" class="needs-review">', page)
    assert "needs review" in page and "vague word default" in page
    marked = re.search(r"<mark>(.*?)</mark>", page)
    assert marked and marked.group(1).lower() == with_evidence.evidence.lower()
    assert "Publish v1" in page and "Add a step" in page


def test_text_with_markup_is_stored_as_typed_and_shown_escaped(
    admin: FlaskClient, app: Flask, slug: str
) -> None:
    step = _steps(app, slug)[0]
    edit = f"{_base(slug)}/steps/{step.id}/edit"
    typed = '<script>alert("x")</script><b>bold</b>'
    response = admin.post(edit, data=_form(_token(admin, edit), text=typed))
    assert response.status_code == 303
    assert _steps(app, slug)[0].text == typed
    page = _text(admin.get(_base(slug)))
    assert "<script>alert" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;bold" in page


def test_editing_a_step_saves_it_certain_audits_it_and_redirects(
    admin: FlaskClient, app: Flask, slug: str
) -> None:
    step = _steps(app, slug)[1]
    edit = f"{_base(slug)}/steps/{step.id}/edit"
    form_page = _text(admin.get(edit))
    assert 'name="opens-days"' in form_page and step.text in form_page.replace("&#39;", "'")
    data = _form(
        _token(admin, edit),
        critical="y",
        has_expiry="y",
        expires__minutes="30",
        repeat="every_minutes",
        count="120",
        until__days="1",
    )
    response = admin.post(edit, data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{_base(slug)}#step-{step.id}"
    saved = next(s for s in _steps(app, slug) if s.id == step.id)
    assert (saved.text, saved.critical, saved.confidence, saved.rule) == (
        "Shower with the antiseptic soap",
        True,
        1.0,
        "edited by admin",
    )
    assert RelTime.from_dict(saved.opens) == RelTime(anchor="start", days=-1, clock="20:00")
    assert saved.expires is not None and saved.expires["minutes"] == 30
    assert saved.recurrence is not None and saved.recurrence["rule"] == "FREQ=HOURLY;INTERVAL=2"
    [(actor, action, subject)] = _audit(app)
    assert actor.startswith("user:") and (action, subject) == ("step.update", step.id)
    assert "Step 2 saved." in _text(admin.get(_base(slug)))


OVERRIDE = {"allow_unreviewed": "y"}  # the seed has steps still marked for review
INVALID = [
    ({"text": "   "}, "text", "Enter the instruction."),
    ({"kind": "teleport"}, "kind", "Choose one of the listed kinds."),
    ({"section": "benefits"}, "section", "Choose one of the listed sections."),
    ({"opens__clock": "25:00"}, "opens-clock", "Enter a time as HH:MM"),
    ({"opens__days": "soon"}, "opens-days", "Enter a whole number"),
    ({"opens__days": ""}, "opens-days", "Enter days as a whole number."),
    ({"due__days": "9999"}, "due-days", "Days must be between -365 and 365."),
    ({"due__minutes": "-99999"}, "due-minutes", "Minutes must be between"),
    ({"due__anchor": "midday"}, "due-anchor", "Choose the procedure start or its end."),
    ({"repeat": "hourly"}, "repeat", "Choose how the step repeats."),
    ({"repeat": "times_per_day", "count": ""}, "count", "Enter times per day as a whole number."),
    ({"repeat": "times_per_day", "count": "99"}, "count", "must be between 1 and 12."),
    ({"text": "bad\x01byte"}, "text", "Remove the control characters"),
    ({"opens__reminder_hour": "y"}, "opens", "Choose a clock time or the reminder hour, not both."),
    ({"due__days": "-3"}, "due", "The step cannot be due before it opens."),
    ({"has_expiry": "y", "expires__days": "-5"}, "expires", "cannot expire before it is due."),
    (
        {"repeat": "times_per_day", "count": "3", "until__days": "-9"},
        "until",
        "Repeats cannot end before the step opens.",
    ),
    ({"repeat": "rule", "rule": "FREQ=DAILY;BYHOUR=25"}, "rule", "BYHOUR: 25 is not between"),
    ({"repeat": "rule", "rule": "FREQ=DAILY;BYHOUR=8,20;BYSETPOS=5"}, "rule", "only 2 times"),
    ({"repeat": "rule", "rule": "FREQ=DAILY;;BYHOUR"}, "rule", "is not NAME=VALUE"),
    ({"repeat": "rule", "rule": ""}, "rule", "give a rule like FREQ=DAILY"),
    ({"repeat": "rule", "rule": "FREQ=SECONDLY"}, "rule", "FREQ=SECONDLY is not supported"),
    (
        {"repeat": "times_per_day", "count": "2", "while_awake": "y"},
        "while_awake",
        "Only while awake applies to repeats every N minutes.",
    ),
]


@pytest.mark.parametrize(("overrides", "field_id", "message"), INVALID)
def test_each_invalid_field_is_explained_beside_it_and_nothing_is_saved(
    admin: FlaskClient,
    app: Flask,
    slug: str,
    overrides: dict[str, str],
    field_id: str,
    message: str,
) -> None:
    steps = _steps(app, slug)
    step = steps[0]
    edit = f"{_base(slug)}/steps/{step.id}/edit"
    data = _form(_token(admin, edit), **overrides)
    response = admin.post(edit, data=data)
    page = _text(response)
    assert response.status_code == 422
    error = re.search(rf'<p class="field-error" id="{re.escape(field_id)}-error">([^<]*)</p>', page)
    assert error and message in error.group(1).replace("&#39;", "'"), page
    if field_id in {"text", "kind", "section", "opens-clock", "opens-days", "count"}:
        assert re.search(rf'aria-describedby="[^"]*{re.escape(field_id)}-error"', page)
    typed = overrides.get("opens__days") or overrides.get("due__days")
    if typed:
        assert f'value="{typed}"' in page  # the form keeps what was typed
    assert _steps(app, slug)[0].model_dump() == step.model_dump() and _audit(app) == []

    # The same checks guard adding a step.
    added = admin.post(
        f"{_base(slug)}/steps/new", data=_form(_token(admin, _base(slug)), **overrides)
    )
    assert added.status_code == 422 and message in _text(added).replace("&#39;", "'")
    assert len(_steps(app, slug)) == len(steps) and _audit(app) == []


def test_a_typed_rule_is_stored_in_its_canonical_form_and_shown_again(
    admin: FlaskClient, app: Flask, slug: str
) -> None:
    step = _steps(app, slug)[0]
    edit = f"{_base(slug)}/steps/{step.id}/edit"
    typed = "rrule:freq=weekly;byday=th,mo;byhour=20;byminute=0"
    response = admin.post(edit, data=_form(_token(admin, edit), repeat="rule", rule=typed))
    assert response.status_code == 303
    saved = _steps(app, slug)[0].recurrence
    assert saved is not None and saved["rule"] == "FREQ=WEEKLY;BYHOUR=20;BYMINUTE=0;BYDAY=MO,TH"
    assert "FREQ=WEEKLY;BYHOUR=20;BYMINUTE=0;BYDAY=MO,TH" in _text(admin.get(edit))
    # the plain choices build the rule: 3 times a day is the defaults' dose times
    response = admin.post(edit, data=_form(_token(admin, edit), repeat="times_per_day", count="3"))
    assert response.status_code == 303
    saved = _steps(app, slug)[0].recurrence
    assert saved is not None and saved["rule"] == "FREQ=DAILY;BYHOUR=8,14,20;BYMINUTE=0"


def test_every_step_error_is_shown_at_once_beside_its_field(
    admin: FlaskClient, app: Flask, slug: str
) -> None:
    step = _steps(app, slug)[0]
    edit = f"{_base(slug)}/steps/{step.id}/edit"
    wrong = {"text": "  ", "kind": "teleport", "opens__days": "soon", "opens__clock": "25:00"}
    data = _form(_token(admin, edit), **wrong, repeat="times_per_day", count="99")
    response = admin.post(edit, data=data)
    assert response.status_code == 422
    page = _text(response)
    ids = ["text", "kind", "opens-days", "opens-clock", "count"]
    for field_id in ids:
        assert re.search(rf'<p class="field-error" id="{field_id}-error">[^<]+</p>', page)
        tag = re.search(rf'<(?:input|select|textarea)[^>]*id="{field_id}"[^>]*>', page)
        assert tag and 'aria-invalid="true"' in tag.group(), field_id
        assert f"{field_id}-error" in tag.group(), field_id
    summary = re.search(r'class="flash flash-error error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert summary and re.findall(r'href="#([^"]+)"', summary.group(1)) == ids
    assert _steps(app, slug)[0].model_dump() == step.model_dump() and _audit(app) == []


def test_the_editor_sets_what_a_step_asks_and_a_know_step_never_repeats(
    admin: FlaskClient, app: Flask, slug: str
) -> None:
    step = _steps(app, slug)[0]
    edit = f"{_base(slug)}/steps/{step.id}/edit"
    assert re.search(r'<select[^>]*name="asks"', _text(admin.get(edit)))
    response = admin.post(edit, data=_form(_token(admin, edit), asks="avoid"))
    assert response.status_code == 303
    assert _steps(app, slug)[0].asks == "avoid"
    [(_, action, _)] = _audit(app)
    assert action == "step.update"
    for overrides, field_id in (
        ({"asks": "maybe"}, "asks"),
        ({"asks": "know", "repeat": "times_per_day", "count": "2"}, "repeat"),
    ):
        response = admin.post(edit, data=_form(_token(admin, edit), **overrides))
        assert response.status_code == 422
        assert f'id="{field_id}-error"' in _text(response)
    assert _steps(app, slug)[0].asks == "avoid" and len(_audit(app)) == 1


def test_merged_instructions_are_shown_and_can_be_split_back(
    admin: FlaskClient, app: Flask, slug: str
) -> None:
    steps = _steps(app, slug)
    step = steps[0]
    piece = {"section": "patient experience", "line": 40, "text": "prescribed <b>pain</b> relief"}
    _set(app, step.id, merged=[piece])
    page = _text(admin.get(_base(slug)))
    assert "prescribed &lt;b&gt;pain&lt;/b&gt; relief" in page and "line 40" in page
    split = f"{_base(slug)}/steps/{step.id}/split/0"
    assert split in page
    assert (
        admin.post(
            f"{_base(slug)}/steps/{step.id}/split/1",
            data={"csrf_token": _token(admin, _base(slug))},
        ).status_code
        == 404
    )
    response = admin.post(split, data={"csrf_token": _token(admin, _base(slug))})
    assert response.status_code == 303
    after = _steps(app, slug)
    assert len(after) == len(steps) + 1
    assert after[0].merged == [] and after[-1].text == piece["text"]
    assert (after[-1].section, after[-1].line) == ("patient experience", 40)
    assert response.headers["Location"] == f"{_base(slug)}#step-{after[-1].id}"
    assert [action for _, action, _ in _audit(app)] == ["step.update", "step.split"]


def test_a_request_missing_fields_is_malformed(admin: FlaskClient, app: Flask, slug: str) -> None:
    step = _steps(app, slug)[0]
    edit = f"{_base(slug)}/steps/{step.id}/edit"
    response = admin.post(edit, data=_form(_token(admin, edit), due__minutes=None))
    assert response.status_code == 400 and "due-minutes" in _text(response)
    assert admin.post(edit, data={"csrf_token": _token(admin, edit)}).status_code == 400
    assert _audit(app) == []


def test_posts_without_a_csrf_token_are_rejected(admin: FlaskClient, app: Flask, slug: str) -> None:
    step_id = _steps(app, slug)[0].id or 0
    for method, path in _routes(slug, step_id):
        if method == "POST":
            response = admin.post(path, data=_form("not-a-token"))
            assert response.status_code == 400, path
            assert admin.post(path, data=_form("", csrf_token=None)).status_code == 400, path
    assert _states(app, slug) == [(1, "draft")] and _audit(app) == []


def test_adding_and_removing_steps(admin: FlaskClient, app: Flask, slug: str) -> None:
    count = len(_steps(app, slug))
    response = admin.post(f"{_base(slug)}/steps/new", data=_form(_token(admin, _base(slug))))
    assert response.status_code == 303
    steps = _steps(app, slug)
    assert len(steps) == count + 1 and steps[-1].text == "Shower with the antiseptic soap"
    assert response.headers["Location"] == f"{_base(slug)}#step-{steps[-1].id}"
    assert steps[-1].rule == "added by admin"

    remove = f"{_base(slug)}/steps/{steps[0].id}/remove"
    response = admin.post(remove, data={"csrf_token": _token(admin, _base(slug))})
    assert response.status_code == 303
    assert [s.id for s in _steps(app, slug)] == [s.id for s in steps[1:]]
    assert [action for _, action, _ in _audit(app)] == ["step.add", "step.remove"]
    assert admin.post(remove, data={"csrf_token": _token(admin, _base(slug))}).status_code == 404


def test_publishing_asks_first_and_needs_an_override_for_flagged_steps(
    admin: FlaskClient, app: Flask, slug: str
) -> None:
    """Issue 13: the publish page says what publishing does and lists the steps still marked
    for review; without the override nothing is published and the error is beside the box."""
    page = admin.get(f"{_base(slug)}/publish")
    assert page.status_code == 200
    html = _text(page)
    flagged = [s for s in _steps(app, slug) if s.confidence < REVIEW_THRESHOLD]
    assert flagged, "the seed has steps to review"
    assert f"{len(flagged)} step" in html and "still marked for review" in html
    for step in flagged:
        assert f"/steps/{step.id}/edit" in html
    assert "New enrollments on" in html and _states(app, slug) == [(1, "draft")]
    token = csrf_token(page.get_data(as_text=True))
    refused = admin.post(f"{_base(slug)}/publish", data={"csrf_token": token})
    assert refused.status_code == 422
    assert 'class="field-error" id="allow-error"' in refused.get_data(as_text=True)
    assert _states(app, slug) == [(1, "draft")] and _audit(app) == []
    assert admin.post(f"{_base(slug)}/publish", data={"csrf_token": "stale"}).status_code == 400
    accepted = admin.post(f"{_base(slug)}/publish", data={"csrf_token": token, **OVERRIDE})
    assert accepted.status_code == 303 and _states(app, slug) == [(1, "published")]


def test_publishing_freezes_the_version(admin: FlaskClient, app: Flask, slug: str) -> None:
    step = _steps(app, slug)[0]
    token = _token(admin, _base(slug))
    response = admin.post(f"{_base(slug)}/publish", data={"csrf_token": token, **OVERRIDE})
    assert response.status_code == 303 and response.headers["Location"] == _base(slug)
    assert _states(app, slug) == [(1, "published")]
    page = _text(admin.get(_base(slug)))
    assert "published versions never change" in page and "Publish v1" not in page

    edit = f"{_base(slug)}/steps/{step.id}/edit"
    attempts = [
        admin.post(edit, data=_form(token)),
        admin.get(edit),
        admin.post(f"{_base(slug)}/steps/new", data=_form(token)),
        admin.post(f"{_base(slug)}/steps/{step.id}/remove", data={"csrf_token": token}),
        admin.post(f"{_base(slug)}/publish", data={"csrf_token": token, **OVERRIDE}),
    ]
    for response in attempts:
        assert response.status_code == 409
        assert "published versions never change" in _text(response)
    assert _steps(app, slug)[0].model_dump() == step.model_dump()
    assert [action for _, action, _ in _audit(app)] == ["version.publish"]


def test_editing_a_published_pathway_starts_a_draft_and_publishing_it_retires_the_old(
    admin: FlaskClient, app: Flask, slug: str
) -> None:
    token = _token(admin, _base(slug))
    admin.post(f"{_base(slug)}/publish", data={"csrf_token": token, **OVERRIDE})
    response = admin.post(f"/admin/pathways/{slug}/draft", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == _base(slug, 2)
    assert _states(app, slug) == [(1, "published"), (2, "draft")]
    assert [s.text for s in _steps(app, slug, 2)] == [s.text for s in _steps(app, slug, 1)]

    again = admin.post(f"/admin/pathways/{slug}/draft", data={"csrf_token": token})
    assert again.headers["Location"] == _base(slug, 2)
    assert "already a draft" in _text(admin.get(_base(slug, 2)))
    assert _states(app, slug) == [(1, "published"), (2, "draft")]

    response = admin.post(f"{_base(slug, 2)}/publish", data={"csrf_token": token, **OVERRIDE})
    assert response.status_code == 303
    assert _states(app, slug) == [(1, "retired"), (2, "published")]
    actions = [action for _, action, _ in _audit(app)]
    assert actions == ["version.publish", "version.draft", "version.retire", "version.publish"]


def test_retiring_hides_the_version_from_published_lookups(
    admin: FlaskClient, app: Flask, slug: str
) -> None:
    token = _token(admin, _base(slug))
    admin.post(f"{_base(slug)}/publish", data={"csrf_token": token, **OVERRIDE})
    response = admin.post(f"{_base(slug)}/retire", data={"csrf_token": token})
    assert response.status_code == 303
    assert _states(app, slug) == [(1, "retired")]
    with Session(get_engine(app)) as session:
        pathway = session.exec(select(Pathway).where(Pathway.slug == slug)).one()
        assert pathways.published_version(session, pathway) is None
        version = session.exec(select(PathwayVersion)).one()
        assert version.published_at is not None
    assert admin.post(f"{_base(slug)}/retire", data={"csrf_token": token}).status_code == 409
    assert "retired" in _text(admin.get("/admin/pathways"))


def test_unknown_pathways_versions_and_steps_are_not_found(
    admin: FlaskClient, app: Flask, slug: str
) -> None:
    token = _token(admin, _base(slug))
    assert admin.get("/admin/pathways/nope/v1").status_code == 404
    assert admin.get(_base(slug, 7)).status_code == 404
    assert admin.get(f"{_base(slug)}/steps/99999/edit").status_code == 404
    assert admin.post("/admin/pathways/nope/draft", data={"csrf_token": token}).status_code == 404


TEXTISH = st.text(st.characters(codec="utf-8"), max_size=12)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(
        st.sampled_from(
            ["text", "kind", "section", "opens-days", "opens-minutes", "opens-clock",
             "opens-anchor", "due-days", "due-clock", "repeat", "count", "until-days",
             "has_expiry", "expires-minutes", "critical", "opens-reminder_hour"]
        ),
        st.one_of(TEXTISH, st.integers(-10**6, 10**6).map(str), st.sampled_from(["y", "", "-1"])),
    )
)  # fmt: skip
def test_any_submission_is_saved_or_explained_never_a_crash(
    admin: FlaskClient, app: Flask, slug: str, values: dict[str, str]
) -> None:
    step = _steps(app, slug)[0]
    edit = f"{_base(slug)}/steps/{step.id}/edit"
    before = len(_audit(app))
    response = admin.post(edit, data={**_form(_token(admin, edit)), **values})
    if any("\x00" in value for value in values.values()):  # refused before the form reads it
        assert response.status_code == 400 and len(_audit(app)) == before
        return
    assert response.status_code in {303, 422}, _text(response)
    assert len(_audit(app)) == before + (1 if response.status_code == 303 else 0)
