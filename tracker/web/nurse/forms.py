"""Nurse workspace forms (WTForms): read what was typed, check its shape, keep it for re-rendering.

Shape problems a person can fix (a date that is not a date) become field errors shown beside
the field (status 422), every one at once; values only our own controls produce (ids, buttons,
hidden fields) that do not parse mean a malformed request (400). Whether the values make sense
is the services' call: their InvalidInput is shown beside the field it names. The procedure-time
forms (enroll, reschedule) are in tracker.web.nurse.time_forms.
"""

# Flask-WTF and WTForms ship no type information.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from werkzeug.exceptions import BadRequest
from wtforms import BooleanField, Form, SelectField, StringField
from wtforms.fields import Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError

from tracker.errors import InvalidInput
from tracker.i18n import N_
from tracker.web.security import MAX_ID
from tracker.workspace.work_list_pages import Filters

MAX_SEARCH_LENGTH = 200
MAX_PAGE = 10_000
_ID = re.compile(r"[0-9]{1,12}")  # ASCII only: str.isdigit() also accepts '²', which int() refuses
ITEM_ACTIONS = ("done", "not_done", "reopen")
# Field -> how a sentence about it starts; refusals whose msgid starts with these words follow
# it ("is required" -> "The MRN is required."). Translated where the sentence is made.
SUBJECTS = {
    # TRANSLATORS: the subject of a sentence about a form field ("The MRN" "is required").
    "mrn": N_("The MRN"),
    "name": N_("The name"),
    "birth_date": N_("The date of birth"),
    "email": N_("The email address"),
    "phone": N_("The phone number"),
    "timezone": N_("The time zone"),
    "reminder_hour": N_("The reminder hour"),
    "quiet_start": N_("The start of the quiet hours"),
    "quiet_end": N_("The end of the quiet hours"),
    "channels": N_("The reminder channels"),
    "language": N_("The language"),
    "start": N_("The procedure time"),
    "version": N_("The pathway"),
    "reopen": N_("Reopening"),
    "enrollment": N_("The enrollment"),
    "item": N_("The item"),
    "confirm": N_("Each step"),
}
FOLLOWS_SUBJECT = {"is", "must", "contains", "needs", "happens", "does"}


def sentence(name: str, error: InvalidInput) -> str:
    """A service's refusal about a field as a sentence in the page's language:
    ('mrn', 'is required') -> 'The MRN is required.' (decided on the English msgid, whose
    words after a subject are worded to follow one in every language)."""
    message = error.translated
    if error.template.split(" ", 1)[0] in FOLLOWS_SUBJECT:
        subject = (
            gettext(SUBJECTS[name]) if name in SUBJECTS else name.replace("_", " ").capitalize()
        )
        # TRANSLATORS: a field's subject, then what is wrong with it: "The MRN" "is required".
        message = gettext("%(subject)s %(problem)s", subject=subject, problem=message)
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "?", "!")) else message + "."


def ours(test: Callable[[Any], bool], problem: str) -> Callable[[Form, Field], None]:
    """A check on a value only our own controls send: failing it makes the request malformed."""

    def check(form: Form, field: Field) -> None:
        if not test(field.data):
            form.malformed.append(f"{field.name} {problem}")
            raise StopValidation()

    return check


def is_id(value: Any) -> bool:
    """Blank (none chosen) or a whole number as our selects and hidden fields send it."""
    return value in (None, "") or (bool(_ID.fullmatch(str(value))) and int(value) <= MAX_ID)


def are_ids(values: Any) -> bool:
    return all(_ID.fullmatch(str(value)) and int(value) <= MAX_ID for value in values or ())


def options(blank: str | None, rows: Iterable[Any]) -> list[SelectChoice]:
    """Select options for rows with an id and a label, after a blank one when `blank` is set."""
    first = [SelectChoice("", blank)] if blank is not None else []
    return first + [SelectChoice(str(row.id), row.label) for row in rows]


def as_id(value: Any) -> int | None:
    """A field value that passed `is_id` as an id (None when blank)."""
    return int(value) if value not in (None, "") else None


class Checked:
    """What every nurse form adds to WTForms: malformed requests, service errors, groups.

    `GROUPS` name errors shown above a group of fields rather than one (the procedure time is
    a date and a time); `PLACES` renames a service's field to where its error is shown.
    """

    GROUPS: tuple[str, ...] = ()
    PLACES: Mapping[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.malformed: list[str] = []
        self.group_errors: dict[str, list[str]] = {}

    def checked(self) -> bool:
        """Validate every field; a malformed request is refused (400) whatever else is wrong."""
        valid: bool = self.validate()  # type: ignore[attr-defined]
        if self.malformed:
            raise BadRequest("; ".join(self.malformed))
        return valid and not self.group_errors

    def add_error(self, name: str, message: str) -> None:
        """`message` beside field (or group) `name`; anything else goes above the form."""
        fields: dict[str, Field] = self._fields  # type: ignore[attr-defined]
        if name in self.GROUPS:
            self.group_errors.setdefault(name, []).append(message)
        elif name in fields and name != "csrf_token":
            fields[name].errors = [*fields[name].errors, message]
        else:
            self.form_errors.append(message)  # type: ignore[attr-defined]

    def add_invalid(self, error: InvalidInput) -> None:
        """A service's refusal, worded as a sentence, beside the field it names."""
        name = self.PLACES.get(error.field, error.field)
        self.add_error(name, sentence(name, error))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.group_errors)  # type: ignore[attr-defined]


class NurseForm(Checked, FlaskForm):
    """A posted staff form (CSRF-protected like every staff form)."""


class QueryForm(Checked, Form):
    """A query string read like a form (GET: no CSRF token, nothing changes)."""


# --- fields -------------------------------------------------------------------------------------


class TextField(StringField):
    """Text as typed; absent or not sent is blank ("", never None)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, default="", **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = valuelist[0] if valuelist else ""


class YesField(BooleanField):
    """A checkbox sending "yes"; anything else, or nothing, is no."""

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = bool(valuelist) and valuelist[0] == "yes"


def id_select(label: Any, **kwargs: Any) -> SelectField:
    """A select of ids (choices set by the view); a value that is no id is malformed."""
    return SelectField(
        label,
        choices=[],
        validate_choice=False,
        validators=[ours(is_id, "must be a whole number")],
        **kwargs,
    )


def page_field() -> TextField:
    return TextField(
        validators=[
            ours(lambda v: is_id(v) and int(v or 1) in range(1, MAX_PAGE + 1), "is out of range")
        ]
    )


# --- query strings ------------------------------------------------------------------------------


class FilterForm(QueryForm):
    """Dashboard and work-list filters (?pathway=ID&nurse=ID&page=N); blank means all."""

    pathway = id_select(lazy_gettext("Pathway"))
    nurse = id_select(lazy_gettext("Nurse"))
    page = page_field()

    def filters(self) -> Filters:
        return Filters(pathway_id=as_id(self.pathway.data), nurse_id=as_id(self.nurse.data))

    def page_number(self) -> int:
        return as_id(self.page.data) or 1


class SearchForm(QueryForm):
    """The patient register's search box (the input's maxlength keeps browsers within it)."""

    q = TextField(
        lazy_gettext("Search by name or MRN"),
        validators=[ours(lambda v: len(v or "") <= MAX_SEARCH_LENGTH, "is too long")],
    )
    page = page_field()

    def page_number(self) -> int:
        return as_id(self.page.data) or 1


class PatientPageQuery(QueryForm):
    """Which of the patient's enrollments the page shows (?enrollment=ID)."""

    enrollment = TextField(validators=[ours(is_id, "must be a whole number")])

    def enrollment_id(self) -> int | None:
        return as_id(self.enrollment.data)


# --- small actions ------------------------------------------------------------------------------


class ItemForm(NurseForm):
    """A button pressed on a tick form; anything but our buttons is a malformed request."""

    action = TextField(validators=[ours(lambda v: v in ITEM_ACTIONS, "is not one of ours")])


class FinishForm(NurseForm):
    """Cancel or complete an enrollment: the box must be ticked."""

    confirm = YesField(lazy_gettext("Yes, I mean it"))
    action = "cancel"  # set by the view: which of the two this page does

    def validate_confirm(self, field: Field) -> None:
        if not field.data:
            message = {
                "cancel": gettext("Tick the box to cancel this enrollment."),
                "complete": gettext("Tick the box to complete this enrollment."),
            }
            raise ValidationError(message.get(self.action, message["cancel"]))
