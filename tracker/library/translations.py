"""Translations of a version's steps (issue 15): imported or entered, reviewed per step,
published with their version.

A translation changes only while its version is a draft; publishing the version publishes the
reviewed ones with it (a published version, translations included, never changes). Changing a
step's words clears its review, so nothing reaches a patient unreviewed. Patients read the
reviewed translation in their language and English for every step without one.
Callers commit (views and commands own the transaction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from tracker import audit
from tracker.errors import DocumentError, InvalidInput, VersionFrozen
from tracker.library import pathways, title_translations
from tracker.library.review import DRAFT, actor_for, frozen, lock_draft, record_change
from tracker.library.review_marks import mark_reviewed, record_new_words
from tracker.library.reviewed_translations import LANGUAGES
from tracker.library.translation_matching import match
from tracker.models import Pathway, PathwayVersion, Step, StepTranslation, TitleTranslation
from tracker.reading.documents import Document

MAX_TEXT = 2000
MAX_TITLE = 500  # what an admin may type; an imported title is as long as its document's
# Invisible characters that could hide words or reorder them (bidirectional overrides).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
FIELDS = ("language", "text", "reviewed_at", "reviewed_by")


@dataclass(frozen=True)
class TranslationResult:
    """What importing one translated document did."""

    path: str
    slug: str
    version: int
    language: str
    matched: int  # steps given words
    changed: int  # of them, new or different words (their review cleared)
    untranslated: int  # steps the document does not cover (edited or added since import)
    title_changed: bool = False  # the title's words are new or different (review cleared)
    # The version is no longer a draft and the document says something else than what was
    # published with it: nothing was written (a new draft takes the new words).
    frozen: str = ""


def translated_name(path: Path) -> tuple[Path, str] | None:
    """For `22868.es.txt`: the English document beside it and the language; else None."""
    found = pathways.TRANSLATED_NAME.fullmatch(path.name)
    if found is None:
        return None
    return path.with_name(f"{found['stem']}.txt"), found["language"].lower()


def import_translation(
    *,
    session: Session,
    english: Document,
    translated: Document,
    language: str,
    now: datetime,
    user_id: int | None = None,
) -> TranslationResult:
    """Attach a translated document's words to the draft of its English document's pathway
    (else, the version published with that text: unchanged, or `frozen` and left alone).

    DocumentError (the translation's file and line) when its bullets do not match the steps,
    or when the language is not one we translate into: nothing is written then."""
    if language not in LANGUAGES:
        raise DocumentError(translated.path, 0, f"{language!r} is not a language we translate into")
    version = _version_for(session, english, translated.path)
    wordings = match(english=english, translated=translated, language=language)
    frozen_as = "" if version.state == DRAFT else str(frozen(version))
    if not frozen_as:
        try:
            version = lock_draft(session, version.id or 0)  # locked: publishing waits for us
        except VersionFrozen as error:  # published a moment ago
            frozen_as = str(error)
    name = Path(translated.path).name
    matched = changed = untranslated = 0
    existing = _by_step(session, version, language)
    for step in pathways.steps_of(session, version):
        wording = wordings.get((step.section, step.line, step.text))
        if wording is None:
            untranslated += 1
            continue
        matched += 1
        row = existing.get(step.id or 0)
        if row is not None and (row.text, row.sentence) == (wording.text, wording.sentence):
            continue
        changed += 1
        if frozen_as:
            continue
        _write(
            session,
            step=step,
            row=row,
            language=language,
            text=wording.text,
            sentence=wording.sentence,
            source=f"{name}:{wording.line}",
            user_id=user_id,
            now=now,
        )
    title = translated.short_name or translated.long_title  # as pathways names a version
    existing_title = title_translations.title_of(session, version.id or 0, language)
    title_changed = existing_title is None or existing_title.title != " ".join(title.split())
    if title_changed and not frozen_as:
        title_translations.write_title(
            session,
            version=version,
            language=language,
            title=title,
            source=name,
            user_id=user_id,
            now=now,
        )
    session.flush()
    pathway = session.get(Pathway, version.pathway_id)
    assert pathway is not None
    return TranslationResult(
        translated.path,
        pathway.slug,
        version.number,
        language,
        matched,
        changed,
        untranslated,
        title_changed,
        frozen_as if changed or title_changed else "",
    )


def save_translation(
    *,
    session: Session,
    step: Step,
    language: str,
    text: str,
    reviewed: bool,
    user_id: int | None,
    now: datetime,
) -> StepTranslation | None:
    """An admin's words for one step (empty words remove its translation); `reviewed` marks
    them checked. VersionFrozen unless the step's version is a draft."""
    version = lock_draft(session, step.version_id)
    words = " ".join(text.split())
    _check(language, words, field="text")
    if len(words) > MAX_TEXT:
        raise InvalidInput("text", "Shorten the translation to %(max)s characters.", max=MAX_TEXT)
    row = _by_step(session, version, language).get(step.id or 0)
    if not words:
        if row is not None:
            record_change(session, user_id, "translation.remove", row, _snapshot(row), None, now)
            session.delete(row)
            session.flush()
        return None
    if row is None or row.text != words:
        row = _write(
            session,
            step=step,
            row=row,
            language=language,
            text=words,
            sentence="" if row is None else row.sentence,
            source=actor_for(user_id),
            user_id=user_id,
            now=now,
        )
    mark_reviewed(
        session,
        row=row,
        reviewed=reviewed,
        user_id=user_id,
        now=now,
        kind="translation",
        fields=FIELDS,
    )
    return row


def save_title(
    *,
    session: Session,
    version_id: int,
    language: str,
    title: str,
    reviewed: bool,
    user_id: int | None,
    now: datetime,
) -> TitleTranslation | None:
    """An admin's words for the version's title (empty removes them); `reviewed` marks them
    checked. VersionFrozen unless the version is a draft."""
    version = lock_draft(session, version_id)
    words = " ".join(title.split())
    _check(language, words, field="title")
    if len(words) > MAX_TITLE:
        raise InvalidInput("title", "Shorten the title to %(max)s characters.", max=MAX_TITLE)
    row = title_translations.write_title(
        session,
        version=version,
        language=language,
        title=words,
        source=actor_for(user_id),
        user_id=user_id,
        now=now,
    )
    if row is not None:
        mark_reviewed(
            session,
            row=row,
            reviewed=reviewed,
            user_id=user_id,
            now=now,
            kind="title",
            fields=title_translations.FIELDS,
        )
    return row


def translations_of(
    session: Session, version: PathwayVersion, language: str
) -> dict[int, StepTranslation]:
    """The version's translations into `language`, by step id (reviewed or not)."""
    return _by_step(session, version, language)


def _version_for(session: Session, english: Document, path: str) -> PathwayVersion:
    """The draft holding the English document's text (imported first), else the newest
    version with that text; a refusal when it was never imported."""
    pathway = pathways.get_pathway(session, pathways.slug_for(english))
    digest = pathways.source_hash(english.text)
    versions = [] if pathway is None else pathways.versions_of(session, pathway)
    same = [v for v in versions if v.source_hash == digest]
    if not same:
        raise DocumentError(path, 0, f"{Path(english.path).name} is not imported: import it first")
    return next((v for v in reversed(same) if v.state == DRAFT), same[-1])


def _check(language: str, words: str, *, field: str) -> None:
    """Refuse words for a language we do not translate into, or with hidden characters."""
    if language not in LANGUAGES:
        raise InvalidInput(
            "language", "%(language)s is not a language we translate into", language=repr(language)
        )
    if _CONTROL.search(words):
        raise InvalidInput(field, "Remove the control characters.")


def _by_step(
    session: Session, version: PathwayVersion, language: str
) -> dict[int, StepTranslation]:
    query = select(StepTranslation).where(
        StepTranslation.version_id == version.id, StepTranslation.language == language
    )
    return {row.step_id: row for row in session.exec(query)}


def _write(
    session: Session,
    *,
    step: Step,
    row: StepTranslation | None,
    language: str,
    text: str,
    sentence: str,
    source: str,
    user_id: int | None,
    now: datetime,
) -> StepTranslation:
    """New or changed words: stored unreviewed, with an audit row."""
    assert step.id is not None
    before = None if row is None else _snapshot(row)
    if row is None:
        row = StepTranslation(
            step_id=step.id, version_id=step.version_id, language=language, text="", updated_at=now
        )
    row.text, row.sentence, row.source, row.updated_at = text, sentence, source, now
    record_new_words(
        session,
        row=row,
        before=before,
        user_id=user_id,
        now=now,
        kind="translation",
        fields=FIELDS,
    )
    return row


def _snapshot(row: StepTranslation) -> dict[str, Any]:
    return audit.snapshot(row, FIELDS)
