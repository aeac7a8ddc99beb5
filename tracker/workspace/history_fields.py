"""A history row's changed fields as a nurse reads them: the audit log stores each change under
its column name (English, as the code and exports know it); the nurse's page shows a label in
the reader's language. A field not listed reads as its name with spaces."""

from __future__ import annotations

from flask_babel import gettext

from tracker.i18n import N_

FIELD_LABELS = {
    # TRANSLATORS: a changed field in a patient's history on the nurse's page, lower case.
    "status": N_("status"),
    "note": N_("note"),
    "acted_at": N_("acted at"),
    "acted_by": N_("acted by"),
    "link": N_("link"),
    "reminders_cancelled": N_("reminders cancelled"),
    "reminders_added": N_("reminders added"),
    "enrollment_id": N_("enrollment id"),
    "expires_at": N_("expires at"),
    "revoked_at": N_("revoked at"),
    "replaces": N_("replaces"),
    "version_id": N_("version id"),
    "procedure_start": N_("procedure start"),
    "procedure_end": N_("procedure end"),
    "timezone": N_("time zone"),
    "dropped_steps": N_("dropped steps"),
    "horizon": N_("horizon"),
    "items": N_("items"),
    "missed": N_("missed"),
    "caught_up": N_("caught up"),
    "mrn": N_("MRN"),
    "name": N_("name"),
    "birth_date": N_("birth date"),
    "email": N_("email"),
    "phone": N_("phone"),
    "reminder_hour": N_("reminder hour"),
    "quiet_start": N_("quiet start"),
    "quiet_end": N_("quiet end"),
    "channels": N_("channels"),
    "language": N_("language"),
    "state": N_("state"),
}
# Stored values that are codes, not people's words: an item's or enrollment's status, how
# consent was given, a yes or no.
VALUE_LABELS = {
    "pending": N_("pending"),
    "done": N_("done"),
    "not_done": N_("not done"),
    "skipped": N_("skipped"),
    "missed": N_("missed"),
    "cancelled": N_("cancelled"),
    "active": N_("active"),
    "completed": N_("completed"),
    "verbal": N_("verbal"),  # how a patient gave consent to texts
    "written": N_("written"),
    "True": N_("yes"),
    "False": N_("no"),
}


def field_label(key: str) -> str:
    """'acted_at' -> 'acted at' (or its translation)."""
    if key in FIELD_LABELS:
        return str(gettext(FIELD_LABELS[key]))
    return key.replace("_", " ")


def value_label(text: str) -> str:
    """A status code or a yes/no in the reader's language; any other value as it is."""
    return str(gettext(VALUE_LABELS[text])) if text in VALUE_LABELS else text
