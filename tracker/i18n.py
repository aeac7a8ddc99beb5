"""The languages the product speaks: Flask-Babel over the gettext catalogs in
tracker/translations, and which language a request or a message is worded in.

A patient's pages and messages follow the patient's stored language; staff pages follow the
browser's Accept-Language. Anything outside the supported list reads English.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations
from flask import Flask, g, has_request_context, request
from flask_babel import Babel, get_locale, gettext, refresh
from markupsafe import Markup

DEFAULT_LANGUAGE = "en"
SUPPORTED = ("en", "es")  # a catalog ships for each; English is the source language
# Each supported language by its own name, as a patient picks it from a list.
NAMES = {"en": "English", "es": "Español"}
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def best(language: str | None) -> str:
    """The supported language for a stored tag: 'es-MX' reads Spanish, 'fr' English."""
    tag = (language or "").strip().replace("_", "-").lower()
    if tag in SUPPORTED:
        return tag
    base = tag.split("-")[0]
    return base if base in SUPPORTED else DEFAULT_LANGUAGE


def use(language: str | None) -> str:
    """Word the rest of this request in `language` (a patient's page); returns the one used."""
    chosen = best(language)
    g.tracker_locale = chosen
    refresh()  # Flask-Babel caches the locale per request
    return chosen


@cache
def catalog(language: str) -> NullTranslations:
    """The compiled catalog of a supported language, read once per process. Messages worded
    outside a request (the dispatcher's sending threads have no app context) use it directly;
    pages use Flask-Babel's `_()` over the same files."""
    chosen = best(language)
    if chosen == DEFAULT_LANGUAGE:
        return NullTranslations()  # English is the source language: msgids are the text
    return Translations.load(str(TRANSLATIONS), [chosen])


def translate(language: str | None, message: str, **values: object) -> str:
    """`message` (a msgid marked with N_) in `language`, with %(name)s placeholders filled."""
    text = catalog(best(language)).gettext(message)
    return text % values if values else text


def in_request(message: str, **values: object) -> str:
    """`message` (a msgid) in the current request's language, %(name)s filled from `values`;
    English outside a request (the CLI, the dispatcher's threads)."""
    if not has_request_context():
        return message % values if values else message
    return str(gettext(message, **values))


def locale(language: str | None) -> Locale:
    """The Babel locale dates and durations are formatted in."""
    return _locale(best(language))


@cache
def _locale(language: str) -> Locale:  # parsed once: a page formats many dates
    return Locale.parse(language)


def direction(language: str | None) -> str:
    """'ltr' or 'rtl': the text direction of the language's script, for `<html dir>`."""
    return "rtl" if locale(language).text_direction == "rtl" else "ltr"


def N_(message: str) -> str:  # noqa: N802 - gettext's conventional name, known to pybabel
    """Mark a message for extraction where it is defined; it is translated where it is used."""
    return message


def _select_locale() -> str:
    chosen: str | None = g.get("tracker_locale")
    if chosen:
        return chosen
    if has_request_context():
        return request.accept_languages.best_match(SUPPORTED) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def _page_language() -> dict[str, object]:
    """`lang` and `dir` for a page's <html>, after the request's language; `english_text`, the
    attribute marking English a page quotes as it is stored (the reader's notes on a step,
    an import's warnings: provenance, never translated) so screen readers voice it as English."""
    chosen = best(str(get_locale() or DEFAULT_LANGUAGE))
    english = Markup(' lang="en"') if chosen != DEFAULT_LANGUAGE else Markup("")
    return {"lang": chosen, "dir": direction(chosen), "english_text": english}


def init_app(app: Flask) -> None:
    Babel(
        app,
        locale_selector=_select_locale,
        default_translation_directories=str(TRANSLATIONS),
    )
    app.context_processor(_page_language)
