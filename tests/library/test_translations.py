"""Step translations (issue 15): a translated document matched to the English steps, the
command that imports it, review and publishing, and the table's migration."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect
from sqlmodel import Session, select

from tests.conftest import POSTGRES_URL, postgres_schema
from tracker import db
from tracker.cli import cli
from tracker.clock import utcnow
from tracker.errors import DocumentError, VersionFrozen
from tracker.library import pathways, review, reviewed_translations, step_edits, translations
from tracker.library.step_fields import StepFields
from tracker.library.translation_matching import match
from tracker.models import Pathway, PathwayVersion, Step, StepTranslation, TitleTranslation
from tracker.reading.documents import parse_document, read_document

PATHWAYS = Path(__file__).resolve().parents[2] / "pathways"
ENGLISH, SPANISH = PATHWAYS / "22868.txt", PATHWAYS / "22868.es.txt"


def _imported(session: Session) -> PathwayVersion:
    result = pathways.import_document(
        session=session, document=read_document(ENGLISH), now=utcnow()
    )
    pathway = pathways.get_pathway(session, result.slug)
    assert pathway is not None
    return pathways.versions_of(session, pathway)[-1]


def _translate(session: Session, translated: Path = SPANISH) -> translations.TranslationResult:
    return translations.import_translation(
        session=session,
        english=read_document(ENGLISH),
        translated=read_document(translated),
        language="es",
        now=utcnow(),
    )


def _words(session: Session, version: PathwayVersion) -> dict[str, StepTranslation]:
    """English step text -> its Spanish translation."""
    steps = {step.id: step.text for step in pathways.steps_of(session, version)}
    rows = translations.translations_of(session, version, "es").values()
    return {steps[row.step_id]: row for row in rows}


def _run(args: list[str], database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {"TRACKER_DATABASE_URL": database_url, "TRACKER_INSTANCE_PATH": str(tmp_path / "inst")}
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)


# --- matching --------------------------------------------------------------------------------


@pytest.mark.both_databases
def test_a_translation_is_matched_to_the_steps_by_position_and_evidence(session: Session) -> None:
    version = _imported(session)
    result = _translate(session)
    session.commit()
    assert (result.matched, result.changed, result.untranslated) == (13, 13, 0)
    words = _words(session, version)
    # A bullet the English reads as two steps ("A; B") gives each its own half...
    fasting = words[next(t for t in words if t.startswith("Stop eating solid food"))]
    fluids = words["Clear fluids are usually allowed up to 2 hours before"]
    assert fasting.text.startswith("Deje de comer alimentos sólidos después de la medianoche")
    assert fluids.text == "Por lo general puede tomar líquidos claros hasta 2 horas antes"
    assert fluids.sentence.startswith("Deje de comer") and fluids.source == "22868.es.txt:17"
    # ...one it reads as one step keeps the whole bullet, ';' and all.
    wound = words[next(t for t in words if t.startswith("Keep the incision clean"))]
    assert "; no la meta en el agua" in wound.text
    assert words["Attend a wound check 10 to 14 days after the procedure"].text == (
        "Vaya a la revisión de la herida entre 10 y 14 días después del procedimiento"
    )
    warning = words[next(t for t in words if t.startswith("Watch for these warning signs"))]
    assert warning.text.startswith("Esté atento a estas señales de alarma: Dolor en la herida")
    assert all(row.reviewed_at is None for row in words.values())  # imported: to review
    # The same document again changes nothing; the English pathway is still one pathway.
    again = _translate(session)
    assert (again.matched, again.changed) == (13, 0)
    assert len(session.exec(select(Pathway)).all()) == 1


def _broken(tmp_path: Path, how: str) -> Path:
    lines = SPANISH.read_text().split("\n")
    if how == "swapped":  # Recovery's first two bullets change places (lines 44 and 45)
        lines[43], lines[44] = lines[44], lines[43]
    elif how == "extra bullet":
        lines.insert(44, "- Descanse mucho.")
    elif how == "parts":  # two steps in English, one part here
        lines[47] = lines[47].replace(";", ",")
    elif how == "heading":
        lines[42] = "Recuperación"
    path = tmp_path / "22868.es.txt"
    path.write_text("\n".join(lines))
    return path


@pytest.mark.parametrize(
    ("how", "where", "problem"),
    [
        ("swapped", ":44: ", "does not say 1, 2: is this bullet in its place?"),
        ("extra bullet", ":43: ", "Recovery has 7 bullets here but 6 in the English document"),
        ("parts", ":48: ", "gives 2 steps: give their translations in the same order"),
        ("heading", ":0: ", "no Recovery section (keep the English section headings"),
    ],
)
def test_a_translation_that_does_not_match_is_refused_where_it_differs(
    session: Session, tmp_path: Path, how: str, where: str, problem: str
) -> None:
    _imported(session)
    with pytest.raises(DocumentError) as raised:
        _translate(session, _broken(tmp_path, how))
    assert where in str(raised.value) and problem in str(raised.value)
    assert str(raised.value).startswith(str(tmp_path / "22868.es.txt"))


# --- the command -----------------------------------------------------------------------------


@pytest.mark.both_databases
def test_import_attaches_a_folders_translation_to_its_english_document(
    database_url: str, session: Session, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(ENGLISH, folder)
    shutil.copy(SPANISH, folder)
    result = _run(["import", str(folder)], database_url, tmp_path)
    assert result.exit_code == 0, result.output
    assert "22868.es.txt: 22868-lumbar" in result.output
    assert (
        "es: 13 steps translated (13 new or changed, to review); "
        "the title new or changed, to review"
    ) in result.output
    assert [p.code for p in session.exec(select(Pathway))] == ["22868"]  # not a new pathway
    assert len(session.exec(select(StepTranslation)).all()) == 13
    [title] = session.exec(select(TitleTranslation)).all()
    assert title.title == "Dispositivo de estabilización interespinosa lumbar, segundo nivel"
    assert (title.source, title.reviewed_at) == ("22868.es.txt", None)


@pytest.mark.both_databases
def test_a_mismatched_translation_gives_one_line_exit_2_and_writes_nothing(
    database_url: str, session: Session, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(ENGLISH, folder)
    _broken(folder, "swapped")
    result = _run(["import", str(folder)], database_url, tmp_path)
    assert result.exit_code == 2
    lines = result.stderr.strip().split("\n")
    assert len(lines) == 1 and lines[0].startswith(f"{folder / '22868.es.txt'}:44: ")
    assert session.exec(select(StepTranslation)).all() == []
    assert len(session.exec(select(Pathway)).all()) == 1  # the English document still imports


def test_a_translation_without_its_english_document_is_refused(
    database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SPANISH, folder)
    result = _run(["import", str(folder / "22868.es.txt")], database_url, tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{folder / '22868.es.txt'}:0: no English document 22868.txt beside it"
    )


# --- review and publishing -------------------------------------------------------------------


@pytest.mark.both_databases
def test_translations_are_reviewed_per_step_and_publish_with_their_version(
    session: Session,
) -> None:
    version = _imported(session)
    _translate(session)
    now = utcnow()
    steps = pathways.steps_of(session, version)
    first, second = steps[0], steps[1]
    translations.save_translation(
        session=session, step=first, language="es", text="", reviewed=False, user_id=None, now=now
    )  # removed: that step will read English
    translations.save_translation(
        session=session,
        step=second,
        language="es",
        text="Puede  tomar líquidos claros hasta 2 horas antes.",
        reviewed=True,
        user_id=None,
        now=now,
    )
    assert set(reviewed_translations.reviewed(session, version.id or 0, "es")) == {second.id}
    # Changing the English sends its translation back for review.
    changed = replace(StepFields.of(second), text="Clear fluids are fine until 2 hours before")
    step_edits.update_step(session=session, step=second, fields=changed, user_id=None, now=now)
    assert reviewed_translations.reviewed(session, version.id or 0, "es") == {}
    translations.save_translation(
        session=session,
        step=second,
        language="es",
        text="Puede tomar líquidos claros hasta 2 horas antes.",
        reviewed=True,
        user_id=None,
        now=now,
    )
    review.publish(session=session, version=version, user_id=None, now=now)
    session.commit()
    with pytest.raises(VersionFrozen):
        translations.save_translation(
            session=session,
            step=second,
            language="es",
            text="x",
            reviewed=True,
            user_id=None,
            now=now,
        )
    # The document again: what was published stays (and nothing is written).
    again = _translate(session)
    assert again.frozen.startswith("v1 is published") and again.changed == 1  # the first step
    assert len(reviewed_translations.reviewed(session, version.id or 0, "es")) == 1
    session.rollback()
    # A new draft keeps the translations as they were reviewed.
    pathway = session.get(Pathway, version.pathway_id)
    assert pathway is not None
    draft = review.start_draft(session=session, pathway=pathway, user_id=None, now=now)
    copied = reviewed_translations.reviewed(session, draft.id or 0, "es")
    assert [row.text for row in copied.values()] == [
        "Puede tomar líquidos claros hasta 2 horas antes."
    ]
    assert len(translations.translations_of(session, draft, "es")) == 12
    # Removing a draft's step takes its translations with it.
    [copy] = [s for s in pathways.steps_of(session, draft) if s.id in copied]
    step_edits.remove_step(session=session, step=copy, user_id=None, now=now + timedelta(seconds=1))
    assert reviewed_translations.reviewed(session, draft.id or 0, "es") == {}
    session.commit()
    assert session.exec(select(Step).where(Step.id == copy.id)).first() is None


# --- migration -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_the_translation_table_goes_down_and_up_again(kind: str, tmp_path: Path) -> None:
    if kind == "sqlite":
        urls = iter([f"sqlite:///{tmp_path / 'm.sqlite3'}"])
    else:
        if not POSTGRES_URL:
            pytest.skip("TRACKER_TEST_POSTGRES_URL is not set")
        urls = postgres_schema(migrate=False)
    for url in urls:
        engine = db.make_engine(url)
        db.upgrade(engine)
        assert "steptranslation" in inspect(engine).get_table_names()
        command.downgrade(db.alembic_config(engine), "0016")
        assert "steptranslation" not in inspect(engine).get_table_names()
        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision()
        indexes = {i["name"] for i in inspect(engine).get_indexes("steptranslation")}
        assert "ix_steptranslation_version_id" in indexes
        command.downgrade(db.alembic_config(engine), "0018")  # titles came a migration later
        tables = set(inspect(engine).get_table_names())
        assert "steptranslation" in tables and "titletranslation" not in tables
        db.upgrade(engine)
        assert "titletranslation" in inspect(engine).get_table_names()
        engine.dispose()


# --- any text ---------------------------------------------------------------------------------

ANY_LINE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)


@settings(max_examples=60, deadline=None)
@given(index=st.integers(0, 56), line=ANY_LINE, more=st.booleans())
def test_any_change_to_a_translation_is_matched_or_refused_with_its_line(
    index: int, line: str, more: bool
) -> None:
    """Whatever a line of the translation becomes (or gains), the matcher gives wordings or a
    DocumentError naming the file; nothing else escapes."""
    lines = SPANISH.read_text().split("\n")
    if more:
        lines.insert(index, line)
    else:
        lines[index] = line
    english = read_document(ENGLISH)
    try:
        translated = parse_document("\n".join(lines), path="22868.es.txt")
        found = match(english=english, translated=translated, language="es")
    except DocumentError as error:
        assert str(error).startswith("22868.es.txt:")
        return
    assert all(wording.text for wording in found.values())


def test_reimporting_after_publishing_keeps_what_was_published(
    database_url: str, session: Session, tmp_path: Path
) -> None:
    """`make run` imports pathways/ on every start: a published version's translation is
    unchanged, or noted and left alone, never a failure."""
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(ENGLISH, folder)
    shutil.copy(SPANISH, folder)
    assert _run(["import", str(folder)], database_url, tmp_path).exit_code == 0
    [pathway] = session.exec(select(Pathway)).all()
    published = _run(
        ["pathways", "publish", pathway.slug, "--allow-unreviewed"], database_url, tmp_path
    )
    assert published.exit_code == 0, published.output
    again = _run(["import", str(folder)], database_url, tmp_path)
    assert again.exit_code == 0 and "es: 13 steps translated (unchanged)" in again.stdout
    edited = SPANISH.read_text().replace("Vaya a la revisión", "Acuda a la revisión")
    (folder / "22868.es.txt").write_text(edited)
    noted = _run(["import", str(folder)], database_url, tmp_path)
    assert noted.exit_code == 0
    assert noted.stderr.strip() == (
        f"{folder / '22868.es.txt'}: not attached: v1 is published: published versions never "
        "change. Start a new draft to make changes."
    )
    session.expire_all()
    assert not any("Acuda" in row.text for row in session.exec(select(StepTranslation)))
