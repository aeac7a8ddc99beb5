"""What a patient reads about each step of a pathway version, read once per published version.

A published (or retired) version never changes, so its steps' texts, the source sentences
behind them and their flags are cached per database; drafts are read each time.
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine
from sqlmodel import Session, col, select

from tracker.db import engine_of, orm_session
from tracker.library.review import source_sentences
from tracker.models import PathwayVersion, Step


@dataclass(frozen=True)
class StepInfo:
    """What the patient reads about a step; fixed for a published version."""

    text: str
    why: str  # the source sentence or evidence, when it says more than the text
    section: str
    critical: bool
    recurring: bool
    asks: str = "do"  # do | avoid | know | watch (reading.steps)


@dataclass(frozen=True)
class Plan:
    """A pathway version as the patient's pages need it."""

    title: str
    steps: dict[int, StepInfo]


# Per database (engine): version id -> its Plan, for versions that can no longer change.
_PLANS: WeakKeyDictionary[Engine, dict[int, Plan]] = WeakKeyDictionary()


def plan_for(db: Session | Connection, version_id: int) -> Plan:
    """The version's title and steps, read once per database for non-draft versions."""
    cache = _PLANS.setdefault(engine_of(db), {})
    plan = cache.get(version_id)
    if plan is not None:
        return plan
    with orm_session(db) as session:
        plan, final = _read_plan(session, version_id)
    if final:
        cache[version_id] = plan
    return plan


def _read_plan(session: Session, version_id: int) -> tuple[Plan, bool]:
    """The version's plan, and whether it can no longer change (not a draft)."""
    version = session.get(PathwayVersion, version_id)
    assert version is not None, version_id
    sentences = source_sentences(version)
    rows = session.exec(
        select(Step).where(Step.version_id == version_id).order_by(col(Step.position))
    )
    plan = Plan(
        version.title,
        {
            row.id: StepInfo(
                row.text,
                _why(row, sentences),
                row.section,
                row.critical,
                bool(row.recurrence),
                row.asks,
            )
            for row in rows
            if row.id is not None
        },
    )
    return plan, version.state != "draft"


def _why(step: Step, sentences: dict[int, str]) -> str:
    """The instruction the step came from, if it adds to the step's own text."""
    text = _plain(step.text)
    for candidate in (sentences.get(step.line, "") if step.line else "", step.evidence):
        said = " ".join(candidate.split())
        plain = _plain(said)
        if plain and plain not in text and plain != _plain(step.section):
            return said
    return ""


def _plain(text: str) -> str:
    return " ".join(text.lower().rstrip(".").split())
