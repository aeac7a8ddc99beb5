"""The printed plan in Chromium: on a 375 px phone it never scrolls sideways, and on paper
the seed pathway's whole plan fits one or two A4 or Letter pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlmodel import Session

from tests.browser_helpers import (  # noqa: F401  (the fixtures register by name)
    LiveServer,
    blocking_violations,
    live_server_fixture,
    page_fixture,
)
from tests.enrollment_helpers import enroll_patient, make_patient, pathways_22868_version
from tracker import db
from tracker.clock import utcnow
from tracker.patient.links import issue_link

PHONE = {"width": 375, "height": 812}
MAX_PAGES = 2


@pytest.fixture
def link() -> dict[str, str]:
    return {}


@pytest.fixture
def live_setup(link: dict[str, str]) -> Callable[[Flask], Any]:
    """A patient enrolled on pathways/22868.txt four days ahead, with a personal link."""

    def setup(app: Flask) -> None:
        now = utcnow()
        zone = ZoneInfo("America/New_York")
        start = (now + timedelta(days=4)).astimezone(zone).replace(tzinfo=None)
        start = start.replace(hour=8, minute=0, second=0, microsecond=0)
        with Session(db.get_engine(app), expire_on_commit=False) as session:
            version = pathways_22868_version(session, now=now)
            patient = make_patient(session, name="Mary Jackson", now=now)
            enrollment = enroll_patient(
                session, patient=patient, version=version, start=start, now=now
            )
            _, link["token"] = issue_link(
                session=session, enrollment=enrollment, now=now, actor="test"
            )
            session.commit()

    return setup


def pages_in(pdf: bytes) -> int:
    """Pages of a PDF: its page objects ('/Type /Page', not '/Type /Pages')."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


def test_the_printed_plan_fits_a_phone_and_two_pages(
    live_server: LiveServer, page: Any, link: dict[str, str]
) -> None:
    page.set_viewport_size(PHONE)
    page.goto(live_server.path(f"/p/{link['token']}/print"))
    expect(page.get_by_text("Take your prescribed pain medicine")).to_be_visible()
    assert not blocking_violations(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{width}px wide on a {PHONE['width']}px phone"
    page.emulate_media(media="print")
    for paper in ("A4", "Letter"):
        pdf = page.pdf(format=paper, print_background=True)
        assert pdf.startswith(b"%PDF")
        assert 1 <= pages_in(pdf) <= MAX_PAGES, f"{paper}: {pages_in(pdf)} pages"
