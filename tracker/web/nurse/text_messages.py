"""Text messages on the nurse's patient page: the patient's consent (who recorded it, when and
how) with the form that records a change, and the notes the patient sent by text. The form's
route is with the patient page's, in tracker.web.nurse.patients."""

# Flask-WTF and WTForms ship no type information.
# mypy: disable-error-code="import-untyped"
# mypy: allow-subclassing-any

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext, lazy_gettext
from sqlmodel import Session
from wtforms import SelectField
from wtforms.fields import Field
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from tracker.care.consent import STAFF_METHODS, current_consent
from tracker.models import Consent, InboundText, Patient, User
from tracker.patient.text_replies import notes_for
from tracker.web.nurse.forms import NurseForm

CHOICES = {"given": True, "withdrawn": False}
# How the patient said it, as the nurse reads it (the stored codes stay English).
METHOD_LABELS = {"verbal": lazy_gettext("Verbal"), "written": lazy_gettext("Written")}


class ConsentForm(NurseForm):
    """A change of consent to text messages: how the patient said it, and what they said."""

    method = SelectField(
        lazy_gettext("How the patient told you"),
        choices=[SelectChoice("", lazy_gettext("Choose…"))]
        + [SelectChoice(m, METHOD_LABELS.get(m, m.capitalize())) for m in STAFF_METHODS],
        validate_choice=False,
    )
    given = SelectField(
        lazy_gettext("Text messages"),
        choices=[
            SelectChoice("", lazy_gettext("Choose…")),
            SelectChoice("given", lazy_gettext("Consent given")),
            SelectChoice("withdrawn", lazy_gettext("Consent withdrawn")),
        ],
        validate_choice=False,
    )

    def validate_method(self, field: Field) -> None:
        if field.data not in STAFF_METHODS:
            raise ValidationError(gettext("Choose how the patient gave or withdrew consent."))

    def validate_given(self, field: Field) -> None:
        if field.data not in CHOICES:
            raise ValidationError(gettext("Choose whether consent is given or withdrawn."))


@dataclass(frozen=True)
class TextsPanel:
    """What the page shows about texts: current consent, the form, the patient's notes."""

    consent: Consent | None
    form: ConsentForm
    notes: list[InboundText]
    recorded_by: str  # the consent's recorder as a person reads it


def _who(session: Session, actor: str) -> str:
    """'user:3' -> the nurse's name (or email); other actors as recorded."""
    kind, _, number = actor.partition(":")
    if kind == "user" and number.isdigit():
        user = session.get(User, int(number))
        if user is not None:
            return user.name or user.email
    return actor


def texts_panel(session: Session, patient: Patient, form: ConsentForm | None = None) -> TextsPanel:
    assert patient.id is not None
    consent = current_consent(session, patient_id=patient.id)
    return TextsPanel(
        consent,
        form or ConsentForm(formdata=None),
        notes_for(session, patient.id),
        _who(session, consent.recorded_by) if consent else "",
    )
