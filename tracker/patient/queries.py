"""The checklist page's queries, built once: they run on every view of a patient's page.

`PAGE_AND_INBOX` returns, in one row, the items the page shows (the database picks the
latest done ones and counts the rest) and the latest reminders sent, each packed into one
JSON value (tracker.patient.packed_rows says why); `ITEMS` packs all of an enrollment's items.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    DateTime,
    Select,
    bindparam,
    func,
    literal_column,
    null,
    type_coerce,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlmodel import col

from tracker.models import ChecklistItem, Reminder
from tracker.patient.driver_query import DriverQuery
from tracker.patient.packed_rows import json_rows

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
    (and its "c" row carries the count of the enrollment's items in `id`)."""

    id: int
    step_id: int
    opens_at: datetime
    due_at: datetime
    expires_at: datetime | None
    status: str
    note: str
    acted_at: datetime | None
    part: str = ""


# Where ItemRow's datetimes are (the packed rows carry them as text).
ITEM_TIMES = tuple(n for n, name in enumerate(ItemRow._fields) if name.endswith("_at"))
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


def _part(name: str, *where: Any) -> Select[Any]:
    """The enrollment's (uncancelled) items matching `where`, tagged with a page part."""
    return sa_select(*ITEM_COLUMNS, literal_column(f"'{name}'").label("part")).where(
        col(ChecklistItem.enrollment_id) == bindparam("enrollment"),
        col(ChecklistItem.status) != "cancelled",
        *where,
    )


_OVER = ~_PENDING | (_EXPIRES <= _NOW)  # done, not done, skipped or missed
_LATEST_OVER = (
    _part("d", _OVER)
    .order_by(func.coalesce(_ACTED, _EXPIRES, _DUE).desc(), _DUE, col(ChecklistItem.id))
    .limit(bindparam("done_shown"))
    .subquery("latest_over")
)
_NONE = type_coerce(null(), DateTime())
# Every item, counted (in `id`): what the page does not list is this count less what it does,
# and a plain count is cheaper than counting the later and the over ones apart.
_COUNTED: Select[Any] = sa_select(
    func.count(),
    null(),
    _NONE,
    _NONE,
    _NONE,
    null(),
    null(),
    _NONE,
    literal_column("'c'").label("part"),
).where(
    col(ChecklistItem.enrollment_id) == bindparam("enrollment"),
    col(ChecklistItem.status) != "cancelled",
)
# Built once: it runs on every page view. Only the rows the page shows come back, in due
# order: "v" open now or coming within the listed days, "d" the latest done or over, "t"
# today's (for the "2 of 4 today" counts), and one "c" row counting them all; plain rows, no
# ORM objects, one round trip.
_PAGE = union_all(
    _part("v", _LIVE, _OPENS < _WEEK_ENDS),
    sa_select(_LATEST_OVER),
    _part("t", _OPENS >= _TODAY_STARTS, _OPENS < _TODAY_ENDS),
    _COUNTED,
).subquery("page_rows")
_SENT_STATUS: Any = literal_column("'sent'")
_SENT_ROWS = (
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
    # 'sent' written into the SQL, not bound: SQLite uses a partial index (ix_reminder_sent)
    # only when the query's condition is literally the index's.
    .where(
        col(Reminder.enrollment_id) == bindparam("enrollment"), col(Reminder.status) == _SENT_STATUS
    )
    .order_by(col(Reminder.sent_at).desc(), col(Reminder.id).desc())
    .limit(bindparam("inbox_rows"))
    .subquery("sent")
)
# The latest sent reminders with their item's step (None for a cancelled item).
_SENT = (
    sa_select(
        _SENT_ROWS.c.item_id,
        _SENT_ROWS.c.purpose,
        _SENT_ROWS.c.at,
        col(ChecklistItem.step_id),
        _SENT_ROWS.c.id,
    )
    .select_from(_SENT_ROWS)
    .outerjoin(
        ChecklistItem,
        (col(ChecklistItem.id) == _SENT_ROWS.c.item_id)
        & (col(ChecklistItem.status) != "cancelled"),
    )
    .subquery("inbox_rows")
)
# Built once: it runs on every page view. Both parts packed, one round trip, one row.
PAGE_AND_INBOX = DriverQuery(
    sa_select(
        sa_select(json_rows(*_PAGE.c)).scalar_subquery().label("items"),
        sa_select(json_rows(*_SENT.c)).scalar_subquery().label("inbox"),
    ),
    required=(
        "enrollment",
        "now",
        "week_ends",
        "today_starts",
        "today_ends",
        "done_shown",
        "inbox_rows",
    ),
)
