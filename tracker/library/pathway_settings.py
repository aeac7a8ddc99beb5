"""A pathway's own times for what its document leaves unsaid: the usual arrival lead and stay.

They are read into each version as it is derived from the document (import, re-import); a
version keeps the times it was read with, so a change applies to versions read after it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from tracker import audit
from tracker.errors import N_, InvalidInput
from tracker.models import Pathway
from tracker.reading.steps import MAX_ARRIVAL_MINUTES, MAX_STAY_DAYS, Settings

FIELDS = ("arrival_minutes", "stay_days")
# field -> its largest value (the smallest is 0) and what it is, for the refusal
LIMITS = {
    "arrival_minutes": (
        MAX_ARRIVAL_MINUTES,
        N_("must be a whole number from 0 to %(highest)s (minutes before the start)"),
    ),
    "stay_days": (MAX_STAY_DAYS, N_("must be a whole number from 0 to %(highest)s (nights)")),
}


def settings_of(pathway: Pathway) -> Settings:
    """The reader's settings for this pathway's documents."""
    return Settings(arrival_minutes=pathway.arrival_minutes, stay_days=pathway.stay_days)


def change_settings(
    *,
    session: Session,
    pathway: Pathway,
    arrival_minutes: int | None = None,
    stay_days: int | None = None,
    user_id: int | None,
    now: datetime,
) -> bool:
    """Set the given settings (None keeps one); True when something changed, which is audited.

    InvalidInput (naming the field) for a value out of range: nothing is changed then."""
    wanted = {"arrival_minutes": arrival_minutes, "stay_days": stay_days}
    for name, value in wanted.items():
        highest, refusal = LIMITS[name]
        if value is not None and (type(value) is not int or not 0 <= value <= highest):
            raise InvalidInput(name, refusal, highest=highest)
    before = audit.snapshot(pathway, FIELDS)
    for name, value in wanted.items():
        if value is not None:
            setattr(pathway, name, value)
    session.add(pathway)
    session.flush()
    old, new = audit.changes(before, audit.snapshot(pathway, FIELDS))
    if not new:
        return False
    audit.record(
        session=session,
        actor=f"user:{user_id}" if user_id is not None else "system",
        action="pathway.settings",
        subject=pathway,
        before=old,
        after=new,
        patient_id=None,
        now=now,
    )
    return True
