"""The nurse's patient page: one enrollment's items, reminders and history, and its SVG timeline;
and the nurse marking an item done or not done on the patient's behalf.

Everything is read in a fixed handful of indexed queries (no per-item queries); the timeline
reuses `tracker.workspace.timeline.draw` on an axis of minutes from the procedure start.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlmodel import Session, col, select

from tracker.models import (
    AuditEvent,
    ChecklistItem,
    Enrollment,
    PathwayVersion,
    Patient,
    Reminder,
    Step,
    User,
)
from tracker.workspace import timeline

AUDIT_ROWS = 100  # newest history rows on the page
REMINDER_ROWS = 200
MAX_SEPARATE_OCCURRENCES = 3  # a recurring step with more occurrences is drawn as one row
# Display statuses from most to least in need of attention (a collapsed row shows the first).
URGENCY = ("overdue", "not done", "open", "missed", "upcoming", "done", "skipped", "cancelled")
STORED_STATUS_WORDS = {
    "done": "done",
    "skipped": "skipped",
    "missed": "missed",
    "not_done": "not done",
    "cancelled": "cancelled",
}


def display_status(item: ChecklistItem, now: datetime) -> str:
    """What a nurse should read for an item now: stored statuses, or for pending ones
    upcoming, open, overdue (past due, still worth doing) or missed (past expiry)."""
    return status_word(
        item.status, opens_at=item.opens_at, due_at=item.due_at, expires_at=item.expires_at, now=now
    )


def status_word(
    status: str, *, opens_at: datetime, due_at: datetime, expires_at: datetime | None, now: datetime
) -> str:
    """display_status from the bare columns (for rows read without their model)."""
    if status != "pending":
        return STORED_STATUS_WORDS.get(status, status)
    if expires_at is not None and now >= expires_at:
        return "missed"
    if now > due_at:
        return "overdue"
    return "open" if now >= opens_at else "upcoming"


def css_status(status: str) -> str:
    """A display status as a CSS class, e.g. "not done" -> "status-not-done"."""
    return "status-" + status.replace(" ", "-")


def countdown(start: datetime, end: datetime, now: datetime) -> str:
    """'in 3 days 4 hours', 'under way', or 'ended 2 days ago'."""
    if start <= now < end:
        return "under way"
    if now < start:
        return "in " + _span(start - now)
    return "ended " + _span(now - end) + " ago"


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [(days, "day"), (hours, "hour")] if days else [(hours, "hour"), (minutes, "minute")]
    words = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in parts if n]
    return " ".join(words) or "less than a minute"


@dataclass(frozen=True)
class ItemView:
    """A checklist row: the item, its step, what to call its status, who acted."""

    item: ChecklistItem
    step: Step
    status: str
    acted_by: str

    @property
    def css(self) -> str:
        return css_status(self.status)

    @property
    def label(self) -> str:
        return self.step.text + (f" (#{self.item.occurrence + 1})" if self.step.recurrence else "")


@dataclass(frozen=True)
class ReminderView:
    reminder: Reminder
    step_text: str


@dataclass(frozen=True)
class AuditView:
    event: AuditEvent
    actor: str
    changes: list[tuple[str, str, str]]  # (field, before, after)


@dataclass(frozen=True)
class EnrollmentView:
    enrollment: Enrollment
    version: PathwayVersion
    nurse: str


@dataclass(frozen=True)
class PatientPage:
    """Everything the patient page shows."""

    patient: Patient
    enrollments: list[EnrollmentView]
    current: EnrollmentView | None
    items: list[ItemView]
    reminders: list[ReminderView]
    history: list[AuditView]
    timeline: Markup | None
    countdown: str
    counts: dict[str, int]


def load(
    session: Session, patient: Patient, *, now: datetime, enrollment_id: int | None = None
) -> PatientPage | None:
    """The page for `patient`, showing `enrollment_id` or else the latest active enrollment;
    None when `enrollment_id` is not this patient's."""
    query = (
        select(Enrollment, PathwayVersion)
        .join(PathwayVersion, col(PathwayVersion.id) == Enrollment.version_id)
        .where(Enrollment.patient_id == patient.id)
        .order_by(col(Enrollment.procedure_start).desc(), col(Enrollment.id).desc())
    )
    pairs = list(session.exec(query))
    if enrollment_id is not None:
        chosen = next(((e, v) for e, v in pairs if e.id == enrollment_id), None)
        if chosen is None:
            return None
    else:
        active = [(e, v) for e, v in pairs if e.state == "active"]
        chosen = next(iter(active or pairs), None)
    rows = (
        []
        if chosen is None
        else list(
            session.exec(
                select(ChecklistItem, Step)
                .join(Step, col(Step.id) == ChecklistItem.step_id)
                .where(ChecklistItem.enrollment_id == chosen[0].id)
                .order_by(
                    col(ChecklistItem.due_at), col(Step.position), col(ChecklistItem.occurrence)
                )
            )
        )
    )
    events = _history(session, patient)
    names = _names(
        session,
        [e.nurse_id for e, _ in pairs],
        [*(ev.actor for ev in events), *(item.acted_by for item, _ in rows)],
    )
    enrollments = [EnrollmentView(e, v, names.get(f"user:{e.nurse_id}", "")) for e, v in pairs]
    current = next((view for view in enrollments if chosen and view.enrollment is chosen[0]), None)
    history = [AuditView(ev, _actor(ev.actor, names), _changes(ev)) for ev in events]
    if current is None:
        return PatientPage(patient, enrollments, None, [], [], history, None, "", {})
    items = [
        ItemView(item, step, display_status(item, now), _actor(item.acted_by, names))
        for item, step in rows
    ]
    texts = {item.item.id: item.label for item in items}
    reminders = [
        ReminderView(r, texts.get(r.item_id, ""))
        for r in session.exec(
            select(Reminder)
            .where(Reminder.enrollment_id == current.enrollment.id)
            .order_by(col(Reminder.send_at).desc(), col(Reminder.id).desc())
            .limit(REMINDER_ROWS)
        )
    ]
    enrollment = current.enrollment
    return PatientPage(
        patient,
        enrollments,
        current,
        items,
        reminders,
        history,
        draw(items, enrollment=enrollment, version=current.version, now=now),
        countdown(enrollment.procedure_start, enrollment.procedure_end, now),
        dict(Counter(item.status for item in items)),
    )


def _history(session: Session, patient: Patient) -> list[AuditEvent]:
    query = (
        select(AuditEvent)
        .where(AuditEvent.patient_id == patient.id)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(AUDIT_ROWS)
    )
    return list(session.exec(query))


def _names(
    session: Session, user_ids: Iterable[int | None], actors: Iterable[str]
) -> dict[str, str]:
    """'user:3' -> the user's name (or email), for every user mentioned; one query."""
    ids = {i for i in user_ids if i is not None}
    for actor in actors:
        kind, _, number = actor.partition(":")
        if kind == "user" and number.isdigit():
            ids.add(int(number))
    if not ids:
        return {}
    users = session.exec(select(User.id, User.name, User.email).where(col(User.id).in_(ids)))
    return {f"user:{uid}": name or email for uid, name, email in users}


def _actor(actor: str, names: dict[str, str]) -> str:
    if not actor:
        return ""
    if actor in names:
        return names[actor]
    if actor.startswith("link:"):
        return "the patient (personal link)"
    return actor


def _changes(event: AuditEvent) -> list[tuple[str, str, str]]:
    before, after = event.before or {}, event.after or {}
    return [
        (key, _plain(before.get(key)), _plain(after.get(key)))
        for key in list(dict.fromkeys([*before, *after]))
    ]


def _plain(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) or "none"
    return str(value)


# --- the SVG ---------------------------------------------------------------------------------


def draw(
    items: Sequence[ItemView], *, enrollment: Enrollment, version: PathwayVersion, now: datetime
) -> Markup:
    """Each item's window (opens to due, expiry marked) coloured by status, around the
    procedure, with a line at now. Long-recurring steps are drawn as one row."""
    start = enrollment.procedure_start
    duration = max(int((enrollment.procedure_end - start).total_seconds() // 60), 1)

    def at(moment: datetime) -> float:
        return (moment - start).total_seconds() / 60

    zone = ZoneInfo(enrollment.timezone)
    rows = [_row(group, at, zone) for group in _groups(items)]
    now_at = at(now)
    values = [v for row in rows for v in (row.start, row.end, row.marker) if v is not None]
    values.append(now_at)
    axis = timeline.procedure_axis(duration, before=-min(values), after=max(values) - duration)
    counts = Counter(item.status for item in items)
    summary = ", ".join(f"{n} {status}" for status in URGENCY if (n := counts.get(status)))
    description = (
        f"{len(items)} items ({summary or 'none'}). Times count back from the procedure start "
        "and forward from its end; each bar runs from when an item opens to when it is due, "
        "a diamond marks its expiry, the vertical line marks now. Recurring steps with many "
        "occurrences share one row. The checklist below lists every item."
    )
    marks = [
        timeline.Landmark("procedure", 0, duration, "tl-procedure"),
        timeline.Landmark("now", now_at, None, "tl-now"),
    ]
    return timeline.draw(
        rows,
        axis,
        title=f"Timeline: {version.title}",
        description=description,
        landmarks=marks,
        id_prefix="patient-timeline",
    )


def _urgency(status: str) -> int:
    return URGENCY.index(status) if status in URGENCY else len(URGENCY)


def _groups(items: Sequence[ItemView]) -> list[list[ItemView]]:
    """Items in order, one group each, except a step with many occurrences: one group."""
    by_step: dict[int, list[ItemView]] = {}
    for item in items:
        by_step.setdefault(item.step.id or 0, []).append(item)
    groups: list[list[ItemView]] = []
    seen: set[int] = set()
    for item in items:
        occurrences = by_step[item.step.id or 0]
        if len(occurrences) <= MAX_SEPARATE_OCCURRENCES:
            groups.append([item])
        elif item.step.id not in seen:
            seen.add(item.step.id or 0)
            groups.append(occurrences)
    return groups


def local_text(moment: datetime, zone: ZoneInfo) -> str:
    """E.g. 'Sun 14 Mar 2027, 21:00 EDT': an instant as the patient's wall clock reads it."""
    local = moment.astimezone(zone)
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()}"


def short_text(moment: datetime, zone: ZoneInfo, now: datetime) -> str:
    """E.g. 'Sun 14 Mar, 21:00 EDT' for tables; the year only when it is not this year's."""
    local = moment.astimezone(zone)
    year = "" if local.year == now.astimezone(zone).year else f" {local:%Y}"
    return f"{local:%a %d %b}{year}, {local:%H:%M} {local.tzname()}"


def _row(group: list[ItemView], at: Callable[[datetime], float], zone: ZoneInfo) -> timeline.Row:
    first = group[0]
    critical = " critical" if first.step.critical else ""
    if len(group) == 1:
        item = first.item
        return timeline.Row(
            label=first.label,
            start=at(item.opens_at),
            end=at(item.due_at),
            marker=at(item.expires_at) if item.expires_at else None,
            css_class=f"{first.css}{critical}",
            note=f"{first.label}: {first.status}; opens {local_text(item.opens_at, zone)}, "
            f"due {local_text(item.due_at, zone)}",
        )
    statuses = Counter(view.status for view in group)
    worst = next((status for status in URGENCY if statuses.get(status)), first.status)
    tally = ", ".join(
        f"{n} {status}" for status, n in sorted(statuses.items(), key=lambda p: _urgency(p[0]))
    )
    return timeline.Row(
        label=f"{first.step.text} (×{len(group)})",
        start=at(min(v.item.opens_at for v in group)),
        end=at(max(v.item.due_at for v in group)),
        css_class=f"{css_status(worst)}{critical}",
        note=f"{first.step.text}: {len(group)} occurrences; {tally}",
    )
