"""Staff pages in Spanish (Accept-Language: es): the words built in Python (item statuses,
the countdown, the timeline, the history) and the dates, not only the templates' text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.auth_helpers import sign_in_as
from tests.enrollment_helpers import make_patient
from tests.patient_helpers import CLOCK, TEXTS, Linked, item_id, linked, tick
from tracker.db import get_engine, session_scope
from tracker.library import pathways
from tracker.reading.documents import read_document

SPANISH = {"Accept-Language": "es-MX,es;q=0.9"}
# English a Spanish staff page must not show (outside what people typed, e.g. step texts).
ENGLISH = (
    "Overdue",
    "overdue",
    "Due",
    "Done",
    "Ticked off",
    "Timeline",
    "upcoming",
    "procedures",
    "Consent given",
    "missed",
    "acted at",
    "personal link",
)


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(CLOCK, tick=False):
        yield


@pytest.fixture
def plan(session: Session) -> Linked:
    """A patient with ride and walk overdue, and the ride ticked off through their link."""
    found = linked(session, patient=make_patient(session, name="Ana Pérez"))
    tick(session, found.access(session), item_id(session, found.id, "ride"), CLOCK)
    return found


def _visible(html: str) -> str:
    """The page's words: tags (and CSS class names in them) dropped, user data removed."""
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    for typed in (*TEXTS.values(), "Ana Pérez"):
        text = text.replace(typed, "")
    return text


def _no_english(html: str, words: tuple[str, ...] = ENGLISH) -> None:
    text = _visible(html)
    found = [word for word in words if re.search(rf"\b{word}\b", text)]
    assert not found, found


def test_the_nurse_dashboard_and_patient_page_read_spanish(
    client: FlaskClient, app: Flask, plan: Linked
) -> None:
    sign_in_as(client, app, "nurse")
    dashboard = client.get("/nurse/", headers=SPANISH).get_data(as_text=True)
    assert "atrasada" in dashboard and 'class="badge status-overdue"' in dashboard
    _no_english(dashboard)

    patient = plan.enrollment.patient_id
    page = client.get(f"/nurse/patients/{patient}", headers=SPANISH).get_data(as_text=True)
    for words in ("atrasada", "hecha", "Cronología:", "5 perdidas", "Marcada como hecha"):
        assert words in page, words
    assert "status-overdue" in page and "status-done" in page  # the CSS keys stay English
    assert "terminó hace" in page  # the countdown
    assert ">pendiente<" in page and "buzón" in page and "(empieza)" in page  # reminder log
    assert "mar. 9 mar" in page or "mar 9 mar" in page  # Babel's Spanish dates
    _no_english(page)

    english = client.get(f"/nurse/patients/{patient}").get_data(as_text=True)
    assert "Ticked off" in english and ">overdue<" in english and "Timeline: " in english


def test_an_admin_reads_a_version_page_in_spanish(
    client: FlaskClient, app: Flask, seed_path: Path
) -> None:
    with session_scope(get_engine(app)) as session:
        slug = pathways.import_document(
            session=session, document=read_document(seed_path), now=CLOCK
        ).slug
    sign_in_as(client, app, "admin")
    page = client.get(f"/admin/pathways/{slug}/v1", headers=SPANISH).get_data(as_text=True)
    assert "Cronología de" in page and "procedimiento" in page
    assert "Se abre" in page and "del final del procedimiento" in page and "medicación" in page
    _no_english(page, (*ENGLISH, "Opens", "the procedure starts", "times a day", "Add step"))
    edit = re.search(r'href="(/admin/pathways/[^"]+/steps/\d+[^"]*)"', page)
    assert edit is not None
    editor = client.get(edit.group(1), headers=SPANISH).get_data(as_text=True)
    assert "Editar el paso 1" in editor and "Guardar el paso" in editor and "Ayuno" in editor
    _no_english(editor, (*ENGLISH, "Opens", "Save step", "Does not repeat"))
