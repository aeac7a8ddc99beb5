"""Reviewing pathway versions: edit, add and remove steps, publish, retire, start drafts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from tracker import errors
from tracker.accounts import create_user
from tracker.errors import InvalidStep, ReviewError, VersionFrozen
from tracker.library import pathways, review, step_edits, step_fields
from tracker.library.step_fields import StepFields
from tracker.models import (
    AuditEvent,
    ChecklistItem,
    Enrollment,
    Pathway,
    PathwayVersion,
    Step,
    User,
)
from tracker.reading.documents import read_document
from tracker.reading.timing import Recurrence, RelTime
from tracker.reading.wording import at_bedtime

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


@pytest.fixture
def admin(session: Session) -> User:
    user, _ = create_user(
        session=session,
        email="admin@example.org",
        role="admin",
        password="correct horse battery",
        now=NOW,
    )
    session.commit()
    return user


@pytest.fixture
def draft(session: Session, seed_path: Path) -> PathwayVersion:
    """The seed document imported as draft v1."""
    result = pathways.import_document(session=session, document=read_document(seed_path), now=NOW)
    session.commit()
    pathway = pathways.get_pathway(session, result.slug)
    assert pathway is not None
    return pathways.versions_of(session, pathway)[-1]


def _uid(user: User) -> int:
    assert user.id is not None
    return user.id


def _events(session: Session, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
    return list(session.exec(query).all())


def _fields(**changes: object) -> StepFields:
    base = StepFields(
        section="preparation",
        text="Stop eating solid food",
        kind="fasting",
        critical=True,
        conditional=False,
        opens=RelTime(anchor="start", days=-1, clock="21:00"),
        due=RelTime(anchor="start"),
        expires=None,
        recurrence=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _pathway(session: Session, version: PathwayVersion) -> Pathway:
    pathway = session.get(Pathway, version.pathway_id)
    assert pathway is not None
    return pathway


@pytest.mark.both_databases
def test_update_step_makes_the_admins_word_certain_and_audits_the_change(
    session: Session, draft: PathwayVersion, admin: User
) -> None:
    step = pathways.steps_of(session, draft)[0]
    old_text = step.text
    step_edits.update_step(
        session=session, step=step, fields=_fields(), user_id=_uid(admin), now=NOW
    )
    session.commit()

    session.refresh(step)
    assert (step.text, step.kind, step.critical) == ("Stop eating solid food", "fasting", True)
    assert (step.confidence, step.rule) == (1.0, "edited by admin")
    assert RelTime.from_dict(step.opens) == RelTime(anchor="start", days=-1, clock="21:00")
    [event] = _events(session, "step.update")
    assert (event.actor, event.subject_type, event.subject_id) == (
        f"user:{admin.id}",
        "step",
        step.id,
    )
    assert event.before is not None and event.after is not None
    assert event.before["text"] == old_text and event.after["text"] == "Stop eating solid food"
    assert event.after["rule"] == "edited by admin"
    assert event.at == NOW


@pytest.mark.both_databases
def test_text_is_stored_exactly_as_typed(session: Session, draft: PathwayVersion) -> None:
    step = pathways.steps_of(session, draft)[0]
    text = '<script>alert("x")</script> & <b>bold</b>'
    step_edits.update_step(
        session=session, step=step, fields=_fields(text=text), user_id=None, now=NOW
    )
    session.commit()
    session.refresh(step)
    assert step.text == text
    assert _events(session, "step.update")[0].actor == "system"


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"due": RelTime(anchor="start", days=-2)}, "due"),
        ({"expires": RelTime(anchor="start", days=-3)}, "expires"),
        (
            {
                "recurrence": Recurrence(
                    rule="FREQ=DAILY;BYHOUR=8,14,20;BYMINUTE=0",  # 3 times a day
                    until=RelTime(anchor="start", days=-5),
                )
            },
            "until",
        ),
        ({"kind": "nonsense"}, "kind"),
        ({"section": "benefits"}, "section"),
        ({"text": "   "}, "text"),
        ({"text": "x" * (step_fields.MAX_TEXT + 1)}, "text"),
    ],
)
def test_fields_that_do_not_fit_are_refused_and_nothing_changes(
    session: Session, draft: PathwayVersion, changes: dict[str, object], field: str
) -> None:
    step = pathways.steps_of(session, draft)[0]
    before = step.model_dump()
    with pytest.raises(InvalidStep) as raised:
        step_edits.update_step(
            session=session, step=step, fields=_fields(**changes), user_id=None, now=NOW
        )
    assert raised.value.field == field and raised.value.message
    session.rollback()
    session.refresh(step)
    assert step.model_dump() == before
    assert _events(session, "step.update") == []


def test_clock_times_count_as_a_whole_day_when_ordering_the_window() -> None:
    # 21:00 the evening before may well be earlier than "2 hours before the start".
    fields = _fields(
        opens=RelTime(anchor="start", days=-1, clock="21:00"),
        due=RelTime(anchor="start", minutes=-120),
    )
    step_fields.check_fields(fields, duration_minutes=60)
    # Recovery anchored at the end is after a preparation step at the start.
    step_fields.check_fields(
        _fields(opens=RelTime(anchor="start", minutes=-30), due=RelTime(anchor="end")),
        duration_minutes=60,
    )
    with pytest.raises(InvalidStep):
        step_fields.check_fields(
            _fields(opens=RelTime(anchor="end"), due=RelTime(anchor="start", minutes=-1)),
            duration_minutes=60,
        )


@pytest.mark.both_databases
def test_add_step_appends_it_certain_and_audited(
    session: Session, draft: PathwayVersion, admin: User
) -> None:
    count = len(pathways.steps_of(session, draft))
    step = step_edits.add_step(
        session=session, version=draft, fields=_fields(), user_id=_uid(admin), now=NOW
    )
    session.commit()
    steps = pathways.steps_of(session, draft)
    assert len(steps) == count + 1 and steps[-1].id == step.id
    assert (step.confidence, step.rule, step.line, step.evidence) == (1.0, "added by admin", 0, "")
    [event] = _events(session, "step.add")
    assert event.before is None and event.after is not None
    assert event.after["text"] == "Stop eating solid food"


@pytest.mark.both_databases
def test_remove_step_deletes_it_and_keeps_its_values_in_the_audit_row(
    session: Session, draft: PathwayVersion, admin: User
) -> None:
    step = pathways.steps_of(session, draft)[0]
    step_id, text = step.id, step.text
    step_edits.remove_step(session=session, step=step, user_id=_uid(admin), now=NOW)
    session.commit()
    assert session.get(Step, step_id) is None
    [event] = _events(session, "step.remove")
    assert event.subject_id == step_id and event.after is None
    assert event.before is not None and event.before["text"] == text


@pytest.mark.both_databases
def test_publish_freezes_the_version(session: Session, draft: PathwayVersion, admin: User) -> None:
    review.publish(session=session, version=draft, user_id=_uid(admin), now=NOW)
    session.commit()
    assert (draft.state, draft.published_at, draft.published_by) == ("published", NOW, admin.id)
    assert pathways.published_version(session, _pathway(session, draft)) == draft
    [event] = _events(session, "version.publish")
    assert event.before == {"state": "draft", "published_at": None, "published_by": None}
    assert event.after is not None and event.after["state"] == "published"

    step = pathways.steps_of(session, draft)[0]
    before = step.model_dump()
    with pytest.raises(VersionFrozen, match="never change"):
        step_edits.update_step(
            session=session, step=step, fields=_fields(), user_id=None, now=LATER
        )
    with pytest.raises(VersionFrozen):
        step_edits.add_step(
            session=session, version=draft, fields=_fields(), user_id=None, now=LATER
        )
    with pytest.raises(VersionFrozen):
        step_edits.remove_step(session=session, step=step, user_id=None, now=LATER)
    with pytest.raises(VersionFrozen):
        review.publish(session=session, version=draft, user_id=None, now=LATER)
    session.rollback()
    session.refresh(step)
    assert step.model_dump() == before


@pytest.mark.both_databases
def test_an_empty_draft_cannot_be_published(session: Session, draft: PathwayVersion) -> None:
    for step in pathways.steps_of(session, draft):
        step_edits.remove_step(session=session, step=step, user_id=None, now=NOW)
    with pytest.raises(ReviewError, match="no steps"):
        review.publish(session=session, version=draft, user_id=None, now=NOW)


@pytest.mark.both_databases
def test_start_draft_copies_the_published_steps_and_publishing_it_retires_the_old_one(
    session: Session, draft: PathwayVersion, admin: User
) -> None:
    review.publish(session=session, version=draft, user_id=_uid(admin), now=NOW)
    session.commit()
    pathway = _pathway(session, draft)
    v2 = review.start_draft(session=session, pathway=pathway, user_id=_uid(admin), now=LATER)
    session.commit()
    assert (v2.number, v2.state, v2.source_hash) == (2, "draft", draft.source_hash)
    old_steps, new_steps = pathways.steps_of(session, draft), pathways.steps_of(session, v2)
    assert [s.text for s in new_steps] == [s.text for s in old_steps]
    assert {s.id for s in new_steps}.isdisjoint({s.id for s in old_steps})
    [event] = _events(session, "version.draft")
    assert event.after == {"number": 2, "state": "draft", "copied_from": 1, "steps": len(old_steps)}

    with pytest.raises(errors.DraftExists) as exists:
        review.start_draft(session=session, pathway=pathway, user_id=None, now=LATER)
    assert exists.value.version.id == v2.id
    session.rollback()

    # Editing the copy leaves the published version alone.
    step_edits.update_step(
        session=session, step=new_steps[0], fields=_fields(), user_id=None, now=LATER
    )
    review.publish(session=session, version=v2, user_id=_uid(admin), now=LATER)
    session.commit()
    session.refresh(draft)
    assert (draft.state, v2.state) == ("retired", "published")
    assert pathways.published_version(session, pathway) == v2
    assert pathways.steps_of(session, draft)[0].text == old_steps[0].text
    published = session.exec(select(PathwayVersion).where(PathwayVersion.state == "published"))
    assert len(published.all()) == 1
    retired = _events(session, "version.retire")
    assert [(e.subject_id, e.after) for e in retired] == [(draft.id, {"state": "retired"})]


@pytest.mark.both_databases
def test_retire_hides_the_version_from_published_lookups(
    session: Session, draft: PathwayVersion
) -> None:
    review.publish(session=session, version=draft, user_id=None, now=NOW)
    review.retire(session=session, version=draft, user_id=None, now=LATER)
    session.commit()
    pathway = _pathway(session, draft)
    assert draft.state == "retired"
    assert pathways.published_version(session, pathway) is None
    summary = next(s for s in pathways.summaries(session) if s.pathway.id == pathway.id)
    assert summary.published is None
    with pytest.raises(VersionFrozen, match="already retired"):
        review.retire(session=session, version=draft, user_id=None, now=LATER)
    session.rollback()
    # A new draft copies the latest version when none is published.
    v2 = review.start_draft(session=session, pathway=pathway, user_id=None, now=LATER)
    assert len(pathways.steps_of(session, v2)) == len(pathways.steps_of(session, draft))


@pytest.mark.both_databases
def test_enrollments_stay_pinned_to_their_version(session: Session, draft: PathwayVersion) -> None:
    from tests.enrollment_helpers import enroll_patient

    review.publish(session=session, version=draft, user_id=None, now=NOW)
    session.commit()
    enrollment = enroll_patient(session, version=draft, now=NOW)
    items = session.exec(
        select(ChecklistItem).where(ChecklistItem.enrollment_id == enrollment.id)
    ).all()
    before = sorted((i.step_id, i.due_at) for i in items)

    v2 = review.start_draft(
        session=session, pathway=_pathway(session, draft), user_id=None, now=LATER
    )
    step_edits.update_step(
        session=session,
        step=pathways.steps_of(session, v2)[0],
        fields=_fields(),
        user_id=None,
        now=LATER,
    )
    review.publish(session=session, version=v2, user_id=None, now=LATER)
    session.commit()

    stored = session.get(Enrollment, enrollment.id)
    assert stored is not None and stored.version_id == draft.id
    items = session.exec(
        select(ChecklistItem).where(ChecklistItem.enrollment_id == enrollment.id)
    ).all()
    assert sorted((i.step_id, i.due_at) for i in items) == before


@pytest.mark.both_databases
def test_source_sentences_map_each_step_line_to_its_bullet(
    session: Session, draft: PathwayVersion
) -> None:
    sentences = review.source_sentences(draft)
    for step in pathways.steps_of(session, draft):
        if step.line:
            assert step.line in sentences
            if step.evidence:
                assert step.evidence.lower() in sentences[step.line].lower()
    broken = PathwayVersion.model_validate({**draft.model_dump(), "source_text": "one\n\ntwo"})
    assert review.source_sentences(broken) == {1: "one", 3: "two"}


def test_repetition_follows_timings_rules_and_keeps_what_the_editor_cannot_show() -> None:
    until = RelTime(anchor="end", days=14)
    assert step_fields.repetition("times_per_week", 1, until=until).rule == "FREQ=WEEKLY"
    assert step_fields.repetition("times_per_week", 3, until=until).rule == (
        "FREQ=WEEKLY;BYDAY=MO,WE,FR"
    )
    assert step_fields.repetition("every_minutes", 120, until=until).every_minutes == 120
    four = step_fields.repetition("times_per_day", 4, until=until)
    assert (four.rule, four.times_per_day) == ("FREQ=DAILY;BYHOUR=8,12,16,20;BYMINUTE=0", 4)

    nightly = Recurrence("FREQ=DAILY;INTERVAL=2;BYHOUR=22;BYMINUTE=0", until)
    assert step_fields.repeat_choice(nightly) == ("times_per_day", 1)
    later = RelTime(anchor="end", days=21)
    kept = step_fields.repetition("times_per_day", 1, until=later, keep=nightly)
    assert kept == replace(nightly, until=later)
    changed = step_fields.repetition("times_per_day", 2, until=later, keep=nightly)
    assert not at_bedtime(changed) and changed.times_per_day == 2


def test_split_step_turns_a_merged_instruction_back_into_a_step(
    session: Session, draft: PathwayVersion, admin: User
) -> None:
    steps = pathways.steps_of(session, draft)
    step = steps[0]
    pieces = [
        {"section": "recovery", "line": 30, "text": "Managing pain with medications"},
        {"section": "patient experience", "line": 41, "text": "prescribed pain relief"},
    ]
    step.merged = pieces
    session.add(step)
    session.commit()
    separate = step_edits.split_step(
        session=session, step=step, index=1, user_id=_uid(admin), now=LATER
    )
    session.commit()
    assert step.merged == pieces[:1]
    assert (separate.section, separate.line, separate.text) == (
        "patient experience",
        41,
        "prescribed pain relief",
    )
    assert (separate.opens, separate.due, separate.asks) == (step.opens, step.due, step.asks)
    assert separate.rule == step_edits.SPLIT_RULE and separate.merged == []
    assert pathways.steps_of(session, draft)[-1].id == separate.id
    events = session.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    assert [e.action for e in events][-2:] == ["step.update", "step.split"]
    assert events[-1].after is not None and events[-1].after["from"] == step.id
    with pytest.raises(ReviewError):
        step_edits.split_step(session=session, step=step, index=1, user_id=_uid(admin), now=LATER)
    session.rollback()
    review.publish(session=session, version=draft, user_id=_uid(admin), now=LATER)
    session.commit()
    with pytest.raises(VersionFrozen):
        step_edits.split_step(session=session, step=step, index=0, user_id=_uid(admin), now=LATER)


def test_a_new_draft_keeps_what_each_step_asks_and_its_merges(
    session: Session, draft: PathwayVersion, admin: User
) -> None:
    step = pathways.steps_of(session, draft)[0]
    step.asks, step.merged = "watch", [{"section": "recovery", "line": 3, "text": "x"}]
    session.add(step)
    review.publish(session=session, version=draft, user_id=_uid(admin), now=LATER)
    pathway = session.get(Pathway, draft.pathway_id)
    assert pathway is not None
    copy = review.start_draft(session=session, pathway=pathway, user_id=_uid(admin), now=LATER)
    first = pathways.steps_of(session, copy)[0]
    assert (first.asks, first.merged) == ("watch", step.merged)
