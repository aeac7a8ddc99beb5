"""The languages the product speaks: Flask-Babel over the gettext catalogs in
tracker/translations, and which language a request or a message is worded in.

A patient's pages and messages follow the patient's stored language; staff pages follow the
browser's Accept-Language. Anything outside the supported list reads English.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, g, has_request_context, request
from flask_babel import Babel, refresh

DEFAULT_LANGUAGE = "en"
SUPPORTED = ("en", "es")  # a catalog ships for each; English is the source language
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


def _select_locale() -> str:
    chosen: str | None = g.get("tracker_locale")
    if chosen:
        return chosen
    if has_request_context():
        return request.accept_languages.best_match(SUPPORTED) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    Babel(
        app,
        locale_selector=_select_locale,
        default_translation_directories=str(TRANSLATIONS),
    )
