"""A translated document's instructions matched to the English document's steps.

A translation (`22868.es.txt`) is the English document line for line in another language: the
same header lines and section headings (the format's keywords stay English), the same bullets
in the same order. Each English bullet gave one or more steps (a bullet "A; B" can give two,
and a step merged into another still counts as its part); its translation gives them in the
same order, separated by ';' (or by sentences). A part's timing numbers must be in its
translation ("2 weeks" -> "2 semanas"): that catches a bullet translated out of place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.errors import DocumentError
from tracker.reading import timing
from tracker.reading.documents import Document, Entry

# Where steps come from, in derive's order; Risks and Complications give the warning signs.
STEP_SECTIONS = ("preparation", "recovery", "patient experience", "risks and complications")
LABELLED = "patient experience"  # its steps are the text after the label
RISKS = "risks and complications"
# The warning-signs step's opening words (timing.WATCH_TEXT), per language.
WATCH_TEXT = {"es": "Esté atento a estas señales de alarma"}
Part = tuple[str, str, str]
_NUMBER = re.compile(r"\d+")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[¿¡A-ZÁÉÍÓÚÑ0-9])")


@dataclass(frozen=True)
class Wording:
    """One step's words in the translation, with the translated bullet it came from."""

    text: str
    sentence: str
    line: int  # the translation's line


def match(
    *, english: Document, translated: Document, language: str
) -> dict[tuple[str, int, str], Wording]:
    """(section, line, English text) of each step the English document gives -> its wording
    in the translation; DocumentError (the translation's file and line) when they differ."""
    derived = timing.derive(english)
    # English line -> its parts: (section, text, the words whose numbers a translation keeps)
    parts: dict[int, list[Part]] = {}
    for step in derived.steps:
        if step.section != RISKS:
            parts.setdefault(step.line, []).append((step.section, step.text, step.evidence))
        for merged in step.merged:
            parts.setdefault(merged.line, []).append((merged.section, merged.text, merged.text))
    found: dict[tuple[str, int, str], Wording] = {}
    for key in STEP_SECTIONS:
        ours, theirs = english.section(key), translated.section(key)
        if ours is None:
            continue
        if theirs is None:
            raise DocumentError(
                translated.path,
                0,
                f"no {ours.name} section (keep the English section headings, "
                "they are the format's keywords)",
            )
        if len(theirs.entries) != len(ours.entries):
            raise DocumentError(
                translated.path,
                theirs.line,
                f"{ours.name} has {len(theirs.entries)} bullets here but "
                f"{len(ours.entries)} in the English document",
            )
        if key == RISKS:
            continue
        for entry, other in zip(ours.entries, theirs.entries, strict=True):
            found |= _entry(translated.path, entry, other, parts.get(entry.line, []), key)
    watch = next((s for s in derived.steps if s.section == RISKS), None)
    risks = translated.section(RISKS)
    if watch is not None and risks is not None:
        signs = "; ".join(e.body.rstrip(". ") for e in risks.entries)
        opening = WATCH_TEXT.get(language, timing.WATCH_TEXT)
        wording = Wording(f"{opening}: {signs}", "", risks.line)
        found[(watch.section, watch.line, watch.text)] = wording
    return found


def _entry(
    path: str, entry: Entry, other: Entry, parts: list[Part], key: str
) -> dict[tuple[str, int, str], Wording]:
    """The wordings of one bullet's steps, in the order they stand in the English bullet."""
    if not parts:
        return {}
    source = entry.body if key == LABELLED else entry.text
    said = other.body if key == LABELLED else other.text
    ordered = sorted(parts, key=lambda part: source.lower().find(part[1].lower()))
    pieces = _pieces(said, len(ordered))
    if pieces is None:
        raise DocumentError(
            path,
            other.line,
            f"the English bullet (line {entry.line}) gives {len(ordered)} steps: give their "
            f"translations in the same order, separated by ';'",
        )
    found = {}
    for (section, text, evidence), piece in zip(ordered, pieces, strict=True):
        missing = sorted(set(_NUMBER.findall(evidence)) - set(_NUMBER.findall(piece)))
        if missing:
            raise DocumentError(
                path,
                other.line,
                f"the translation of {text[:50]!r} (English line {entry.line}) does not "
                f"say {', '.join(missing)}: is this bullet in its place?",
            )
        found[(section, entry.line, text)] = Wording(_capital(piece), said, other.line)
    return found


def _pieces(text: str, count: int) -> list[str] | None:
    """`count` parts of a translated bullet: all of it, else split at ';', else at sentences too."""
    if count == 1:
        return [_trim(text)]
    by_semicolon = [_trim(p) for p in text.split(";") if _trim(p)]
    if len(by_semicolon) == count:
        return by_semicolon
    finer = [_trim(s) for p in by_semicolon for s in _SENTENCE.split(p) if _trim(s)]
    return finer if len(finer) == count else None


def _trim(text: str) -> str:
    return text.strip().strip(".;:, ").strip()


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
