"""A version's title in another language (issue 15): the heading of the patient's page, their
printed plan and their calendar.

It follows the rules of the step translations (`translations`): written by a person, imported
from the translated document's name of the procedure or entered by an admin, changed only
while the version is a draft, shown to patients only once reviewed, audited.
Callers commit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from tracker import audit
from tracker.library.review import record_change
from tracker.library.review_marks import record_new_words
from tracker.models import PathwayVersion, TitleTranslation

FIELDS = ("language", "title", "reviewed_at", "reviewed_by")


def title_of(session: Session, version_id: int, language: str) -> TitleTranslation | None:
    """The version's title in `language`, reviewed or not."""
    query = select(TitleTranslation).where(
        TitleTranslation.version_id == version_id, TitleTranslation.language == language
    )
    return session.exec(query).first()


def reviewed_title(session: Session, version_id: int, language: str) -> str | None:
    """The title patients reading `language` see, when a reviewed one exists."""
    query = select(TitleTranslation.title).where(
        TitleTranslation.version_id == version_id,
        TitleTranslation.language == language,
        col(TitleTranslation.reviewed_at).is_not(None),
    )
    return session.exec(query).first()


def reviewed_title_languages(session: Session, version_id: int) -> frozenset[str]:
    """The languages the version's title has a reviewed translation into."""
    query = select(TitleTranslation.language).where(
        TitleTranslation.version_id == version_id,
        col(TitleTranslation.reviewed_at).is_not(None),
    )
    return frozenset(session.exec(query))


def write_title(
    session: Session,
    *,
    version: PathwayVersion,
    language: str,
    title: str,
    source: str,
    user_id: int | None,
    now: datetime,
) -> TitleTranslation | None:
    """New or different words for the title, stored unreviewed (the same words keep their
    review); empty words remove it. The caller has checked that the version is a draft."""
    assert version.id is not None
    words = " ".join(title.split())
    row = title_of(session, version.id, language)
    if not words:
        if row is not None:
            record_change(session, user_id, "title.remove", row, _snapshot(row), None, now)
            session.delete(row)
            session.flush()
        return None
    if row is not None and row.title == words:
        return row
    before = None if row is None else _snapshot(row)
    if row is None:
        row = TitleTranslation(version_id=version.id, language=language, title="", updated_at=now)
    row.title, row.source, row.updated_at = words, source, now
    record_new_words(
        session, row=row, before=before, user_id=user_id, now=now, kind="title", fields=FIELDS
    )
    return row


def _snapshot(row: TitleTranslation) -> dict[str, Any]:
    return audit.snapshot(row, FIELDS)
