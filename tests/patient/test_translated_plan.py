"""A patient reads each step's reviewed translation in their language, and English (marked
lang="en") where there is none: the checklist, the printed plan, the calendar, the reminders;
the nurse sees which steps fall back (issue 15)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from tests.auth_helpers import csrf_token, sign_in_as
from tests.enrollment_helpers import NOW, make_patient
from tests.patient_helpers import CLOCK, TEXTS, Linked, item_id, linked, page_of, small_version
from tracker.care.item_reminders import ESCALATION
from tracker.db import get_engine
from tracker.library import review, translations
from tracker.library.pathways import steps_of
from tracker.models import Pathway, PathwayVersion, Reminder, StepTranslation, TitleTranslation
from tracker.reminders.rules import Decision, compose, load_due

HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # refused
SPANISH = {
    "fast": "Deje de comer",
    "ride": "Pida que alguien lo lleve a casa",
    "tablet": "Tome la pastilla",
    "walk": "Camine un poco",
}
SPANISH_TITLE = "Plan breve de prueba"


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(CLOCK, tick=False):
        yield


@pytest.fixture
def version(session: Session) -> PathwayVersion:
    """The small pathway, translated into Spanish and published; the walk's translation was
    never reviewed, so Spanish readers read that step in English."""
    version = small_version(session)
    version.state = review.DRAFT  # translations are written while it is a draft
    session.add(version)
    by_text = {step.text: step for step in steps_of(session, version)}
    for key, words in SPANISH.items():
        translations.save_translation(
            session=session,
            step=by_text[TEXTS[key]],
            language="es",
            text=words,
            reviewed=key != "walk",
            user_id=None,
            now=NOW,
        )
    translations.save_title(
        session=session,
        version_id=version.id or 0,
        language="es",
        title=SPANISH_TITLE,
        reviewed=True,
        user_id=None,
        now=NOW,
    )
    review.publish(session=session, version=version, user_id=None, now=NOW)
    session.commit()
    return version


@pytest.fixture
def spanish(session: Session, version: PathwayVersion) -> Linked:
    return linked(session, version=version, patient=make_patient(session, language="es-MX"))


@pytest.mark.both_databases
def test_the_checklist_shows_translations_and_marks_english_fallbacks(
    client: FlaskClient, session: Session, spanish: Linked
) -> None:
    html = page_of(client, spanish)
    assert f"<h1>{SPANISH_TITLE}</h1>" in html
    tablet, walk = item_id(session, spanish.id, "tablet"), item_id(session, spanish.id, "walk")
    assert f'<h3 class="entry-text" id="text-{tablet}">Tome la pastilla</h3>' in html
    assert f'<h3 class="entry-text" id="text-{walk}" lang="en">Walk a little</h3>' in html
    assert "Take the tablet" not in html and "Camine un poco" not in html  # unreviewed: unseen
    # Only that step is marked, with the English sentence it came from (the small pathway's
    # one-line source, "test"); the page's own <html lang> follows its interface language, and
    # the language switch names each language in itself (<option lang="en">English</option>).
    marked = re.findall(r'<(?!html|option)\w+[^>]* lang="en">([^<]*)<', html)
    assert set(marked) == {"Walk a little", "test"}


def test_the_inbox_marks_a_step_left_in_english_inside_the_spanish_sentence(
    client: FlaskClient, session: Session, spanish: Linked
) -> None:
    for key in ("walk", "tablet"):
        reminder = session.exec(
            select(Reminder).where(Reminder.item_id == item_id(session, spanish.id, key))
        ).first()
        assert reminder is not None
        reminder.status, reminder.sent_at = "sent", CLOCK
        session.add(reminder)
    session.commit()
    html = page_of(client, spanish)
    assert 'Recordatorio: <span lang="en">Walk a little</span></a>' in html
    assert "Recordatorio: Tome la pastilla</a>" in html


def test_an_english_reader_sees_english_unmarked(
    client: FlaskClient, session: Session, version: PathwayVersion
) -> None:
    html = page_of(client, linked(session, version=version))
    assert "Take the tablet" in html and "Tome la pastilla" not in html
    assert re.findall(r'<(?!html|option)\w+[^>]* lang="en">', html) == []


def test_the_printed_plan_and_calendar_are_translated_too(
    client: FlaskClient, spanish: Linked
) -> None:
    printed = client.get(f"/p/{spanish.token}/print").get_data(as_text=True)
    assert f'<p class="print-procedure"><span>{SPANISH_TITLE}</span>' in printed
    assert "<span>Tome la pastilla</span>" in printed
    assert '<span lang="en">Walk a little</span>' in printed
    ics = client.get(f"/p/{spanish.token}/calendar.ics").get_data(as_text=True)
    assert "SUMMARY:Tome la pastilla" in ics
    assert SPANISH_TITLE in ics
    assert "SUMMARY;LANGUAGE=en:Walk a little" in ics


@pytest.mark.both_databases
def test_reminders_are_worded_with_the_translated_step(
    app: Flask, session: Session, spanish: Linked
) -> None:
    tablet = item_id(session, spanish.id, "tablet")
    reminder = session.exec(select(Reminder).where(Reminder.item_id == tablet)).first()
    assert reminder is not None and reminder.id is not None
    with get_engine(app).connect() as connection:
        [due] = load_due(connection, [reminder.id])
    subject, body, _ = compose(due, Decision("send"), base_url="https://care.example")
    assert due.step == "Tome la pastilla"
    assert "Tome la pastilla" in subject and body.startswith("Tome la pastilla")
    # The care team's escalation about the same item stays in English.
    reminder.purpose = ESCALATION
    session.add(reminder)
    session.commit()
    with get_engine(app).connect() as connection:
        [escalated] = load_due(connection, [reminder.id])
    assert escalated.step == "Take the tablet"


@pytest.mark.both_databases
def test_the_nurse_sees_which_steps_fall_back_to_english(
    app: Flask, client: FlaskClient, session: Session, spanish: Linked
) -> None:
    sign_in_as(client, app, "nurse")
    html = client.get(f"/nurse/patients/{spanish.enrollment.patient_id}").get_data(as_text=True)
    assert "Reads Spanish: 1 of the plan's steps have no reviewed Spanish translation" in html
    assert "title shows in English" not in html  # it has a reviewed translation
    rows = [row for row in html.split("<tr") if 'class="badge in-english"' in row]
    assert len(rows) == 1 and "Walk a little" in rows[0]


def test_a_title_without_a_reviewed_translation_reads_english_marked(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    version = small_version(session)
    version.state = review.DRAFT
    session.add(version)
    translations.save_title(
        session=session,
        version_id=version.id or 0,
        language="es",
        title=SPANISH_TITLE,
        reviewed=False,  # entered, never checked: patients do not see it
        user_id=None,
        now=NOW,
    )
    review.publish(session=session, version=version, user_id=None, now=NOW)
    session.commit()
    reader = linked(session, version=version, patient=make_patient(session, language="es"))
    html = page_of(client, reader)
    assert f'<h1 lang="en">{version.title}</h1>' in html and SPANISH_TITLE not in html
    printed = client.get(f"/p/{reader.token}/print").get_data(as_text=True)
    assert f'<p class="print-procedure"><span lang="en">{version.title}</span>' in printed
    sign_in_as(client, app, "nurse")
    nurse = client.get(f"/nurse/patients/{reader.enrollment.patient_id}").get_data(as_text=True)
    assert "The plan's title shows in English too." in nurse


def test_an_admin_translates_the_title_on_a_draft_only(
    app: Flask, client: FlaskClient, session: Session, version: PathwayVersion
) -> None:
    sign_in_as(client, app, "admin")
    pathway = session.get(Pathway, version.pathway_id)
    assert pathway is not None
    page = f"/admin/pathways/{pathway.slug}/v1/translations/es"
    html = client.get(page).get_data(as_text=True)
    assert f'value="{SPANISH_TITLE}"' not in html  # published: shown, not editable
    assert f'<span lang="es">{SPANISH_TITLE}</span>' in html
    form = {"csrf_token": csrf_token(html), "title": "Otro título", "reviewed": "y"}
    assert client.post(f"{page}/title", data=form).status_code == 409
    # A new draft keeps the reviewed title; the admin changes it there.
    draft = review.start_draft(session=session, pathway=pathway, user_id=None, now=NOW)
    session.commit()
    page = f"/admin/pathways/{pathway.slug}/v2/translations/es"
    html = client.get(page).get_data(as_text=True)
    assert f'value="{SPANISH_TITLE}"' in html
    too_long = form | {"title": "x" * (translations.MAX_TITLE + 1)}
    refused = client.post(f"{page}/title", data=too_long)
    assert refused.status_code == 422
    assert 'id="title-error"' in refused.get_data(as_text=True)
    hidden = form | {"title": "Otro \u202etítulo"}
    assert client.post(f"{page}/title", data=hidden).status_code == 422
    assert client.post(f"{page}/title", data=form).status_code == 303
    session.expire_all()
    [row] = session.exec(select(TitleTranslation).where(TitleTranslation.version_id == draft.id))
    assert (row.title, row.reviewed_at is not None) == ("Otro título", True)
    unreviewed = client.post(f"{page}/title", data=form | {"title": "Otro", "reviewed": ""})
    assert unreviewed.status_code == 303
    version_page = client.get(f"/admin/pathways/{pathway.slug}/v2").get_data(as_text=True)
    assert "es: 3 of 4 steps reviewed; title not reviewed" in version_page
    publishing = client.get(f"/admin/pathways/{pathway.slug}/v2/publish").get_data(as_text=True)
    assert "Its title has no reviewed es translation and shows in English." in publishing
    # Empty words remove it.
    assert client.post(f"{page}/title", data=form | {"title": " "}).status_code == 303
    session.expire_all()
    assert (
        session.exec(
            select(TitleTranslation).where(TitleTranslation.version_id == draft.id)
        ).first()
        is None
    )


def test_an_admin_enters_and_reviews_a_step_translation_on_a_draft_only(
    app: Flask, client: FlaskClient, session: Session, version: PathwayVersion
) -> None:
    sign_in_as(client, app, "admin")
    pathway = session.get(Pathway, version.pathway_id)
    assert pathway is not None
    slug = pathway.slug
    page = f"/admin/pathways/{slug}/v1/translations/es"
    html = client.get(page).get_data(as_text=True)
    assert "4 of 4 steps translated, 3 reviewed" in html
    walk = next(s for s in steps_of(session, version) if s.text == TEXTS["walk"])
    form = {"csrf_token": csrf_token(html), "text": "Camine un poco", "reviewed": "y"}
    # Published: its translations never change.
    assert client.post(f"{page}/steps/{walk.id}", data=form).status_code == 409
    assert client.get(f"/admin/pathways/{slug}/v1/translations/fr").status_code == 404
    draft = review.start_draft(session=session, pathway=pathway, user_id=None, now=NOW)
    session.commit()
    [copy] = [s for s in steps_of(session, draft) if s.text == TEXTS["walk"]]
    page = f"/admin/pathways/{slug}/v2/translations/es"
    response = client.post(f"{page}/steps/{copy.id}", data=form)
    assert response.status_code == 303
    session.expire_all()
    row = session.exec(select(StepTranslation).where(StepTranslation.step_id == copy.id)).one()
    assert row.reviewed_at is not None and row.text == "Camine un poco"
    # The version page counts them; publishing says they publish with it.
    versions = client.get(f"/admin/pathways/{slug}/v2").get_data(as_text=True)
    assert "es: 4 of 4 steps reviewed; title reviewed" in versions  # copied reviewed
    publishing = client.get(f"/admin/pathways/{slug}/v2/publish").get_data(as_text=True)
    assert "Its 4 reviewed es translations of 4 steps are published with it" in publishing
    assert "So does its reviewed es title." in publishing
    too_long = form | {"text": "x" * (translations.MAX_TEXT + 1)}
    assert client.post(f"{page}/steps/{copy.id}", data=too_long).status_code == 422


@pytest.mark.both_databases
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=2100), reviewed=st.sampled_from(["y", "", "maybe"]))
def test_any_translation_form_is_saved_or_refused_never_a_500(
    app: Flask, client: FlaskClient, session: Session, text: str, reviewed: str
) -> None:
    if not client.get("/admin/pathways").status_code == 200:
        sign_in_as(client, app, "admin")
    draft = small_version(session)
    draft.state = review.DRAFT
    session.add(draft)
    session.commit()
    pathway = session.get(Pathway, draft.pathway_id)
    assert pathway is not None
    page = f"/admin/pathways/{pathway.slug}/v1/translations/es"
    token = csrf_token(client.get(page).get_data(as_text=True))
    step = steps_of(session, draft)[0]
    response = client.post(
        f"{page}/steps/{step.id}", data={"csrf_token": token, "text": text, "reviewed": reviewed}
    )
    if "\x00" in text:  # the app refuses a NUL in any form before a view sees it
        assert response.status_code == 400
        return
    assert response.status_code in (303, 422), response.status_code
    session.expire_all()
    row = session.exec(select(StepTranslation).where(StepTranslation.step_id == step.id)).first()
    words = " ".join(text.split())
    if HIDDEN.search(words) or len(words) > translations.MAX_TEXT:
        assert response.status_code == 422 and row is None
    elif not words:
        assert row is None
    else:
        assert row is not None and row.text == " ".join(text.split())
