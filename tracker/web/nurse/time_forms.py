"""The procedure-time forms: choosing a pathway, enrolling, rescheduling and confirming it.

A procedure time is typed as a local date and a time; the services decide whether it exists
(a DST gap offers the two readings it could mean, a repeated hour asks which one), whether it
is in the past, and whether the zone is real. Their "start" errors are shown above the date
and time together, the "start" group.
"""

# Flask-WTF and WTForms ship no type information.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask_babel import gettext, lazy_gettext
from wtforms import RadioField, SelectMultipleField
from wtforms.fields import Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import DateInput, TimeInput

from tracker.care.procedure_time import AmbiguousStart, NonexistentStart, zone
from tracker.errors import InvalidInput
from tracker.web.nurse.forms import (
    NurseForm,
    QueryForm,
    TextField,
    YesField,
    are_ids,
    as_id,
    id_select,
    ours,
    sentence,
)

T = TypeVar("T")
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])(?::[0-5][0-9])?")
START = "start"  # the group of the date and time fields


def _date(_form: Any, field: Field) -> None:
    try:
        date.fromisoformat((field.data or "").strip())
    except ValueError:
        typed = (field.data or "").strip()
        message = (
            gettext("Enter the date like 2027-03-15.") if typed else gettext("Enter the date.")
        )
        raise ValidationError(message) from None


def _clock(_form: Any, field: Field) -> None:
    typed = (field.data or "").strip()
    if _CLOCK.fullmatch(typed) is None:
        raise ValidationError(
            gettext("Enter the time like 08:30.") if typed else gettext("Enter the time.")
        )


def _fold(value: Any) -> bool:
    return value in (None, "", "0", "1")


class StartForm(NurseForm):
    """A local procedure date and time, with the DST questions the server may ask."""

    GROUPS = (START,)
    PLACES = {"fold": START}

    date = TextField(lazy_gettext("Date"), widget=DateInput(), validators=[_date])
    time = TextField(lazy_gettext("Time"), widget=TimeInput(), validators=[_clock])
    allow_past = YesField(
        lazy_gettext("The procedure time is in the past and I want to record it anyway")
    )
    # Offered only after a gap was found: local ISO value -> label.
    dst_choice = RadioField(choices=[], validate_choice=False)
    fold = RadioField(choices=[], validate_choice=False, validators=[ours(_fold, "must be 0 or 1")])

    def local_start(self) -> datetime:
        """The validated date and time as a naive local datetime."""
        match = _CLOCK.fullmatch(self.time.data.strip())
        assert match is not None, "called after validation"
        day = date.fromisoformat(self.date.data.strip())
        return datetime.combine(day, time(int(match.group(1)), int(match.group(2))))

    def chosen_fold(self) -> int | None:
        """Which of a repeated hour's two readings (0 first, 1 second), when the nurse chose."""
        return as_id(self.fold.data)

    def resolving_gap(self, local: datetime, zone_name: str, attempt: Callable[[datetime], T]) -> T:
        """`attempt(local)`; in a DST gap, retry with the reading the nurse picked (which must be
        one of the two the gap has), else offer both and re-raise; a repeated hour offers both."""
        try:
            return attempt(local)
        except NonexistentStart as gap:
            readings = dict(_reading(moment, ZoneInfo(zone_name)) for moment in gap.candidates)
            picked = self.dst_choice.data
            if picked in readings:
                return attempt(datetime.fromisoformat(picked))
            self.dst_choice.choices = [SelectChoice(*reading) for reading in readings.items()]
            raise
        except AmbiguousStart as repeat:
            tz = ZoneInfo(zone_name)
            self.fold.choices = [
                SelectChoice(str(i), _reading(moment, tz)[1])
                for i, moment in enumerate(repeat.candidates)
            ]
            raise


def _reading(moment: datetime, tz: ZoneInfo) -> tuple[str, str]:
    """Local ISO value and its label (e.g. '03:30 EDT (UTC-04:00) on Sun 14 Mar 2027')."""
    local = moment.astimezone(tz)
    offset = f"{local:%z}"
    label = f"{local:%H:%M} {local.tzname()} (UTC{offset[:3]}:{offset[3:]}) on {local:%a %d %b %Y}"
    return f"{local:%Y-%m-%dT%H:%M}", label


def _zone_or_blank(_form: Any, field: Field) -> None:
    text = (field.data or "").strip()
    if text:
        try:
            zone(text)
        except InvalidInput as error:
            raise ValidationError(sentence("timezone", error)) from None


class ChooseVersionForm(QueryForm):
    """Step 1 of enrolling: which published pathway (?version=ID)."""

    version = id_select(lazy_gettext("Pathway"))

    def version_id(self) -> int | None:
        return as_id(self.version.data)


MAX_REASON = 500


class EnrollForm(StartForm):
    """Step 2 of enrolling: the procedure time, its zone, the nurse and the conditional steps."""

    PLACES = {"fold": START, "conditional": "confirm"}

    timezone = TextField(lazy_gettext("Time zone of the procedure"), validators=[_zone_or_blank])
    nurse = id_select("Responsible nurse")
    # Ticked conditional steps (choices set by the view: the version's conditional steps).
    confirm = SelectMultipleField(
        lazy_gettext("Conditional steps"),
        choices=[],
        validate_choice=False,
        validators=[ours(are_ids, "must be step ids")],
    )

    # Why a critical conditional step was unticked (required then; kept in the history).
    drop_reason = TextField(
        lazy_gettext("Why drop a critical step?"),
        validators=[ours(lambda v: len(v or "") <= MAX_REASON, "is too long")],
    )
    # What to do with items that would start out late (asked only when there are some).
    late = RadioField(
        lazy_gettext("Items that would start late"),
        choices=[
            SelectChoice("catch_up", "Give them until the time shown"),
            SelectChoice("keep", "Keep their dates: they start late"),
        ],
        validate_choice=False,
        validators=[ours(lambda v: v in (None, "", "catch_up", "keep"), "is not a choice")],
    )

    def validate_nurse(self, field: Field) -> None:
        if field.data and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(gettext("Choose a nurse from the list."))

    def validate_confirm(self, field: Field) -> None:
        offered = {choice.value for choice in field.choices}
        if not set(field.data or ()) <= offered:
            self.malformed.append("confirm names a step that is not conditional")

    def confirmed(self) -> list[int]:
        return sorted({int(value) for value in self.confirm.data or ()})


class RescheduleForm(StartForm):
    """A new local procedure time; the next page previews what moves."""


class ConfirmRescheduleForm(NurseForm):
    """The preview's hidden fields and the done items to reopen; only our page sends these."""

    start = TextField(validators=[ours(lambda v: _iso(v) is not None, "is not a time")])
    fold = TextField(validators=[ours(_fold, "must be 0 or 1")])
    allow_past = YesField()
    token = TextField()
    reopen = SelectMultipleField(
        choices=[], validate_choice=False, validators=[ours(are_ids, "must be item ids")]
    )

    def start_time(self) -> datetime:
        moment = _iso(self.start.data)
        assert moment is not None, "called after validation"
        return moment

    def chosen_fold(self) -> int | None:
        return as_id(self.fold.data)

    def reopened(self) -> list[int]:
        return [int(value) for value in self.reopen.data or ()]


def _iso(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value or ""))
    except ValueError:
        return None
