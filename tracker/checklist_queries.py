"""The checklist page's queries, built once: they run on every view of a patient's page.

`PAGE_AND_INBOX` returns, in one row, the items the page shows (the database picks the
latest done ones and counts the rest) and the latest reminders sent, each packed into one
JSON value (tracker.packed_rows says why); `ITEMS` packs all of an enrollment's items.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    DateTime,
    Select,
    bindparam,
    case,
    func,
    literal_column,
    null,
    type_coerce,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlalchemy.sql.selectable import ScalarSelect
from sqlmodel import col

from tracker.driver_query import DriverQuery
from tracker.models import ChecklistItem, PatientLink, Reminder
from tracker.packed_rows import json_rows
from tracker.patient_links import by_token

INBOX_ROWS = 20  # the latest reminder rows the short page shows (all of them on the full one)


# Times come back naive (UTC) and skip the aware-datetime column type: the page compares
# dozens of them per view and converts only the few it shows.
ITEM_COLUMNS = (
    col(ChecklistItem.id),
    col(ChecklistItem.step_id),
    type_coerce(col(ChecklistItem.opens_at), DateTime()),
    type_coerce(col(ChecklistItem.due_at), DateTime()),
    type_coerce(col(ChecklistItem.expires_at), DateTime()),
    col(ChecklistItem.status),
    col(ChecklistItem.note),
    type_coerce(col(ChecklistItem.acted_at), DateTime()),
)


class ItemRow(NamedTuple):
    """An item as the page reads it: times naive UTC; `part` says where the page query put it
    (and its "c" row carries two counts in `id` and `step_id`)."""

    id: int
    step_id: int
    opens_at: datetime
    due_at: datetime
    expires_at: datetime | None
    status: str
    note: str
    acted_at: datetime | None
    part: str = ""


ITEM_TIMES = (2, 3, 4, 7)  # where ItemRow's datetimes are
_ITEMS_OF = (
    sa_select(*ITEM_COLUMNS)
    .where(
        col(ChecklistItem.enrollment_id) == bindparam("enrollment"),
        col(ChecklistItem.status) != "cancelled",
    )
    .subquery("items")
)
# Built once: every item (the single item view and the printed plan), packed.
ITEMS = sa_select(json_rows(*_ITEMS_OF.c))
_NOW = bindparam("now", type_=DateTime())
_WEEK_ENDS = bindparam("week_ends", type_=DateTime())
_TODAY_STARTS = bindparam("today_starts", type_=DateTime())
_TODAY_ENDS = bindparam("today_ends", type_=DateTime())
_OPENS = type_coerce(col(ChecklistItem.opens_at), DateTime())
_DUE = type_coerce(col(ChecklistItem.due_at), DateTime())
_EXPIRES = type_coerce(col(ChecklistItem.expires_at), DateTime())
_ACTED = type_coerce(col(ChecklistItem.acted_at), DateTime())
_PENDING = col(ChecklistItem.status) == "pending"
_LIVE = _PENDING & (_EXPIRES.is_(None) | (_EXPIRES > _NOW))  # pending, not past its expiry


_OVER = ~_PENDING | (_EXPIRES <= _NOW)  # done, not done, skipped or missed
_NONE = type_coerce(null(), DateTime())
_Id = Any  # the enrollment id: a bound parameter, or a subquery giving it


def _part(enrollment: _Id, name: str, *where: Any) -> Select[Any]:
    """The enrollment's (uncancelled) items matching `where`, tagged with a page part."""
    return sa_select(*ITEM_COLUMNS, literal_column(f"'{name}'").label("part")).where(
        col(ChecklistItem.enrollment_id) == enrollment,
        col(ChecklistItem.status) != "cancelled",
        *where,
    )


def _page_rows(enrollment: _Id) -> ScalarSelect[Any]:
    """Only the rows the page shows, packed: "v" open now or coming within the listed days,
    "d" the latest done or over, "t" today's (for the "2 of 4 today" counts), and one "c" row
    counting the rest: items coming later (in `id`), every done or over one (in `step_id`)."""
    latest_over = (
        _part(enrollment, "d", _OVER)
        .order_by(func.coalesce(_ACTED, _EXPIRES, _DUE).desc(), _DUE, col(ChecklistItem.id))
        .limit(bindparam("done_shown"))
        .subquery("latest_over")
    )
    hidden: Select[Any] = sa_select(
        func.count(case((_LIVE & (_OPENS >= _WEEK_ENDS), 1))),
        func.count(case((_OVER, 1))),
        _NONE,
        _NONE,
        _NONE,
        null(),
        null(),
        _NONE,
        literal_column("'c'").label("part"),
    ).where(
        col(ChecklistItem.enrollment_id) == enrollment,
        col(ChecklistItem.status) != "cancelled",
    )
    page = union_all(
        _part(enrollment, "v", _LIVE, _OPENS < _WEEK_ENDS),
        sa_select(latest_over),
        _part(enrollment, "t", _OPENS >= _TODAY_STARTS, _OPENS < _TODAY_ENDS),
        hidden,
    ).subquery("page_rows")
    return sa_select(json_rows(*page.c)).scalar_subquery()


def _inbox_rows(enrollment: _Id) -> ScalarSelect[Any]:
    """The latest sent reminders with their item's step (None for a cancelled item), packed."""
    sent = (
        sa_select(
            col(Reminder.item_id).label("item_id"),
            col(Reminder.purpose).label("purpose"),
            func.coalesce(
                type_coerce(col(Reminder.sent_at), DateTime()),
                type_coerce(col(Reminder.send_at), DateTime()),
            ).label("at"),
            col(Reminder.sent_at).label("sent_at"),
            col(Reminder.id).label("id"),
        )
        .where(col(Reminder.enrollment_id) == enrollment, col(Reminder.status) == "sent")
        .order_by(col(Reminder.sent_at).desc(), col(Reminder.id).desc())
        .limit(bindparam("inbox_rows"))
        .subquery("sent")
    )
    with_steps = (
        sa_select(sent.c.item_id, sent.c.purpose, sent.c.at, col(ChecklistItem.step_id), sent.c.id)
        .select_from(sent)
        .outerjoin(
            ChecklistItem,
            (col(ChecklistItem.id) == sent.c.item_id) & (col(ChecklistItem.status) != "cancelled"),
        )
        .subquery("inbox_rows")
    )
    return sa_select(json_rows(*with_steps.c)).scalar_subquery()


PAGE_PARAMETERS = (
    "now",
    "week_ends",
    "today_starts",
    "today_ends",
    "done_shown",
    "inbox_rows",
)
# Built once: they run on every page view, one round trip, one row. By enrollment id (the
# page's rows and the inbox, packed) ...
PAGE_AND_INBOX = DriverQuery(
    sa_select(
        _page_rows(bindparam("enrollment")).label("items"),
        _inbox_rows(bindparam("enrollment")).label("inbox"),
    ),
    required=("enrollment", *PAGE_PARAMETERS),
)
# ... and by a link's token: the link, enrollment and patient first (tracker.patient_links),
# so opening the page is a single query. The parts find the enrollment through the token
# themselves (an uncorrelated subquery: the database looks it up once).
_LINKED = (
    sa_select(col(PatientLink.enrollment_id))
    .where(col(PatientLink.token_hash) == bindparam("token_hash"))
    .scalar_subquery()
)
PAGE_BY_TOKEN = DriverQuery(
    by_token(_page_rows(_LINKED).label("items"), _inbox_rows(_LINKED).label("inbox")),
    required=("token_hash", *PAGE_PARAMETERS),
)
