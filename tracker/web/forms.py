"""Form classes at the web boundary: they parse and check shape, services decide the rest."""

# Flask-WTF and WTForms ship no type information.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from tracker.accounts import MAX_EMAIL_LENGTH, MAX_PASSWORD_LENGTH


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
