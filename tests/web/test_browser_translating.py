"""An admin reviews a translation in headless Chromium: the title and a step, on the version's
Translations page, with the errors beside their field; axe finds no serious violation."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlmodel import Session, select

from tests.auth_helpers import create_staff
from tests.browser_helpers import (  # noqa: F401  (the fixtures register by name)
    LiveServer,
    blocking_violations,
    live_server_fixture,
    page_fixture,
)
from tracker import db
from tracker.clock import utcnow
from tracker.library import pathways, translations
from tracker.models import TitleTranslation
from tracker.reading.documents import read_document

EMAIL, PASSWORD = "ada@example.org", "a long admin password"
FOLDER = Path(__file__).resolve().parents[2] / "pathways"
SLUG = "22868-lumbar-interspinous-stabilization-device-second-level"
SPANISH_TITLE = "Dispositivo de estabilización interespinosa lumbar, segundo nivel"


@pytest.fixture
def live_setup() -> Callable[[Flask], Any]:
    """22868 imported as a draft with its Spanish document attached (nothing reviewed yet)."""

    def setup(app: Flask) -> None:
        with Session(db.get_engine(app)) as session:
            english = read_document(FOLDER / "22868.txt")
            result = pathways.import_document(session=session, document=english, now=utcnow())
            assert result.slug == SLUG
            translations.import_translation(
                session=session,
                english=english,
                translated=read_document(FOLDER / "22868.es.txt"),
                language="es",
                now=utcnow(),
            )
            session.commit()
        create_staff(app, "admin", email=EMAIL, password=PASSWORD, name="Ada Admin")

    return setup


def _accessible(tab: Any, what: str) -> None:
    violations = blocking_violations(tab)
    assert not violations, f"{what}: " + "\n".join(violations)


def test_an_admin_reviews_the_title_and_a_step(live_server: LiveServer, page: Any) -> None:
    page.goto(live_server.path(f"/admin/pathways/{SLUG}/v1"))
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/v1$"))
    page.get_by_role("link", name="es: 0 of 13 steps reviewed; title not reviewed").click()
    page.wait_for_url(re.compile(r"/translations/es$"))
    _accessible(page, "translation page")

    title = page.locator("#title-text")
    assert title.input_value() == SPANISH_TITLE  # imported from the document's name
    page.locator("#t-title").get_by_label("Reviewed: the words say what the English says").check()
    page.locator("#t-title").get_by_role("button", name="Save").click()
    page.get_by_text("Title saved.").wait_for()
    with Session(db.get_engine(live_server.app)) as session:
        [row] = session.exec(select(TitleTranslation)).all()
        assert row.reviewed_at is not None and row.title == SPANISH_TITLE

    # Past the field's maxlength (a browser without it, or a crafted post): the server says so.
    page.locator("#title-text").evaluate("el => el.removeAttribute('maxlength')")
    page.locator("#title-text").fill("x" * 501)
    page.locator("#t-title").get_by_role("button", name="Save").click()
    page.locator("#title-error").wait_for()
    assert page.locator("#title-text").get_attribute("aria-invalid") == "true"
    _accessible(page, "translation page with a title error")

    first = page.locator("ol.translations li").first
    first.get_by_label("Reviewed: the words say what the English says").check()
    first.get_by_role("button", name="Save").click()
    page.get_by_text("Translation saved.").wait_for()
    page.get_by_role("link", name=re.compile("Back to v1")).click()
    summary = "es: 1 of 13 steps reviewed; title reviewed"
    expect(page.get_by_role("link", name=summary)).to_be_visible()
