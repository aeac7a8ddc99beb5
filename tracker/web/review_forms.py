"""The step editor's form: parses and checks each field; `review` checks how they fit together."""

# Flask-WTF and WTForms ship no type information.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields import Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Length,
    ValidationError,
)

from tracker.i18n import N_
from tracker.library.step_fields import (
    MAX_TEXT,
    REPEATS,
    SECTIONS,
    StepFields,
    repeat_choice,
    repetition,
)
from tracker.reading import rrules
from tracker.reading.steps import ASKS
from tracker.reading.timing import KINDS, Recurrence
from tracker.web.point_form import NOT_WHOLE, PointForm, counted, enter_whole
from tracker.web.step_labels import kind_label

CONTROL_CHARACTERS = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
ASKS_CHOICES = (
    SelectChoice("do", lazy_gettext("Do: an action to tick")),
    SelectChoice("avoid", lazy_gettext("Avoid: a restriction with a start and an end")),
    SelectChoice("know", lazy_gettext("Know: information, never reminded")),
    SelectChoice("watch", lazy_gettext("Watch: warning signs to check daily")),
)
RULE_CHOICE = "rule"  # the admin types the RRULE itself (what the choices below cannot say)
REPEAT_CHOICES = (
    SelectChoice("none", lazy_gettext("Does not repeat")),
    SelectChoice("times_per_day", lazy_gettext("Times per day")),
    SelectChoice("every_minutes", lazy_gettext("Every N minutes")),
    SelectChoice("times_per_week", lazy_gettext("Times per week")),
    SelectChoice(RULE_CHOICE, lazy_gettext("By a rule (RFC 5545 RRULE)")),
)
SECTION_CHOICES = {  # the sections as the editor's select lists them
    "preparation": N_("Preparation"),
    "recovery": N_("Recovery"),
    "patient experience": N_("Patient experience"),
    "risks and complications": N_("Risks and complications"),
}


def _kind_choice(code: str) -> str:
    """A kind as the select lists it, translated when the form is shown: "Wound care"."""
    return kind_label(code).capitalize()


# Absent from a browser's submission only when unchecked; every other field is always sent.
CHECKBOXES = ("critical", "conditional", "has_expiry", "while_awake", "reminder_hour")
OPTIONAL = (*CHECKBOXES, "rule")  # the rule field is newer than some saved editor pages


def _plain_text(_form: Form, field: Field) -> None:
    if field.data and CONTROL_CHARACTERS.search(field.data):
        raise ValidationError(
            gettext("Remove the control characters (only line breaks are allowed).")
        )


class StepForm(FlaskForm):
    """Everything an admin sets on a step; unchecked options skip their own sub-fields."""

    text = TextAreaField(
        lazy_gettext("Instruction"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(lazy_gettext("Enter the instruction.")),
            Length(
                min=1,
                max=MAX_TEXT,
                message=lazy_gettext("Use 1 to %(max)s characters.", max=MAX_TEXT),
            ),
            _plain_text,
        ],
    )
    section = SelectField(
        lazy_gettext("Section"),
        choices=[SelectChoice(s, lazy_gettext(SECTION_CHOICES[s])) for s in SECTIONS],
        validate_choice=False,
        validators=[AnyOf(SECTIONS, lazy_gettext("Choose one of the listed sections."))],
    )
    kind = SelectField(
        lazy_gettext("Kind"),
        choices=[SelectChoice(k, LazyString(_kind_choice, k)) for k in KINDS],
        validate_choice=False,
        validators=[AnyOf(KINDS, lazy_gettext("Choose one of the listed kinds."))],
    )
    asks = SelectField(
        lazy_gettext("Asks the patient to"),
        choices=ASKS_CHOICES,
        validate_choice=False,
        validators=[AnyOf(ASKS, lazy_gettext("Choose what the step asks of the patient."))],
    )
    critical = BooleanField(lazy_gettext("Critical (reminders ignore quiet hours)"))
    conditional = BooleanField(lazy_gettext("Conditional (the nurse confirms it at enrollment)"))
    opens = FormField(PointForm, lazy_gettext("Opens"))
    due = FormField(PointForm, lazy_gettext("Due"))
    has_expiry = BooleanField(lazy_gettext("Expires (no reminders after this)"))
    expires = FormField(PointForm, lazy_gettext("Expires"))
    repeat = SelectField(
        lazy_gettext("Repeats"),
        choices=REPEAT_CHOICES,
        validate_choice=False,
        validators=[
            AnyOf([r.value for r in REPEAT_CHOICES], lazy_gettext("Choose how the step repeats."))
        ],
    )
    count = IntegerField(
        lazy_gettext("How many, or minutes between"), invalid_value_message=NOT_WHOLE
    )
    while_awake = BooleanField(lazy_gettext("Only while awake"))
    rule = StringField(
        lazy_gettext("Rule"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    until = FormField(PointForm, lazy_gettext("Repeats until"))

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        """Check every field in use: expiry and repetition fields only when switched on."""
        skipped = set()
        if not self.has_expiry.data:
            skipped.add("expires")
        if self.repeat.data == RULE_CHOICE:
            skipped |= {"count", "while_awake"}
        elif self.repeat.data in REPEATS:
            skipped.add("rule")
        else:
            skipped |= {"count", "until", "while_awake", "rule"}
        valid = True
        for name, field in self._fields.items():
            if name in skipped:
                continue
            inline = getattr(type(self), f"validate_{name}", None)
            extra = [inline] if inline is not None else []
            if not field.validate(self, extra):
                valid = False
        return valid and not self.errors

    def validate_count(self, field: Field) -> None:
        low, high, what = REPEATS[self.repeat.data]
        if not field.raw_data or not field.raw_data[0].strip():
            field.errors[:] = [enter_whole(what)]
        elif field.data is not None and not low <= field.data <= high:
            field.errors.append(
                gettext("%(what)s must be between %(low)s and %(high)s.")
                % {"what": counted(what).capitalize(), "low": low, "high": high}
            )

    def validate_rule(self, field: Field) -> None:
        try:
            rrules.parse(field.data or "")
        except ValueError as error:
            field.errors.append(gettext("Not a rule this tracker reads: %(error)s.", error=error))

    def validate_while_awake(self, field: Field) -> None:
        if field.data and self.repeat.data != "every_minutes":
            field.errors.append(gettext("Only while awake applies to repeats every N minutes."))

    def fields(self, current: StepFields | None = None) -> StepFields:
        """The validated form as typed step fields; `current` keeps what the form can't show."""
        recurrence = None
        if self.repeat.data == RULE_CHOICE:
            recurrence = Recurrence(self.rule.data, self.until.form.point())
        elif self.repeat.data in REPEATS:
            recurrence = repetition(
                self.repeat.data,
                self.count.data,
                until=self.until.form.point(),
                while_awake=bool(self.while_awake.data),
                keep=current.recurrence if current else None,
            )
        return StepFields(
            section=self.section.data,
            text=self.text.data,
            kind=self.kind.data,
            critical=bool(self.critical.data),
            conditional=bool(self.conditional.data),
            opens=self.opens.form.point(),
            due=self.due.form.point(),
            expires=self.expires.form.point() if self.has_expiry.data else None,
            recurrence=recurrence,
            asks=self.asks.data,
        )

    def add_error(self, field: str, message: str) -> None:
        """Show a service's refusal beside the field it names."""
        target = self._fields.get(field)
        if isinstance(target, FormField):
            target.form.form_errors.append(message)
        elif target is not None:
            target.errors = [*target.errors, message]
        else:
            self.form_errors.append(message)

    def missing(self, form: Mapping[str, str]) -> list[str]:
        """Field names a browser always sends but this request lacks (a malformed request)."""
        names = []
        for field in self:
            subfields = field.form if isinstance(field, FormField) else [field]
            names += [sub.name for sub in subfields if sub.short_name not in OPTIONAL]
        return [name for name in names if name not in form and name != "csrf_token"]


def form_data(fields: StepFields) -> dict[str, Any]:
    """A step's current values, to fill the editor."""
    rule = fields.recurrence
    repeat, count = repeat_choice(rule) if rule else ("none", None)
    blank = PointForm.values(fields.due)
    return {
        "text": fields.text,
        "section": fields.section,
        "kind": fields.kind,
        "asks": fields.asks,
        "critical": fields.critical,
        "conditional": fields.conditional,
        "opens": PointForm.values(fields.opens),
        "due": PointForm.values(fields.due),
        "has_expiry": fields.expires is not None,
        "expires": PointForm.values(fields.expires) if fields.expires else blank,
        "repeat": repeat,
        "count": count,
        "while_awake": bool(rule and rule.while_awake),
        "rule": rule.rule if rule else "",
        "until": PointForm.values(rule.until) if rule else blank,
    }
