"""The nurse dashboard: work lists (procedures, overdue, critical, reminder problems) and alerts.

Each list reads its candidates in the order of an index (procedures by start, items and
reminders newest first) and stops at the cap (work_list_pages.LIST_CAP), orders them the way a
nurse works through them, and joins only the rows shown to their display columns (one
statement a list, with its count; none per row). So a list costs what it shows: with 10,000
or 100,000 active enrollments the dashboard reads about the same rows. The lists' queries are
in procedure_lists, item_lists and reminder_lists.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlmodel import Session

from tracker.i18n import N_
from tracker.reminders import escalation
from tracker.workspace import item_lists, procedure_lists, reminder_lists
from tracker.workspace.alerts import care_team_alerts
from tracker.workspace.work_list_pages import PAGE_SIZE, Context, Page, WorkList

PREVIEW_ROWS = 8  # rows of each list shown on the dashboard itself
ALERT_ROWS = 20  # the newest care-team alerts shown; a failing mail server can raise thousands


# name -> list; the dashboard shows them in this order and each has its own page. Titles
# and empty notes are msgids, translated where shown (templates/nurse).
WORK_LISTS: dict[str, WorkList] = {
    spec.name: spec
    for spec in (
        WorkList(
            "today",
            N_("Today's procedures"),
            N_("No procedures today."),
            "procedures",
            procedure_lists.procedures_on(0),
        ),
        WorkList(
            "tomorrow",
            N_("Tomorrow's procedures"),
            N_("No procedures tomorrow."),
            "procedures",
            procedure_lists.procedures_on(1),
        ),
        WorkList(
            "overdue", N_("Overdue items"), N_("Nothing overdue."), "items", item_lists.overdue
        ),
        WorkList(
            "critical",
            N_("Critical items not confirmed"),
            N_("Every critical item is confirmed."),
            "items",
            item_lists.critical,
        ),
        WorkList(
            "reminders",
            N_("Failed or expired reminders"),
            N_("No reminder problems."),
            "reminders",
            reminder_lists.reminder_problems,
        ),
    )
}


def work_list(
    session: Session, name: str, context: Context, *, offset: int = 0, limit: int = PAGE_SIZE
) -> Page:
    """One page of the named list (see WORK_LISTS)."""
    return WORK_LISTS[name].fetch(session, context, offset, limit)


def dashboard(session: Session, context: Context, *, rows: int = PREVIEW_ROWS) -> dict[str, Page]:
    """The first rows and the size (up to the cap) of every work list."""
    return {name: spec.fetch(session, context, 0, rows) for name, spec in WORK_LISTS.items()}


@dataclass(frozen=True)
class Alerts:
    """The newest care-team alerts on the dashboard; `capped` when there are more. Iterates
    and measures like the list of alerts it holds."""

    rows: list[escalation.Alert]
    capped: bool

    def __iter__(self) -> Iterator[escalation.Alert]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def total_label(self) -> str:
        """How many, as shown: "3", or "20+" when older ones are left out."""
        return f"{len(self.rows)}+" if self.capped else str(len(self.rows))


def alerts(session: Session, context: Context, *, rows: int = ALERT_ROWS) -> Alerts:
    """The newest `rows` alerts (tracker.workspace.alerts) the filters let through:
    read newest first and stopped there, so their cost does not grow with the backlog."""
    filters = context.filters
    found = care_team_alerts(
        session,
        context.now,
        pathway_id=filters.pathway_id,
        nurse_id=filters.nurse_id,
        limit=rows + 1,
    )
    return Alerts(found[:rows], capped=len(found) > rows)
