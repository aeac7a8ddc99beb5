"""The dashboard's work lists stop at their cap: exact below it, "N+" past it, and read in the
order of an index so the database stops there too (the query plans say so)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import event, select, text, update
from sqlmodel import Session

from tests.enrollment_helpers import custom_version, enroll_patient, make_patient, make_step, rel
from tracker import db
from tracker.models import ChecklistItem, Enrollment, Reminder
from tracker.workspace import dashboard
from tracker.workspace.work_list_pages import Context, ItemRow, Page, ReminderRow

ZONE = ZoneInfo("America/New_York")
NOW = datetime(2027, 3, 10, 15, 0, tzinfo=UTC)  # 10:00 in New York, a Wednesday
PATIENTS = 5


@pytest.fixture
def late(session: Session) -> list[Enrollment]:
    """Five patients, each with a critical tablet due a day before a procedure 1-5 hours from
    NOW (so due NOW - 23 h ... NOW - 19 h, the fifth most recently), one reminder each failed
    1-5 hours ago (the first most recently)."""
    tablet = make_step(
        "Take the tablet",
        kind="medication",
        critical=True,
        opens=rel(minutes=-2 * 1440),
        due=rel(minutes=-1440),
    )
    version = custom_version(session, [tablet], slug="tablet")
    local_now = NOW.astimezone(ZONE).replace(tzinfo=None)
    enrollments = []
    for n in range(1, PATIENTS + 1):
        patient = make_patient(session, now=NOW - timedelta(days=5), name=f"Late {n}")
        enrollments.append(
            enroll_patient(
                session,
                patient=patient,
                version=version,
                start=local_now + timedelta(hours=n),
                now=NOW - timedelta(days=5),
            )
        )
        first = (
            session.execute(
                select(Reminder.id).where(Reminder.enrollment_id == enrollments[-1].id)  # type: ignore[arg-type]
            )
            .scalars()
            .first()
        )
        session.execute(
            update(Reminder)
            .where(Reminder.id == first)  # type: ignore[arg-type]
            .values(status="failed", send_at=NOW - timedelta(hours=n), last_error="550")
        )
    session.commit()
    return enrollments


def _context(cap: int) -> Context:
    return Context(NOW, ZONE, cap=cap)


def _names(page: Page) -> list[str]:
    return [row.patient_name for row in page.rows if isinstance(row, ItemRow | ReminderRow)]


@pytest.mark.both_databases
@pytest.mark.parametrize("name", ["overdue", "critical", "reminders"])
def test_below_the_cap_a_list_is_exact(session: Session, late: list[Enrollment], name: str) -> None:
    page = dashboard.work_list(session, name, _context(cap=PATIENTS), limit=2)
    assert (page.total, page.capped, page.total_label) == (PATIENTS, False, str(PATIENTS))
    assert len(page.rows) == 2 and page.has_more


@pytest.mark.both_databases
def test_past_the_cap_the_list_says_n_plus_and_keeps_the_most_recent(
    session: Session, late: list[Enrollment]
) -> None:
    overdue = dashboard.work_list(session, "overdue", _context(cap=3))
    assert (overdue.total, overdue.capped, overdue.total_label) == (3, True, "3+")
    # The three most recently due (procedures 3, 4, 5 hours ahead), longest overdue first.
    assert _names(overdue) == ["Late 3", "Late 4", "Late 5"]
    critical = dashboard.work_list(session, "critical", _context(cap=3))
    assert critical.total_label == "3+"
    assert _names(critical) == ["Late 3", "Late 4", "Late 5"]  # soonest procedure first
    reminders = dashboard.work_list(session, "reminders", _context(cap=3))
    assert reminders.total_label == "3+"
    assert _names(reminders) == ["Late 1", "Late 2", "Late 3"]  # newest first


@pytest.mark.both_databases
def test_pages_stop_at_the_cap(session: Session, late: list[Enrollment]) -> None:
    first = dashboard.work_list(session, "overdue", _context(cap=3), limit=2)
    assert (len(first.rows), first.has_more, first.total_label) == (2, True, "3+")
    second = dashboard.work_list(session, "overdue", _context(cap=3), offset=2, limit=2)
    assert (len(second.rows), second.has_more) == (1, False)
    assert _names(first) + _names(second) == ["Late 3", "Late 4", "Late 5"]


@pytest.mark.both_databases
def test_ties_are_broken_by_id_so_pages_neither_repeat_nor_skip(
    session: Session, late: list[Enrollment]
) -> None:
    """The page is ordered among the candidates outside SQL: rows equal in every column the
    list sorts by still come in one order, the item's id, page after page."""
    due, expires = NOW - timedelta(hours=2), NOW + timedelta(hours=6)
    session.execute(update(ChecklistItem).values(due_at=due, expires_at=expires))
    session.execute(update(Enrollment).values(procedure_start=NOW + timedelta(hours=3)))
    session.commit()
    ids = sorted(session.execute(select(ChecklistItem.id)).scalars())
    for name in ("overdue", "critical"):
        pages = [
            dashboard.work_list(session, name, _context(cap=PATIENTS), offset=offset, limit=2)
            for offset in (0, 2, 4)
        ]
        shown = [row.item_id for page in pages for row in page.rows if isinstance(row, ItemRow)]
        assert shown == ids, name
        assert [page.total_label for page in pages] == [str(PATIENTS)] * 3


@pytest.mark.both_databases
@pytest.mark.parametrize("offset", [PATIENTS, PATIENTS + 3])
def test_a_page_past_the_end_is_empty_and_still_counts(
    session: Session, late: list[Enrollment], offset: int
) -> None:
    beyond = dashboard.work_list(session, "overdue", _context(cap=3), offset=offset, limit=2)
    assert (beyond.rows, beyond.total_label, beyond.has_more) == ([], "3+", False)
    exact = dashboard.work_list(session, "reminders", _context(cap=9), offset=offset, limit=2)
    assert (exact.rows, exact.total_label) == ([], str(PATIENTS))


def test_the_dashboard_shows_n_plus_past_the_cap(session: Session, late: list[Enrollment]) -> None:
    pages = dashboard.dashboard(session, _context(cap=4), rows=2)
    assert {name: page.total_label for name, page in pages.items()} == {
        "today": "4+",  # the five procedures start 1-5 hours after 10:00
        "tomorrow": "0",
        "overdue": "4+",
        "critical": "4+",
        "reminders": "4+",
    }
    assert all(len(page.rows) == 2 and page.has_more for page in pages.values() if page.total)


def test_procedures_today_count_up_to_the_cap(session: Session, late: list[Enrollment]) -> None:
    yesterday = Context(NOW - timedelta(days=1), ZONE, cap=4)
    assert dashboard.work_list(session, "today", yesterday).total_label == "0"
    assert dashboard.work_list(session, "tomorrow", yesterday).total_label == "4+"
    exact = dashboard.work_list(session, "today", _context(cap=PATIENTS), limit=2)
    assert (exact.total_label, len(exact.rows)) == (str(PATIENTS), 2)


def _plan(app: Flask, session: Session, name: str) -> tuple[list[str], list[str]]:
    """SQLite's plan for the one statement a capped page of the list runs: the steps that read
    its candidates (the `firsts` it counts and pages from), and all of its steps."""
    statements: list[tuple[str, Any]] = []
    engine = db.get_engine(app)

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        page = dashboard.work_list(session, name, _context(cap=2), limit=1)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert page.capped  # so the count was read too
    assert len(statements) == 1  # the page and the count together
    raw = session.connection().connection.driver_connection
    assert raw is not None
    statement, parameters = statements[0]
    rows = raw.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
    roots = {
        node for node, _, _, detail in rows if detail in ("MATERIALIZE firsts", "CO-ROUTINE firsts")
    }
    assert roots, rows
    inside = set(roots)
    for node, parent, _, _ in rows:  # parents come before their children
        if parent in inside:
            inside.add(node)
    firsts = [detail for node, _, _, detail in rows if node in inside - roots]
    return firsts, [detail for *_, detail in rows]


@pytest.mark.parametrize(
    ("name", "index", "table"),
    [
        ("overdue", "ix_item_unconfirmed_due", "checklistitem"),
        ("critical", "ix_item_unconfirmed_due", "checklistitem"),
        ("reminders", "ix_reminder_problems", "reminder"),
        ("today", "ix_enrollment_procedure_start", "enrollment"),
    ],
)
def test_lists_read_an_index_in_order_and_never_sort_the_whole_window(
    app: Flask, session: Session, late: list[Enrollment], name: str, index: str, table: str
) -> None:
    session.execute(text("ANALYZE"))
    candidates, steps = _plan(app, session, name)
    assert any(index in step for step in candidates), steps
    # Ordering ties by id is fine; sorting every candidate is what grew with size.
    assert "USE TEMP B-TREE FOR ORDER BY" not in candidates, steps
    # Only the shown rows are joined to their display columns, each found by its id.
    assert any(f"SEARCH {table} USING INTEGER PRIMARY KEY" in step for step in steps), steps


def test_items_of_cancelled_enrollments_are_not_candidates(
    session: Session, late: list[Enrollment]
) -> None:
    session.execute(
        update(Enrollment).where(Enrollment.id == late[-1].id).values(state="cancelled")  # type: ignore[arg-type]
    )
    session.commit()
    overdue = dashboard.work_list(session, "overdue", _context(cap=3))
    assert _names(overdue) == ["Late 2", "Late 3", "Late 4"]
    statuses = session.execute(select(ChecklistItem.status)).scalars().all()
    assert set(statuses) == {"pending"}


@pytest.mark.both_databases
def test_alerts_keep_the_newest_and_say_there_are_more(
    session: Session, late: list[Enrollment]
) -> None:
    shown = dashboard.alerts(session, _context(cap=200), rows=3)
    assert (len(shown), shown.capped, shown.total_label) == (3, True, "3+")
    assert [alert.patient_name for alert in shown] == ["Late 1", "Late 2", "Late 3"]
    every = dashboard.alerts(session, _context(cap=200), rows=PATIENTS)
    assert (every.total_label, every.capped) == (str(PATIENTS), False)
    assert [alert.kind for alert in every] == ["reminder_failed"] * PATIENTS
