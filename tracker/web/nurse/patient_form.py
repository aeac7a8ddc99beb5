"""Registering a patient (WTForms): every field checked by the service's own rules, so every
problem shows at once beside its field."""

# Flask-WTF and WTForms ship no type information.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask_babel import gettext, lazy_gettext
from wtforms import Form, SelectField, SelectMultipleField
from wtforms.fields import Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError
from wtforms.widgets import DateInput, EmailInput, NumberInput, TelInput, TimeInput

from tracker.care import patients
from tracker.clock import utcnow
from tracker.errors import InvalidInput
from tracker.web.nurse.forms import NurseForm, TextField, ours, sentence


def _service_check(name: str, *, blank_ok: bool = False) -> Callable[[Form, Field], None]:
    """The service's own check of one patient field, so every problem shows at once."""

    def check(form: Form, field: Field) -> None:
        if blank_ok and not (field.data or "").strip():
            return
        try:
            patients.check_field(name, field.data, today=utcnow().date())
        except InvalidInput as error:
            raise ValidationError(sentence(name, error)) from None

    return check


def _birth_date(form: Form, field: Field) -> None:
    try:
        form.birth = patients.parse_birth_date(field.data)
        if form.birth is not None:
            patients.check_field("birth_date", form.birth, today=utcnow().date())
    except InvalidInput as error:
        raise ValidationError(sentence("birth_date", error)) from None


def _hour(form: Form, field: Field) -> None:
    text = (field.data or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 2 and int(text) <= 23):
        raise ValidationError(gettext("The reminder hour must be a whole hour from 0 to 23."))


# Languages a nurse picks from (the most spoken at home in the US after English); a page or
# message not yet translated shows in English. The API and the command line take any tag.
LANGUAGE_CHOICES = (
    ("en", "English"),
    ("es", "Español (Spanish)"),
    ("zh", "中文 (Chinese)"),
    ("tl", "Tagalog"),
    ("vi", "Tiếng Việt (Vietnamese)"),
    ("ar", "العربية (Arabic)"),
    ("fr", "Français (French)"),
    ("ko", "한국어 (Korean)"),
    ("ru", "Русский (Russian)"),
    ("pt", "Português (Portuguese)"),
    ("ht", "Kreyòl ayisyen (Haitian Creole)"),
)


class PatientForm(NurseForm):
    """Registering a patient: each field checked by the service's own rules."""

    mrn = TextField(lazy_gettext("Medical record number (MRN)"), validators=[_service_check("mrn")])
    name = TextField(lazy_gettext("Full name"), validators=[_service_check("name")])
    birth_date = TextField(
        lazy_gettext("Date of birth"), widget=DateInput(), validators=[_birth_date]
    )
    email = TextField(
        lazy_gettext("Email"), widget=EmailInput(), validators=[_service_check("email")]
    )
    phone = TextField(
        lazy_gettext("Phone"), widget=TelInput(), validators=[_service_check("phone")]
    )
    # Blank means the installation's default zone.
    timezone = TextField(
        lazy_gettext("Time zone"), validators=[_service_check("timezone", blank_ok=True)]
    )
    reminder_hour = TextField(
        lazy_gettext("Reminder hour"), widget=NumberInput(), validators=[_hour]
    )
    quiet_start = TextField(
        lazy_gettext("Quiet hours start"),
        widget=TimeInput(),
        validators=[_service_check("quiet_start")],
    )
    quiet_end = TextField(
        lazy_gettext("Quiet hours end"),
        widget=TimeInput(),
        validators=[_service_check("quiet_end")],
    )
    channels = SelectMultipleField(
        lazy_gettext("Reminder channels"),
        choices=[
            SelectChoice("email", lazy_gettext("Email")),
            SelectChoice("webhook", lazy_gettext("Webhook (text message gateway)")),
        ],
        validate_choice=False,
        validators=[ours(lambda v: set(v or ()) <= set(patients.CHANNELS), "has an unknown name")],
    )
    language = SelectField(
        lazy_gettext("Language"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_CHOICES],
        default="en",
        validate_choice=False,  # the service's own check says what is wrong
        validators=[_service_check("language")],
    )

    birth: date | None = None  # the parsed date of birth, set by its check

    def values(self) -> dict[str, Any]:
        """The validated form as `register_patient` arguments."""
        return {
            "mrn": self.mrn.data,
            "name": self.name.data,
            "birth_date": self.birth,
            "email": self.email.data,
            "phone": self.phone.data,
            "timezone": self.timezone.data,
            "reminder_hour": int(self.reminder_hour.data.strip()),
            "quiet_start": self.quiet_start.data,
            "quiet_end": self.quiet_end.data,
            "channels": list(self.channels.data or ()),
            "language": self.language.data,
        }
