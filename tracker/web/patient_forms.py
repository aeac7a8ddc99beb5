"""The patient pages' forms (WTForms, like every form here). They carry a token bound to the
link (tracker.web.patient_access.check_form) instead of a session's CSRF token, so patient
pages need no cookie; the values' meaning is the services' to judge."""

# WTForms ships no type information.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

from wtforms import Form, StringField
from wtforms.validators import AnyOf

from tracker import i18n
from tracker.patient.check_ins import ANSWERS
from tracker.patient.ticking import ACTIONS


class ItemActionForm(Form):
    """A button on an item: tick, undo or "I couldn't do this" (with an optional note)."""

    action = StringField(validators=[AnyOf(ACTIONS)])
    note = StringField(default="")  # its length is ticking's to check (said in the answer)


class BirthDateForm(Form):
    """The date of birth a device confirms once (PATIENT_DOB_CHECK)."""

    day = StringField(default="")
    month = StringField(default="")
    year = StringField(default="")

    def typed(self) -> dict[str, str]:
        """What was typed, trimmed and cut to four characters, to show again."""
        return {name: (self[name].data or "").strip()[:4] for name in ("day", "month", "year")}


class CheckInForm(Form):
    """Today's answer to the warning signs: none, or yes (with an optional note)."""

    answer = StringField(validators=[AnyOf(ANSWERS)])
    note = StringField(default="")


class LanguageForm(Form):
    """The language the patient reads their page in, from the supported list."""

    language = StringField(validators=[AnyOf(i18n.SUPPORTED)])
