"""One relative time in the step editor (days and minutes from the procedure's start or end,
optionally at a clock time), and the whole-number fields and messages the editor shares."""

# Flask-WTF and WTForms ship no type information.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString
from wtforms import BooleanField, Form, IntegerField, SelectField, StringField
from wtforms.fields import Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, InputRequired, Optional, Regexp, ValidationError

from tracker.i18n import N_
from tracker.library.step_fields import MAX_DAYS, MAX_MINUTES
from tracker.reading.timing import RelTime

BAD_CLOCK = lazy_gettext("Enter a time as HH:MM, 00:00–23:59.")
NOT_WHOLE = lazy_gettext("Enter a whole number, like 0, 2 or -7.")
CLOCK_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"
ANCHORS = (
    SelectChoice("start", lazy_gettext("procedure start")),
    SelectChoice("end", lazy_gettext("procedure end")),
)


# What a number field counts, in the messages about it (REPEATS and the point fields' words).
WHAT = {
    "days": N_("days"),
    "minutes": N_("minutes"),
    "times per day": N_("times per day"),
    "minutes between repeats": N_("minutes between repeats"),
    "times per week": N_("times per week"),
}


def counted(what: str) -> str:
    return str(gettext(WHAT[what])) if what in WHAT else what


def enter_whole(what: str) -> str:
    return str(gettext("Enter %(what)s as a whole number.", what=counted(what)))


def between(low: int, high: int, what: str) -> Any:
    def check(_form: Form, field: Field) -> None:
        if field.data is not None and not low <= field.data <= high:
            raise ValidationError(
                gettext("%(what)s must be between %(low)s and %(high)s.")
                % {"what": counted(what).capitalize(), "low": low, "high": high}
            )

    return check


def whole(label: Any, low: int, high: int, what: str) -> IntegerField:
    return IntegerField(
        label,
        invalid_value_message=NOT_WHOLE,
        validators=[InputRequired(LazyString(enter_whole, what)), between(low, high, what)],
    )


class PointForm(Form):
    """One relative time: signed days and minutes from an anchor, optionally at a clock time."""

    days = whole(lazy_gettext("Days"), -MAX_DAYS, MAX_DAYS, "days")
    minutes = whole(lazy_gettext("Minutes"), -MAX_MINUTES, MAX_MINUTES, "minutes")
    anchor = SelectField(
        lazy_gettext("From when"),
        choices=ANCHORS,
        validate_choice=False,
        validators=[
            AnyOf(
                [a.value for a in ANCHORS], lazy_gettext("Choose the procedure start or its end.")
            )
        ],
    )
    clock = StringField(
        lazy_gettext("Clock time (HH:MM)"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[Optional(), Regexp(CLOCK_PATTERN, message=BAD_CLOCK)],
    )
    reminder_hour = BooleanField(lazy_gettext("Or at the reminder hour"))

    def validate_reminder_hour(self, field: Field) -> None:
        if field.data and self.clock.data:
            self.form_errors.append(gettext("Choose a clock time or the reminder hour, not both."))

    def point(self) -> RelTime:
        return RelTime(
            anchor=self.anchor.data,
            days=self.days.data,
            minutes=self.minutes.data,
            clock=self.clock.data or None,
            reminder_hour=bool(self.reminder_hour.data),
        )

    @staticmethod
    def values(point: RelTime) -> dict[str, Any]:
        return {
            "days": point.days,
            "minutes": point.minutes,
            "anchor": point.anchor,
            "clock": point.clock or "",
            "reminder_hour": point.reminder_hour,
        }
