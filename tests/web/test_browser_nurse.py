"""One nurse, end to end in headless Chromium: sign in, register, enroll, reschedule.

The timeline must move with the procedure, and axe-core must find no serious or critical
violation on the dashboard, the registration form (with its errors), the enroll form, the
patient page or the reschedule pages.
"""

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

from tests.auth_helpers import create_staff
from tests.browser_helpers import (  # noqa: F401  (the fixtures register by name)
    LiveServer,
    blocking_violations,
    live_server_fixture,
    page_fixture,
)
from tests.enrollment_helpers import published_seed_version
from tracker import db
from tracker.clock import utcnow

EMAIL = "nora@example.org"
PASSWORD = "a long nurse password"
ZONE = ZoneInfo("America/New_York")


@pytest.fixture
def live_setup() -> Callable[[Flask], Any]:
    """The seed pathway imported and published, and a nurse account."""

    def setup(app: Flask) -> None:
        with Session(db.get_engine(app), expire_on_commit=False) as session:
            published_seed_version(session)
        create_staff(app, "nurse", email=EMAIL, password=PASSWORD, name="Nora Nurse")

    return setup


def _accessible(tab: Any, what: str) -> None:
    violations = blocking_violations(tab)
    assert not violations, f"{what}: " + "\n".join(violations)


def _timeline(tab: Any) -> dict[str, Any]:
    """The patient timeline's bar positions and its 'now' line."""
    svg = tab.locator("svg.timeline").first.inner_html()
    bars = [float(x) for x in re.findall(r'<rect class="tl-bar" x="([-\d.]+)"', svg)]
    now = re.search(r'class="tl-landmark tl-now" x1="([-\d.]+)"', svg)
    assert bars and now, svg[:500]
    return {"bars": bars, "now": float(now.group(1))}


def test_nurse_registers_enrolls_and_reschedules(live_server: LiveServer, page: Any) -> None:
    today = utcnow().astimezone(ZONE).date()
    first_day, second_day = today + timedelta(days=4), today + timedelta(days=11)

    page.goto(live_server.path("/nurse/"))
    assert "/auth/sign-in" in page.url
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/nurse/"))
    expect(page.get_by_role("heading", name="Nurse dashboard")).to_be_visible()
    _accessible(page, "dashboard")

    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_role("link", name="Register a patient").click()
    page.get_by_role("button", name="Register").click()  # empty: errors beside the fields
    expect(page.locator("#mrn-error")).to_be_visible()
    assert page.get_by_label("Medical record number (MRN)").get_attribute("aria-invalid") == "true"
    _accessible(page, "registration form with errors")
    page.get_by_label("Medical record number (MRN)").fill("MRN-BROWSER-1")
    page.get_by_label("Full name").fill("Dorothy Vaughan")
    page.get_by_label("Date of birth").fill("1950-09-20")
    page.get_by_role("textbox", name="Email").fill("dorothy@example.org")
    page.get_by_role("button", name="Register").click()
    page.wait_for_url(re.compile(r"/nurse/patients/\d+$"))
    expect(page.get_by_role("heading", name="Dorothy Vaughan")).to_be_visible()

    page.get_by_role("link", name="Enroll on a pathway").click()
    page.get_by_label("Pathway").select_option(index=1)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Date", exact=True).wait_for()  # the click only starts the load
    _accessible(page, "enroll form")
    page.get_by_label("Date", exact=True).fill(first_day.isoformat())
    page.get_by_label("Time", exact=True).fill("08:00")
    for box in page.locator('input[name="confirm"]').all():
        box.check()
    page.get_by_role("button", name="Enroll").click()
    # Four days ahead, some preparation is already past its deadline: the nurse is asked.
    page.locator("legend", has_text="would already be late").wait_for()
    _accessible(page, "enroll form, items that would start late")
    page.get_by_role("radio", name=re.compile(r"Give (them|it) until")).check()
    page.get_by_role("button", name="Enroll").click()
    page.wait_for_url(re.compile(r"/nurse/patients/\d+\?enrollment=\d+"))
    expect(page.get_by_text("is enrolled on")).to_be_visible()
    _accessible(page, "patient page")
    before = _timeline(page)
    expect(page.get_by_text(f"{first_day:%d %b %Y}, 08:00").first).to_be_visible()

    page.get_by_role("link", name="Reschedule").click()
    page.get_by_role("heading", name=re.compile("Reschedule the procedure")).wait_for()
    _accessible(page, "reschedule form")
    page.get_by_label("Date", exact=True).fill(second_day.isoformat())
    page.get_by_label("Time", exact=True).fill("14:30")
    page.get_by_role("button", name="Preview the changes").click()
    expect(page.get_by_role("heading", name=re.compile("Move .* procedure"))).to_be_visible()
    _accessible(page, "reschedule preview")
    page.get_by_role("button", name="Confirm the new time").click()
    page.wait_for_url(re.compile(r"/nurse/patients/\d+\?enrollment=\d+"))
    expect(page.get_by_text("Procedure moved to")).to_be_visible()
    after = _timeline(page)

    # The procedure is a week further away, so "now" sits further left of it; items anchored
    # to a clock time (the reminder hour, the evening before) move relative to the new start.
    assert after["now"] < before["now"]
    assert after["bars"] != before["bars"]
    expect(page.get_by_text(f"{second_day:%d %b %Y}, 14:30").first).to_be_visible()
    _accessible(page, "patient page after the move")
