"""Stored codes as staff read them in their language: a step's section, kind and what it
asks, the state of a pathway version or an enrollment, and a staff member's role.

The codes stay English in the database, CSS, comparisons and the import format; only their
labels are translated, as template filters (`section_label`, `kind_label`, `asks_label`,
`state_label`, `role_label`).
"""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext

from tracker.i18n import N_

SECTION_LABELS = {
    # TRANSLATORS: a section of a procedure document, as staff read it in a table, lower case.
    "preparation": N_("preparation"),
    "recovery": N_("recovery"),
    "patient experience": N_("patient experience"),
    "risks and complications": N_("risks and complications"),
}
KIND_LABELS = {
    # TRANSLATORS: the kind of a step, as a short badge on staff pages, lower case.
    "fasting": N_("fasting"),
    "diet": N_("diet"),
    "medication": N_("medication"),
    "hygiene": N_("hygiene"),
    "tests": N_("tests"),
    "logistics": N_("logistics"),
    "activity": N_("activity"),
    "wound care": N_("wound care"),
    "exercise": N_("exercise"),
    "restriction": N_("restriction"),
    "appointment": N_("appointment"),
    "milestone": N_("milestone"),
    "symptom watch": N_("symptom watch"),
}
ASKS_LABELS = {
    # TRANSLATORS: what a step asks of the patient, as a short badge on staff pages.
    "do": N_("do"),
    "avoid": N_("avoid"),
    "know": N_("know"),
    "watch": N_("watch"),
}

STATE_LABELS = {
    # TRANSLATORS: the state of a pathway version or an enrollment, as a badge, lower case.
    "draft": N_("draft"),
    "published": N_("published"),
    "retired": N_("retired"),
    "active": N_("active"),
    "completed": N_("completed"),
    "cancelled": N_("cancelled"),
}


ROLE_LABELS = {
    # TRANSLATORS: a staff member's role, as a badge beside their name.
    "nurse": N_("nurse"),
    "admin": N_("admin"),
}


def _label(table: dict[str, str], code: str) -> str:
    """The code's label; a code this table does not know (older data) shows as itself."""
    return str(gettext(table[code])) if code in table else code


def section_label(code: str) -> str:
    return _label(SECTION_LABELS, code)


def kind_label(code: str) -> str:
    return _label(KIND_LABELS, code)


def asks_label(code: str) -> str:
    return _label(ASKS_LABELS, code)


def state_label(code: str) -> str:
    return _label(STATE_LABELS, code)


def role_label(code: str) -> str:
    return _label(ROLE_LABELS, code)


def init_app(app: Flask) -> None:
    app.add_template_filter(section_label, "section_label")
    app.add_template_filter(kind_label, "kind_label")
    app.add_template_filter(asks_label, "asks_label")
    app.add_template_filter(state_label, "state_label")
    app.add_template_filter(role_label, "role_label")
