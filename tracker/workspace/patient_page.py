"""The nurse's patient page: one enrollment's items, reminders and history, and its timeline.

Everything is read in a fixed handful of indexed queries (no per-item queries); the timeline
is drawn by `tracker.workspace.patient_timeline`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale
from flask_babel import gettext
from markupsafe import Markup
from sqlmodel import Session, col, select

from tracker.i18n import DEFAULT_LANGUAGE, best
from tracker.library import reviewed_translations, title_translations
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
from tracker.workspace.history_fields import field_label, value_label
from tracker.workspace.patient_timeline import ItemView, draw
from tracker.workspace.wording import countdown, display_status, history_words, value_words

AUDIT_ROWS = 100  # newest history rows on the page
REMINDER_ROWS = 200


@dataclass(frozen=True)
class ReminderView:
    reminder: Reminder
    step_text: str


@dataclass(frozen=True)
class AuditView:
    event: AuditEvent
    actor: str
    changes: list[tuple[str, str, str]]  # (field, before, after), in words
    what: str = ""  # the action in words ("Ticked off"); the code stays on `event`


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
    # The language the patient reads (i18n.best) and, in another than English, the steps of
    # the plan with no reviewed translation into it: the patient reads those in English.
    language: str = DEFAULT_LANGUAGE
    in_english: frozenset[int] = frozenset()
    title_in_english: bool = False  # the plan's title has no reviewed translation either

    @property
    def language_name(self) -> str:
        return Locale.parse(self.language).get_display_name(DEFAULT_LANGUAGE) or self.language


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
    zone = ZoneInfo(patient.timezone)
    history = [
        AuditView(ev, _actor(ev.actor, names), _changes(ev, zone, now), history_words(ev.action))
        for ev in events
    ]
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
    language = best(patient.language)
    in_english: frozenset[int] = frozenset()
    title_in_english = False
    if language != DEFAULT_LANGUAGE:
        translated = reviewed_translations.reviewed(session, current.version.id or 0, language)
        in_english = frozenset(step.id or 0 for _, step in rows) - set(translated)
        title = title_translations.reviewed_title(session, current.version.id or 0, language)
        title_in_english = title is None
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
        language,
        in_english,
        title_in_english,
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
        return str(gettext("the patient (personal link)"))
    return actor


def _changes(event: AuditEvent, zone: ZoneInfo, now: datetime) -> list[tuple[str, str, str]]:
    """What changed, in words and on the patient's wall clock (stored values are UTC text)."""
    before, after = event.before or {}, event.after or {}
    return [
        (
            field_label(key),
            value_label(value_words(before.get(key), zone, now)),
            value_label(value_words(after.get(key), zone, now)),
        )
        for key in list(dict.fromkeys([*before, *after]))
    ]
