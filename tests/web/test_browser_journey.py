"""Issue 13's journey in Chromium, on a phone and on a desktop, on the seed pathway.

A nurse enrolls a patient on pathways/22868.txt four days ahead and makes their link; the
patient ticks an item, undoes it (it goes back to "To do now" without a reload) and marks
one "I couldn't do this" with a note; the nurse sees the note and moves the procedure a week
(the blood thinner question is still open); the patient sees the notice; the calendar file
is parsed back and the printed plan is checked at phone width. The warning signs are asked
about after the procedure, so the clock then moves past the new date (time-machine, which
the server thread shares): the patient answers "yes" and the nurse's dashboard shows the
alert. axe-core finds no violation, of any impact, on any page of it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from icalendar import Calendar
from playwright.sync_api import expect
from sqlmodel import Session

from tests.auth_helpers import create_staff
from tests.browser_helpers import (  # noqa: F401  (the fixtures register by name)
    LiveServer,
    live_server_fixture,
    page_fixture,
)
from tests.enrollment_helpers import pathways_22868_version
from tracker import db
from tracker.clock import utcnow

EMAIL, PASSWORD = "nora@example.org", "a long nurse password"
ZONE = ZoneInfo("America/New_York")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PRINT_PHONE = {"width": 375, "height": 812}
BLOOD_THINNER = "Check with your surgeon at least one week prior"
SCAN = "Complete any requested MRI or CT scan"
NOTE = "The surgery line was busy all day"
SIGNS = "Some bleeding through the dressing since this morning"
PAIN = "Take your prescribed pain medicine"
LIFTING = "Avoid heavy lifting, bending and twisting"


@pytest.fixture
def live_setup() -> Callable[[Flask], Any]:
    """The 22868 pathway (pathways/) published, and a nurse account."""

    def setup(app: Flask) -> None:
        with Session(db.get_engine(app), expire_on_commit=False) as session:
            pathways_22868_version(session, now=utcnow())
        create_staff(app, "nurse", email=EMAIL, password=PASSWORD, name="Nora Nurse")

    return setup


def accessible(tab: Any, what: str) -> None:
    """No axe-core violation at all on the page (any impact)."""
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(tab).response["violations"]
    found = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes'][:3]]}" for v in violations
    ]
    assert not found, f"{what}: {found}"


def entry(tab: Any, section: str, text: str) -> Any:
    """The entry whose text starts with `text` in the list of one section of the page."""
    return tab.locator(f'ul.entries[data-section="{section}"] li.entry', has_text=text)


def nurse_enrolls(tab: Any, server: LiveServer, day: date) -> str:
    """Sign in, register, enroll on 22868 at 08:00 on `day`; the patient page's address."""
    tab.goto(server.path("/nurse/"))
    tab.get_by_label("Email").fill(EMAIL)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(re.compile(r"/nurse/$"))
    accessible(tab, "dashboard")
    tab.get_by_role("link", name="Patients", exact=True).click()
    tab.get_by_role("link", name="Register a patient").click()
    tab.get_by_role(
        "heading", name="Register a patient"
    ).wait_for()  # the click only starts the load
    accessible(tab, "registration form")
    tab.get_by_label("Medical record number (MRN)").fill("MRN-JOURNEY-1")
    tab.get_by_label("Full name").fill("Katherine Johnson")
    tab.get_by_label("Date of birth").fill("1948-08-26")
    tab.get_by_role("button", name="Register").click()
    tab.wait_for_url(re.compile(r"/nurse/patients/\d+$"))
    tab.get_by_role("link", name="Enroll on a pathway").click()
    tab.get_by_label("Pathway").select_option(index=1)
    tab.get_by_role("button", name="Next").click()
    tab.get_by_label("Date", exact=True).wait_for()
    accessible(tab, "enroll form")
    tab.get_by_label("Date", exact=True).fill(day.isoformat())
    tab.get_by_label("Time", exact=True).fill("08:00")
    for box in tab.locator('input[name="confirm"]').all():
        box.check()
    tab.get_by_role("button", name="Enroll").click()
    # Four days ahead, the blood thinner check and the scan are already late: the nurse is told.
    tab.locator("legend", has_text="would already be late").wait_for()
    accessible(tab, "enroll form, items that would start late")
    tab.get_by_role("radio", name=re.compile(r"Give (them|it) until")).check()
    tab.get_by_role("button", name="Enroll").click()
    tab.wait_for_url(re.compile(r"/nurse/patients/\d+\?enrollment=\d+"))
    accessible(tab, "nurse's patient page")
    return str(tab.url)


def nurse_makes_link(tab: Any) -> str:
    """The patient's personal link's token, from the sheet shown once."""
    tab.get_by_role("button", name="Make a personal link").click()
    tab.locator("svg.qr").wait_for()  # the sheet with the new link has loaded
    accessible(tab, "link sheet")
    found = re.search(r"/p/([A-Za-z0-9_-]{20,})", tab.content())
    assert found, "the sheet shows the link"
    return found.group(1)


def patient_acts(tab: Any, home: str) -> None:
    """Tick, undo, "I couldn't do this" with a note, and "yes" to the warning signs."""
    tab.goto(home)
    accessible(tab, "checklist")
    tab.evaluate("window.__sameDocument = true")
    entry(tab, "now", BLOOD_THINNER).get_by_role("button", name="I did this").click()
    entry(tab, "done", BLOOD_THINNER).wait_for()
    accessible(tab, "checklist after a tick")
    entry(tab, "done", BLOOD_THINNER).get_by_role("button", name="Undo").click()
    entry(tab, "now", BLOOD_THINNER).wait_for()  # back where it belongs
    expect(entry(tab, "done", BLOOD_THINNER)).to_have_count(0)
    assert tab.evaluate("window.__sameDocument") is True, "no reload"
    accessible(tab, "checklist after undo")

    scan = entry(tab, "now", SCAN)
    scan.locator("summary", has_text="I couldn't do this").click()
    scan.get_by_label("Tell your care team why (optional)").fill(NOTE)
    scan.get_by_role("button", name="Send").click()
    entry(tab, "not_done", SCAN).wait_for()
    assert NOTE in entry(tab, "not_done", SCAN).inner_text()
    accessible(tab, "checklist after 'I couldn't do this'")


def patient_reports_signs(tab: Any, home: str) -> None:
    tab.goto(home)
    tab.get_by_label("Which one, and since when? (optional)").fill(SIGNS)
    tab.get_by_role("button", name="Yes, I have one of these").click()
    tab.locator(".check-in-yes").wait_for()
    accessible(tab, "checklist after 'yes' to the warning signs")


def nurse_goes(tab: Any, url: str) -> None:
    """Open a nurse page, signing in again if the session has ended meanwhile."""
    tab.goto(url)
    if "/auth/sign-in" in tab.url:
        tab.get_by_label("Email").fill(EMAIL)
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        tab.wait_for_url(re.compile(r"/nurse/"))
        tab.goto(url)


def nurse_sees_alerts(tab: Any, server: LiveServer, *texts: str) -> None:
    nurse_goes(tab, server.path("/nurse/"))
    alerts = tab.locator("section.alerts").inner_text()
    assert all(text in alerts for text in texts), alerts
    accessible(tab, "dashboard with alerts")


def nurse_sees_and_reschedules(tab: Any, server: LiveServer, patient_page: str, day: date) -> None:
    nurse_sees_alerts(tab, server, NOTE)
    nurse_goes(tab, patient_page)
    assert NOTE in tab.content()
    accessible(tab, "nurse's patient page with the note")
    tab.get_by_role("link", name="Reschedule").click()
    tab.get_by_label("Date", exact=True).fill(day.isoformat())
    tab.get_by_label("Time", exact=True).fill("08:00")
    tab.get_by_role("button", name="Preview the changes").click()
    tab.get_by_role("heading", name=re.compile("Move .* procedure")).wait_for()
    accessible(tab, "reschedule preview")
    tab.get_by_role("button", name="Confirm the new time").click()
    tab.wait_for_url(re.compile(r"/nurse/patients/\d+\?enrollment=\d+"))
    accessible(tab, "nurse's patient page after the move")


def check_calendar(tab: Any, home: str) -> None:
    """The calendar file parsed back: do items short events, restrictions all-day, the item
    the patient could not do CANCELLED."""
    response = tab.request.get(home + "/calendar.ics")
    assert response.ok and response.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(response.body()).walk("VEVENT")
    by_text: dict[str, list[Any]] = {}
    for event in events:
        by_text.setdefault(str(event["SUMMARY"]), []).append(event)

    def named(start: str) -> list[Any]:
        return next(found for text, found in by_text.items() if text.startswith(start))

    for event in named(PAIN):  # daily, no clock of its own: short events, never a whole day
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert isinstance(start, datetime) and end - start <= timedelta(minutes=30)
        assert str(event["STATUS"]) == "CONFIRMED"
    assert len(named(PAIN)) == 14  # "for the first 1 to 2 weeks": every day of the 2 weeks
    (lifting,) = named(LIFTING)
    start, end = lifting.decoded("DTSTART"), lifting.decoded("DTEND")
    assert not isinstance(start, datetime) and end - start >= timedelta(days=41)  # 6 weeks
    (scan,) = named(SCAN)
    assert str(scan["STATUS"]) == "CANCELLED"
    assert not [e for e in events if str(e["SUMMARY"]).startswith("Expect some soreness")]


def check_printed_plan(tab: Any, home: str) -> None:
    tab.set_viewport_size(PRINT_PHONE)
    tab.goto(home + "/print")
    accessible(tab, "printed plan")
    wide = tab.evaluate("document.documentElement.scrollWidth")
    assert wide <= PRINT_PHONE["width"], f"the printed plan is {wide}px wide on a phone"
    assert "14 times in all" in tab.content()  # the pain medicine, to its end


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_plan_a_patient_and_a_nurse_see(
    live_server: LiveServer, page: Any, viewport: dict[str, int]
) -> None:
    page.set_viewport_size(viewport)
    today = utcnow().astimezone(ZONE).date()
    first_day, moved_to = today + timedelta(days=4), today + timedelta(days=11)
    patient_page = nurse_enrolls(page, live_server, first_day)
    token = nurse_makes_link(page)

    # The patient, on their own device: no staff cookie.
    context = page.context.browser.new_context(viewport=viewport)
    patient = context.new_page()
    home = live_server.path(f"/p/{token}")
    try:
        patient_acts(patient, home)
        nurse_sees_and_reschedules(page, live_server, patient_page, moved_to)
        patient.goto(home)
        notice = patient.locator(".moved-notice")
        assert f"{first_day.day} {first_day:%b} at 08:00" in notice.inner_text()
        assert f"{moved_to.day} {moved_to:%b} at 08:00" in notice.inner_text()
        accessible(patient, "checklist with the notice of the move")
        patient.get_by_role("button", name="OK, hide this").click()
        expect(patient.locator(".moved-notice")).to_have_count(0)
        check_calendar(patient, home)
        check_printed_plan(patient, home)
        # The day after the new date, the warning signs are asked about.
        after = datetime.combine(moved_to + timedelta(days=1), time(10), tzinfo=ZONE)
        with time_machine.travel(after, tick=True):
            patient_reports_signs(patient, home)
            nurse_sees_alerts(page, live_server, SIGNS)
    finally:
        context.close()
