"""A Spanish-speaking patient's journey in Chromium on a phone, on the seed pathway: the page,
ticking, the inbox, the calendar file and the printed plan in Spanish (step texts stay as the
pathway wrote them), axe on each page; the language switch; and a right-to-left layout."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlmodel import Session, select

from tests.browser_helpers import (  # noqa: F401
    LiveServer,
    live_server_fixture,
    page_fixture,
)
from tests.conftest import PATHWAYS_DIR
from tests.enrollment_helpers import enroll_patient, make_patient, publish
from tests.web.test_browser_patient import PHONE, assert_no_axe_violations
from tracker.clock import utcnow
from tracker.db import get_engine, session_scope
from tracker.library import pathways, title_translations, translations
from tracker.models import AuditEvent, PathwayVersion, Patient
from tracker.patient.links import issue_link
from tracker.reading.documents import read_document
from tracker.reminders.channels import build_channels
from tracker.reminders.dispatch import Dispatcher
from tracker.reminders.dispatch_settings import Settings

SPANISH_TITLE = "Dispositivo de estabilización interespinosa lumbar, segundo nivel"  # 22868.es.txt
SPANISH_DAY = re.compile(
    r"(lunes|martes|miércoles|jueves|viernes|sábado|domingo) \d{1,2} de "
    r"(enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre)"
)
STATIC = Path(__file__).resolve().parents[2] / "static"
PHYSICAL = re.compile(
    r"(margin|padding|border)-(left|right)\b|(?<![\w-])(left|right)\s*:|text-align:\s*(left|right)"
)


@pytest.fixture
def journey() -> dict[str, Any]:
    return {}


def translated_seed(session: Session, now: datetime) -> tuple[PathwayVersion, set[str]]:
    """The shipped 22868 pathway with its Spanish document imported, every translated step
    reviewed, and published: what an admin does before Spanish readers see the steps. Returns
    the version and the Spanish step texts."""
    english = read_document(PATHWAYS_DIR / "22868.txt")
    result = pathways.import_document(session=session, document=english, now=now)
    pathway = pathways.get_pathway(session, result.slug)
    assert pathway is not None
    version = pathways.versions_of(session, pathway)[-1]
    translations.import_translation(
        session=session,
        english=english,
        translated=read_document(PATHWAYS_DIR / "22868.es.txt"),
        language="es",
        now=now,
    )
    steps = {step.id: step for step in pathways.steps_of(session, version)}
    rows = list(translations.translations_of(session, version, "es").values())
    assert len(rows) == len(steps)  # the Spanish document translates every step
    for row in rows:
        translations.save_translation(
            session=session,
            step=steps[row.step_id],
            language="es",
            text=row.text,
            reviewed=True,
            user_id=None,
            now=now,
        )
    title = title_translations.title_of(session, version.id or 0, "es")
    assert title is not None  # the document's name of the procedure
    translations.save_title(
        session=session,
        version_id=version.id or 0,
        language="es",
        title=title.title,
        reviewed=True,
        user_id=None,
        now=now,
    )
    return publish(session, version, now=now), {row.text for row in rows}


@pytest.fixture
def live_setup(journey: dict[str, Any]) -> Any:
    def setup(app: Flask) -> None:
        now = utcnow()
        zone = ZoneInfo("America/New_York")
        start = (now + timedelta(days=3)).astimezone(zone).replace(tzinfo=None)
        start = start.replace(hour=8, minute=0, second=0, microsecond=0)
        engine = get_engine(app)
        with session_scope(engine) as session:
            version, spanish_texts = translated_seed(session, now)
            patient = make_patient(session, language="es", now=now)
            enrollment = enroll_patient(
                session, patient=patient, version=version, start=start, now=now
            )
            _, token = issue_link(session=session, enrollment=enrollment, now=now, actor="t")
            session.commit()
            journey.update(token=token, patient_id=patient.id, spanish_texts=spanish_texts)
        # The reminders already due go out (to the inbox; email to the log), worded in Spanish.
        channels = build_channels(smtp_url="", webhook_url="", sender="care@example.org")
        Dispatcher(engine, channels=channels, settings=Settings(), fault="").run_until_idle(now)

    return setup


def test_spanish_patient_journey(
    live_server: LiveServer, page: Any, journey: dict[str, Any]
) -> None:
    page.set_viewport_size(PHONE)
    url = live_server.path(f"/p/{journey['token']}")
    page.goto(url)
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.title() == "Su plan de cuidados"
    heading = page.locator("h1")
    assert heading.inner_text() == SPANISH_TITLE and heading.get_attribute("lang") is None
    expect(page.locator("h2", has_text="Su procedimiento")).to_be_visible()
    expect(page.locator("h2", has_text="Para hacer ahora")).to_be_visible()
    expect(page.locator("h2", has_text="Añadir a su calendario")).to_be_visible()
    procedure = page.locator("section[aria-labelledby=h-procedure]").inner_text()
    assert SPANISH_DAY.search(procedure) and " a las 08:00" in procedure, procedure
    assert "Será dentro de 2 días" in procedure or "Será dentro de 3 días" in procedure
    # The steps themselves read in Spanish (reviewed and published), none marked as English.
    shown = page.locator("main .entry-text, main .note-text").all_inner_texts()
    assert shown and all(text in journey["spanish_texts"] for text in shown), shown
    steps = "main .entry-text, main .note-text, main .why span"  # a step's words and source
    assert page.locator(steps).count() and not [
        html
        for html in page.locator(steps).evaluate_all("els => els.map(e => e.outerHTML)")
        if 'lang="en"' in html
    ]
    assert_no_axe_violations(page, "checklist in Spanish")

    # Tick the first item to do now: it changes in place and says so in Spanish.
    first = page.locator('ul[data-section="now"] li.entry').first
    text = first.locator(".entry-text").inner_text()
    first.get_by_role("button", name="Ya lo hice").click()
    done = page.locator("li.entry", has=page.locator(".entry-text", has_text=text)).first
    done.get_by_role("button", name="Deshacer").wait_for()
    page.wait_for_function(
        "() => document.querySelector('#announce')?.textContent.startsWith('Marcado')"
    )
    assert_no_axe_violations(page, "checklist after ticking")

    # The inbox: the reminders the dispatcher sent, in Spanish.
    inbox = page.locator("section[aria-labelledby=h-inbox]")
    assert inbox.locator("h2").inner_text() == "Mensajes"
    assert inbox.locator("a", has_text="Recordatorio: ").count() >= 1

    # The calendar file, parsed: Spanish names and descriptions.
    with page.expect_download() as download:
        page.get_by_role("link", name="Descargar el archivo de calendario").click()
    feed = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes())
    assert str(feed["X-WR-CALNAME"]).startswith("Plan de cuidados: ")
    summaries = [str(e["SUMMARY"]) for e in feed.walk("VEVENT")]
    assert any(s.startswith("Procedimiento: ") for s in summaries)
    assert all("Abra su lista: " in str(e["DESCRIPTION"]) for e in feed.walk("VEVENT"))
    alarms = [str(a["DESCRIPTION"]) for a in feed.walk("VALARM")]
    assert alarms and all(a.startswith("Recordatorio: ") for a in alarms)

    # The printed plan.
    page.get_by_role("link", name="Plan para imprimir").click()
    assert page.locator("h1").inner_text().startswith("Plan de cuidados de ")
    headers = page.locator("table.plan thead th").all_inner_texts()
    assert headers == ["Cuándo", "Qué hacer", "Hecho"]
    expect(page.get_by_role("link", name="Volver a su plan de cuidados")).to_be_visible()
    assert_no_axe_violations(page, "printed plan in Spanish")

    # The patient switches to English: remembered on the patient (no cookie), audited.
    page.goto(url)
    page.get_by_label("Leer esta página en").select_option("en")
    page.get_by_role("button", name="Cambiar idioma").click()
    page.locator("h2", has_text="To do now").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.context.cookies() == []
    with Session(get_engine(live_server.app)) as session:
        patient = session.get(Patient, journey["patient_id"])
        assert patient is not None and patient.language == "en"
        changes = session.exec(
            select(AuditEvent).where(AuditEvent.action == "patient.update")
        ).all()
        assert any(e.after == {"language": "en"} and e.actor.startswith("link:") for e in changes)


def test_the_patient_page_reads_right_to_left(
    live_server: LiveServer, page: Any, journey: dict[str, Any]
) -> None:
    """With dir="rtl" nothing overflows the phone's width and every button stays in view."""
    page.set_viewport_size(PHONE)
    page.goto(live_server.path(f"/p/{journey['token']}"))
    page.evaluate("document.documentElement.dir = 'rtl'")
    width = PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    outside: list[str] = page.evaluate(
        """(width) => Array.from(document.querySelectorAll('main *, header *, footer *'))
             .filter(el => { const r = el.getBoundingClientRect();
                             return r.width > 0 && (r.left < -1 || r.right > width + 1); })
             .filter(el => !el.classList.contains('skip') && !el.closest('.skip'))
             .map(el => el.outerHTML.slice(0, 80))""",
        width,
    )
    assert outside == []
    buttons = page.locator("main button:visible")
    assert buttons.count() > 0
    for index in range(buttons.count()):
        box = buttons.nth(index).bounding_box()
        assert box is not None and 0 <= box["x"] and box["x"] + box["width"] <= width
    # An entry's critical bar sits on the reading side: the right edge in right-to-left.
    critical = page.locator("li.entry.critical").first
    if critical.count():
        side = critical.evaluate("el => getComputedStyle(el).borderRightWidth")
        assert side == "6px"


def test_stylesheets_use_logical_properties() -> None:
    """margin-inline-start, not margin-left: the layouts mirror for right-to-left languages."""
    found = [
        f"{sheet.name}:{number}: {line.strip()}"
        for sheet in STATIC.glob("*.css")
        for number, line in enumerate(sheet.read_text().splitlines(), 1)
        if PHYSICAL.search(line)
    ]
    assert found == []
