"""An admin's translation of a version's title and steps: one form for each (the words, and
whether they are reviewed), beside the English. Translations change only while the version is
a draft and publish with it; patients read only the reviewed ones."""

# Flask-WTF and WTForms ship no type information.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

from dataclasses import dataclass

from babel import Locale
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length

from tracker import errors
from tracker.auth import current_staff, require_admin_for_blueprint
from tracker.clock import utcnow
from tracker.db import get_session
from tracker.i18n import DEFAULT_LANGUAGE
from tracker.library import pathways, reviewed_translations, title_translations, translations
from tracker.models import Step, StepTranslation
from tracker.web.admin import SEE_OTHER, UNPROCESSABLE, version_or_404

bp = Blueprint("translating", __name__, url_prefix="/admin")
require_admin_for_blueprint(bp)


class TranslationForm(FlaskForm):
    text = TextAreaField(validators=[Length(max=translations.MAX_TEXT)])
    reviewed = BooleanField()


class TitleForm(FlaskForm):
    title = StringField(validators=[Length(max=translations.MAX_TITLE)])
    reviewed = BooleanField()


@dataclass(frozen=True)
class Row:
    """A step beside its translation, and the form that changes it."""

    number: int
    step: Step
    translation: StepTranslation | None
    form: TranslationForm


@bp.get("/pathways/<slug>/v<int:number>/translations/<language>")
def page(slug: str, number: int, language: str) -> str:
    return _page(slug, number, language, errors_for=None)


@bp.post("/pathways/<slug>/v<int:number>/translations/<language>/steps/<int:step_id>")
def save(slug: str, number: int, language: str, step_id: int) -> Response | tuple[str, int]:
    """Save one step's words and review mark (empty words remove the translation)."""
    pathway, found = version_or_404(slug, number)
    _language_or_404(language)
    session = get_session()
    step = session.get(Step, step_id)
    if step is None or step.version_id != found.id:
        abort(404)
    form = TranslationForm()
    if not form.validate():
        return _page(slug, number, language, errors_for=(step_id, form)), UNPROCESSABLE
    try:
        translations.save_translation(
            session=session,
            step=step,
            language=language,
            text=form.text.data or "",
            reviewed=bool(form.reviewed.data),
            user_id=_user_id(),
            now=utcnow(),
        )
    except errors.VersionFrozen as error:
        session.rollback()
        abort(409, description=error.translated)
    except errors.InvalidInput as error:
        session.rollback()
        form.text.errors = [*form.text.errors, error.translated]
        return _page(slug, number, language, errors_for=(step_id, form)), UNPROCESSABLE
    session.commit()
    flash(_("Translation saved."), "success")
    target = url_for(
        "translating.page",
        slug=pathway.slug,
        number=number,
        language=language,
        _anchor=f"t-{step_id}",
    )
    return redirect(target, SEE_OTHER)


@bp.post("/pathways/<slug>/v<int:number>/translations/<language>/title")
def save_title(slug: str, number: int, language: str) -> Response | tuple[str, int]:
    """Save the title's words and review mark (empty words remove the translation)."""
    pathway, found = version_or_404(slug, number)
    _language_or_404(language)
    session = get_session()
    form = TitleForm()
    if not form.validate():
        return _page(slug, number, language, errors_for=None, title_form=form), UNPROCESSABLE
    try:
        translations.save_title(
            session=session,
            version_id=found.id or 0,
            language=language,
            title=form.title.data or "",
            reviewed=bool(form.reviewed.data),
            user_id=_user_id(),
            now=utcnow(),
        )
    except errors.VersionFrozen as error:
        session.rollback()
        abort(409, description=error.translated)
    except errors.InvalidInput as error:
        session.rollback()
        form.title.errors = [*form.title.errors, error.translated]
        return _page(slug, number, language, errors_for=None, title_form=form), UNPROCESSABLE
    session.commit()
    flash(_("Title saved."), "success")
    target = url_for(
        "translating.page", slug=pathway.slug, number=number, language=language, _anchor="t-title"
    )
    return redirect(target, SEE_OTHER)


def _page(
    slug: str,
    number: int,
    language: str,
    *,
    errors_for: tuple[int, TranslationForm] | None,
    title_form: TitleForm | None = None,
) -> str:
    pathway, found = version_or_404(slug, number)
    _language_or_404(language)
    session = get_session()
    steps = pathways.steps_of(session, found)
    existing = translations.translations_of(session, found, language)
    rows = []
    for position, step in enumerate(steps, start=1):
        words = existing.get(step.id or 0)
        if errors_for is not None and errors_for[0] == step.id:
            form = errors_for[1]
        else:
            data = {
                "text": words.text if words else "",
                "reviewed": bool(words and words.reviewed_at),
            }
            form = TranslationForm(formdata=None, data=data)
        rows.append(Row(position, step, words, form))
    title = title_translations.title_of(session, found.id or 0, language)
    if title_form is None:
        data = {
            "title": title.title if title else "",
            "reviewed": bool(title and title.reviewed_at),
        }
        title_form = TitleForm(formdata=None, data=data)
    return render_template(
        "admin/translation.html",
        pathway=pathway,
        version=found,
        language=language,
        # The language named in the reader's language: "Spanish", "español".
        language_name=Locale.parse(language).get_display_name(
            str(get_locale() or DEFAULT_LANGUAGE)
        ),
        rows=rows,
        title=title,
        title_form=title_form,
        translated=sum(row.translation is not None for row in rows),
        reviewed=sum(bool(row.translation and row.translation.reviewed_at) for row in rows),
    )


def _language_or_404(language: str) -> None:
    if language not in reviewed_translations.LANGUAGES:
        abort(404)


def _user_id() -> int:
    staff = current_staff()
    assert staff is not None, "the blueprint requires a signed-in admin"
    return staff.id
