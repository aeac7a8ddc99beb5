"""The translation catalogs: every message in the source is translated in every shipped
language, and the committed .mo files are the compiled .po files (a fresh clone needs no step).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tracker import i18n

ROOT = Path(__file__).resolve().parent.parent
TRANSLATED = [language for language in i18n.SUPPORTED if language != i18n.DEFAULT_LANGUAGE]
# As `make catalogs` extracts: a refusal's template is its exception's argument (REFUSALS).
REFUSALS = {"InvalidInput": (2,), "AccountError": (2,), "InvalidStep": (2,)}
REFUSALS |= {"ReviewError": (1,), "VersionFrozen": (1,)}
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, **REFUSALS}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _po(language: str) -> Catalog:
    path = i18n.TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po:
        return read_po(po, locale=language)


def _forms(string: str | tuple[str, ...]) -> tuple[str, ...]:
    """A translation's text, or each plural form's."""
    return (string,) if isinstance(string, str) else string


def _names(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def _source_messages() -> set[str]:
    """Every msgid in the source today, extracted in-process as `make catalogs` does."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])  # a plural's singular
    return found


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_in_the_source_is_translated(language: str) -> None:
    catalog = _po(language)
    problems = []
    for msgid in sorted(_source_messages()):
        entry = catalog.get(msgid)
        if entry is None:
            problems.append(f"missing: {msgid!r}")
        elif not all(_forms(entry.string)):
            problems.append(f"untranslated: {msgid!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif any(_names(msgid) != _names(text) for text in _forms(entry.string)):
            problems.append(f"placeholders differ: {msgid!r}")
    assert not problems, f"{language}.po (run `make catalogs`, translate):\n" + "\n".join(problems)


def test_the_extracted_source_has_the_patient_pages_and_messages() -> None:
    """The extraction reaches templates, N_ tables and lazy_gettext, or the test above is empty."""
    found = _source_messages()
    assert {"Your care plan", "Reminder: %(step)s", "Skip to content", "Not found"} <= found


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_committed_mo_is_the_compiled_po(language: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, _po(language))
    committed = i18n.TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    assert committed.read_bytes() == compiled.getvalue(), "run `make compile-catalogs`"


def test_the_template_lists_what_the_source_says() -> None:
    with (i18n.TRANSLATIONS / "messages.pot").open("rb") as pot:
        template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id}
    assert template == _source_messages(), "run `make catalogs`"
