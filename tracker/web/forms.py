"""Form classes at the web boundary: they parse and check shape, services decide the rest."""

# Flask-WTF and WTForms ship no type information.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import EmailField, IntegerField, PasswordField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from tracker.accounts import MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH
from tracker.reading.steps import MAX_ARRIVAL_MINUTES, MAX_STAY_DAYS


class SignInForm(FlaskForm):
    """Email and password; whether they match an account is `accounts.authenticate`'s call."""

    email = EmailField(
        lazy_gettext("Email"),
        validators=[DataRequired("Enter your email address."), Length(max=MAX_EMAIL_LENGTH)],
    )
    password = PasswordField(
        lazy_gettext("Password"),
        validators=[DataRequired("Enter your password."), Length(max=MAX_PASSWORD_LENGTH)],
    )


class PathwaySettingsForm(FlaskForm):
    """A pathway's usual arrival lead and stay; `pathway_settings.change_settings` decides."""

    arrival_minutes = IntegerField(
        lazy_gettext("Arrival: minutes before the start"),
        validators=[
            InputRequired(lazy_gettext("Enter the minutes before the start.")),
            NumberRange(0, MAX_ARRIVAL_MINUTES),
        ],
    )
    stay_days = IntegerField(
        lazy_gettext("Usual stay: nights in hospital (0 for a day case)"),
        validators=[
            InputRequired(lazy_gettext("Enter the nights, or 0 for a day case.")),
            NumberRange(0, MAX_STAY_DAYS),
        ],
    )
