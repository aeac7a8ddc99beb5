"""A reminder's stored codes (status, channel, purpose) as a nurse reads them in their
language. The codes stay English in the database and in CSS classes (`status-failed`); the
filters `reminder_status`, `reminder_channel` and `reminder_purpose` give the labels."""

from __future__ import annotations

from flask_babel import gettext

from tracker.i18n import N_
from tracker.web.nurse.blueprint import bp

STATUSES = {
    # TRANSLATORS: a reminder's status in the nurse's reminder log, lower case.
    "pending": N_("pending"),
    "claimed": N_("being sent"),
    "deferred": N_("deferred"),
    "sent": N_("sent"),
    "failed": N_("failed"),
    "expired": N_("expired"),
    "cancelled": N_("cancelled"),
}
CHANNELS = {
    # TRANSLATORS: where a reminder goes, in the nurse's reminder log.
    "inapp": N_("inbox"),
    "email": N_("email"),
    "webhook": N_("text message"),
}
PURPOSES = {
    # TRANSLATORS: why a reminder is sent, in the nurse's reminder log, lower case.
    "opens": N_("opens"),
    "due_soon": N_("due soon"),
    "escalation": N_("care team alert"),
    "digest": N_("daily digest"),
    "reply": N_("reply"),
    "moved": N_("procedure moved"),
}


def _label(table: dict[str, str], code: str) -> str:
    """The code's label; an unknown code reads as itself, underscores as spaces."""
    return str(gettext(table[code])) if code in table else code.replace("_", " ")


def reminder_status(code: str) -> str:
    return _label(STATUSES, code)


def reminder_channel(code: str) -> str:
    return _label(CHANNELS, code)


def reminder_purpose(code: str) -> str:
    return _label(PURPOSES, code)


bp.add_app_template_filter(reminder_status, "reminder_status")
bp.add_app_template_filter(reminder_channel, "reminder_channel")
bp.add_app_template_filter(reminder_purpose, "reminder_purpose")
