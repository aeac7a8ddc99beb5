"""What a patient reads about each step of a pathway version, read once per published version.

A published (or retired) version never changes, so its steps' texts, the source sentences
behind them and their flags are cached per database and language; drafts are read each time.
In another language a step reads its reviewed translation, else English marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine
from sqlmodel import Session, col, select

from tracker.db import engine_of, orm_session
from tracker.i18n import DEFAULT_LANGUAGE
from tracker.library import reviewed_translations, title_translations
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
    # The text's language when it is not the plan's: "en" for a step without a reviewed
    # translation in a plan read in another language (the page marks it lang="en").
    lang: str = ""


@dataclass(frozen=True)
class Plan:
    """A pathway version as the patient's pages need it."""

    title: str
    steps: dict[int, StepInfo]
    # "en" when the title has no reviewed translation into the plan's language (as StepInfo).
    title_lang: str = ""


# Per database (engine): (version id, language) -> its Plan, for versions that can no longer
# change (their translations are frozen with them).
_PLANS: WeakKeyDictionary[Engine, dict[tuple[int, str], Plan]] = WeakKeyDictionary()


def plan_for(db: Session | Connection, version_id: int, language: str = "en") -> Plan:
    """The version's title and steps in `language` (a supported one, i18n.best), read once
    per database and language for non-draft versions."""
    cache = _PLANS.setdefault(engine_of(db), {})
    plan = cache.get((version_id, language))
    if plan is not None:
        return plan
    with orm_session(db) as session:
        plan, final = _read_plan(session, version_id, language)
    if final:
        cache[(version_id, language)] = plan
    return plan


def _read_plan(session: Session, version_id: int, language: str) -> tuple[Plan, bool]:
    """The version's plan, and whether it can no longer change (not a draft)."""
    version = session.get(PathwayVersion, version_id)
    assert version is not None, version_id
    sentences = source_sentences(version)
    rows = session.exec(
        select(Step).where(Step.version_id == version_id).order_by(col(Step.position))
    )
    english = language == DEFAULT_LANGUAGE
    translated = {} if english else reviewed_translations.reviewed(session, version_id, language)
    steps = {}
    for row in rows:
        assert row.id is not None
        info = StepInfo(
            row.text,
            _why(
                row.text,
                (sentences.get(row.line, "") if row.line else "", row.evidence),
                row.section,
            ),
            row.section,
            row.critical,
            bool(row.recurrence),
            row.asks,
            lang="" if english else DEFAULT_LANGUAGE,
        )
        words = translated.get(row.id)
        if words is not None:  # the translated bullet is its "why"; English evidence is not
            why = _why(words.text, (words.sentence,))
            info = replace(info, text=words.text, why=why, lang="")
        steps[row.id] = info
    title = None if english else title_translations.reviewed_title(session, version_id, language)
    title_lang = "" if english or title is not None else DEFAULT_LANGUAGE
    return Plan(title or version.title, steps, title_lang), version.state != "draft"


def _why(text: str, candidates: tuple[str, ...], section: str = "") -> str:
    """The instruction the step came from, if it adds to the step's own text (a section's
    heading, the source line of the warning signs, never does)."""
    text = _plain(text)
    for candidate in candidates:
        said = " ".join(candidate.split())
        plain = _plain(said)
        if plain and plain not in text and plain != _plain(section):
            return said
    return ""


def _plain(text: str) -> str:
    return " ".join(text.lower().rstrip(".").split())
