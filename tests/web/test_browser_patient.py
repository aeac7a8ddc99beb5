"""The patient's journey in Chromium on a phone: open the link, tick, untick, "I couldn't",
keyboard only, without JavaScript, axe on every patient page, and the nurse sees it all."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.auth_helpers import PASSWORD, create_staff
from tests.browser_helpers import (  # noqa: F401
    LiveServer,
    blocking_violations,
    live_server_fixture,
    page_fixture,
)
from tests.enrollment_helpers import custom_version, enroll_patient, make_patient, make_step, rel
from tracker.clock import utcnow
from tracker.db import get_engine, session_scope
from tracker.patient.links import issue_link

PHONE = {"width": 390, "height": 844}
ZOOMED = {"width": 195, "height": 422}  # the phone at 200% zoom, in CSS pixels
MIN_TARGET = 44
RIDE, LEAFLET, FAST = "Book a ride home", "Read the leaflet", "Stop eating"


@pytest.fixture
def journey() -> dict[str, Any]:
    return {}


@pytest.fixture
def live_setup(journey: dict[str, Any]) -> Any:
    def setup(app: Flask) -> None:
        journey["nurse"], _ = create_staff(app, "nurse")
        now = utcnow()
        zone = ZoneInfo("America/New_York")
        # On the hour, three days ahead; `fold` names which 01:00 the night clocks go back.
        ahead = (now + timedelta(days=3)).astimezone(zone)
        start = ahead.replace(tzinfo=None, minute=0, second=0, microsecond=0)
        with session_scope(get_engine(app)) as session:
            version = custom_version(
                session,
                [
                    make_step(RIDE, opens=rel(days=-7), due=rel(days=-1)),
                    make_step(LEAFLET, kind="logistics", opens=rel(days=-7), due=rel(days=-2)),
                    make_step(
                        FAST,
                        kind="fasting",
                        critical=True,
                        opens=rel(days=-1, clock="20:00"),
                        due=rel(),
                        expires=rel(),
                    ),
                ],
                now=now,
            )
            patient = make_patient(session, birth_date=date(1957, 3, 27), now=now)
            enrollment = enroll_patient(
                session, patient=patient, version=version, start=start, fold=ahead.fold, now=now
            )
            _, revoked = issue_link(session=session, enrollment=enrollment, now=now, actor="t")
            _, token = issue_link(session=session, enrollment=enrollment, now=now, actor="t")
            journey.update(
                token=token, revoked=revoked, patient_id=patient.id, enrollment_id=enrollment.id
            )

    return setup


def assert_no_axe_violations(page: Any, what: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    summary = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
    ]
    assert not summary, f"{what}: {summary}"


def entry(page: Any, text: str) -> Any:
    return page.locator("li.entry", has=page.locator(".entry-text", has_text=text)).first


def small_targets(page: Any) -> list[str]:
    """Visible controls smaller than 44x44 CSS pixels."""
    found: list[str] = page.evaluate(
        """(min) => Array.from(document.querySelectorAll(
               'main a, main button, main summary, main input, main textarea'))
             .filter(el => { const r = el.getBoundingClientRect();
                             return r.width > 0 && r.height > 0 && r.left >= 0; })
             .filter(el => { const r = el.getBoundingClientRect();
                             return r.width < min || r.height < min; })
             .map(el => el.outerHTML.slice(0, 80))""",
        MIN_TARGET,
    )
    return found


def test_patient_journey(live_server: LiveServer, page: Any, journey: dict[str, Any]) -> None:
    page.set_viewport_size(PHONE)
    url = live_server.path(f"/p/{journey['token']}")
    page.goto(url)
    expect(page.locator("h2", has_text="To do now")).to_be_visible()
    assert_no_axe_violations(page, "checklist")
    assert small_targets(page) == []
    page.evaluate("window.noReload = true")

    # Tick with a tap: the item changes in place, no page load.
    entry(page, RIDE).get_by_role("button", name="I did this").click()
    ride = entry(page, RIDE)
    ride.get_by_role("button", name="Undo").wait_for()
    assert "status-done" in (ride.get_attribute("class") or "")
    assert page.locator("#announce").text_content() in ("", f"Ticked off: {RIDE}")
    # The ticked item moved to "Done" at once; undone, it goes back to "To do now".
    listed = 'ul[data-section="{}"] li.entry'
    expect(page.locator(listed.format("done"), has_text=RIDE)).to_have_count(1)
    ride.get_by_role("button", name="Undo").click()
    entry(page, RIDE).get_by_role("button", name="I did this").wait_for()
    expect(page.locator(listed.format("now"), has_text=RIDE)).to_have_count(1)
    expect(page.locator(listed.format("done"), has_text=RIDE)).to_have_count(0)
    # "I couldn't do this", with a note: listed under "Not done", never under "Done".
    leaflet = entry(page, LEAFLET)
    leaflet.locator("summary").click()
    leaflet.get_by_label("Tell your care team why").fill("I lost it")
    leaflet.get_by_role("button", name="Send").click()
    entry(page, LEAFLET).get_by_text("Your note: I lost it").wait_for()
    expect(page.locator(listed.format("not_done"), has_text=LEAFLET)).to_be_visible()
    expect(page.locator(listed.format("done"), has_text=LEAFLET)).to_have_count(0)
    assert page.evaluate("window.noReload") is True
    assert_no_axe_violations(page, "checklist after acting")
    assert page.context.cookies() == []  # patient pages and their posts set none

    # Keyboard only: Tab to the ride's button and press Enter.
    page.goto(url)
    target = entry(page, RIDE).get_by_role("button", name="I did this")
    for _ in range(40):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the ride's button is not reachable by Tab")
    page.keyboard.press("Enter")
    undo = entry(page, RIDE).get_by_role("button", name="Undo")
    undo.wait_for()
    assert undo.evaluate("el => el === document.activeElement")  # focus stays on the item

    # Readable at 200% zoom: nothing wider than the screen.
    page.set_viewport_size(ZOOMED)
    page.goto(url)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.set_viewport_size(PHONE)

    # The other patient pages.
    page.goto(url + "/print")
    expect(page.locator("svg.qr")).to_be_visible()
    assert_no_axe_violations(page, "printable plan")
    page.goto(live_server.path(f"/p/{journey['revoked']}"))
    expect(page.locator("h1", has_text="This link no longer works")).to_be_visible()
    assert_no_axe_violations(page, "revoked link")
    page.goto(live_server.path("/p/" + "Z" * 43))
    assert_no_axe_violations(page, "unknown link")
    live_server.app.config["PATIENT_DOB_CHECK"] = True
    try:
        page.goto(url)
        assert_no_axe_violations(page, "date of birth")
        page.get_by_label("Day").fill("1")
        page.get_by_label("Month").fill("1")
        page.get_by_label("Year").fill("1957")
        page.get_by_role("button", name="Continue").click()
        page.get_by_text("does not match").wait_for()
        assert_no_axe_violations(page, "date of birth, wrong")
        page.get_by_label("Day").fill("27")
        page.get_by_label("Month").fill("3")
        page.get_by_role("button", name="Continue").click()
        page.locator("h2", has_text="To do now").wait_for()
    finally:
        live_server.app.config["PATIENT_DOB_CHECK"] = False

    # Without JavaScript the same buttons post and the page reloads.
    context = page.context.browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        plain = context.new_page()
        plain.goto(url)
        entry(plain, RIDE).get_by_role("button", name="Undo").click()
        plain.get_by_text(f"Undone: {RIDE}").wait_for()
        entry(plain, RIDE).get_by_role("button", name="I did this").click()
        plain.get_by_text(f"Ticked off: {RIDE}").wait_for()
        expect(entry(plain, RIDE).get_by_role("button", name="Undo")).to_be_visible()
        expect(plain.locator("ul.coming li", has_text=FAST)).to_be_visible()
        # The confirmation came from the page's address and the database: no cookie.
        assert context.cookies() == []
        query = parse_qs(urlsplit(plain.url).query)  # the item and the action, never a text
        assert query["saved"] == ["done"] and query["item"][0].isdigit() and len(query) == 2
    finally:
        context.close()

    # The nurse sees what the patient did.
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(live_server.path("/auth/sign-in"))
    page.get_by_label("Email").fill(journey["nurse"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.path(f"/nurse/patients/{journey['patient_id']}"))
    ride_row = page.locator("tr[id^=item-]", has_text=RIDE)
    assert (
        "done" in ride_row.inner_text() and "the patient (personal link)" in ride_row.inner_text()
    )
    leaflet_row = page.locator("tr[id^=item-]", has_text=LEAFLET)
    assert "not done" in leaflet_row.inner_text()
    expect(page.get_by_role("heading", name="Patient's personal link")).to_be_visible()
    # Replacing the link shows the new one to print, with its QR code.
    page.get_by_role("button", name="Replace the link (the old one stops working)").click()
    page.locator("svg.qr").wait_for()
    assert blocking_violations(page) == []
    new_link = page.locator("#link-copy").input_value()
    assert new_link.startswith("http://127.0.0.1:5000/p/") and journey["token"] not in new_link
    page.goto(url)
    expect(page.locator("h1", has_text="This link no longer works")).to_be_visible()
