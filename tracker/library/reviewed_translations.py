"""The reviewed translations of a version's steps: what patients may read (issue 15).

Read-only: the checklist, the printed plan and the calendar ask for a version's reviewed
steps, the reminders word each step in its patient's language in SQL, and the admin's pages
count them. Writing and reviewing them is `tracker.library.translations`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from tracker import i18n
from tracker.models import StepTranslation

# Languages a step can be translated into: the supported ones other than the source language.
LANGUAGES = tuple(language for language in i18n.SUPPORTED if language != i18n.DEFAULT_LANGUAGE)


def reviewed(session: Session, version_id: int, language: str) -> dict[int, StepTranslation]:
    """Step id -> its reviewed translation into `language` (what patients may read)."""
    query = select(StepTranslation).where(
        StepTranslation.version_id == version_id,
        StepTranslation.language == language,
        col(StepTranslation.reviewed_at).is_not(None),
    )
    return {row.step_id: row for row in session.exec(query)}


def reviewed_counts(session: Session, version_id: int) -> dict[str, int]:
    """Reviewed translations per language, every translated-into language listed."""
    query = (
        sa_select(col(StepTranslation.language), func.count())
        .where(
            col(StepTranslation.version_id) == version_id,
            col(StepTranslation.reviewed_at).is_not(None),
        )
        .group_by(col(StepTranslation.language))
    )
    found = {str(language): int(n) for language, n in session.execute(query)}
    return {language: found.get(language, 0) for language in LANGUAGES}


def patient_step_text(
    step_id: Any, step_text: Any, language: Any, skip: ColumnElement[bool]
) -> ColumnElement[str]:
    """A query's column: the step's reviewed translation for a patient whose language tag is
    `language` ('es' or 'es-MX' read Spanish, as i18n.best does), else the English text;
    English where `skip` holds (a message to the care team)."""
    translated = (
        sa_select(col(StepTranslation.text))
        .where(
            col(StepTranslation.step_id) == step_id,
            col(StepTranslation.reviewed_at).is_not(None),
            or_(
                col(StepTranslation.language) == func.lower(language),
                func.lower(language).like(col(StepTranslation.language) + "-%"),
            ),
        )
        .limit(1)
        .scalar_subquery()
    )
    return case((skip, step_text), else_=func.coalesce(translated, step_text))
