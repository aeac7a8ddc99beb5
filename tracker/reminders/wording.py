"""How reminders, digests and text replies read, in the patient's language.

The messages are gettext messages (tracker/translations), marked with N_ here and translated
where they are sent: the dispatcher words them in its sending threads, which have no app
context, so each message names its language (tracker.i18n.translate) instead of relying on a
request's locale. Dates are Babel's for that language, on the patient's clock.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from babel.dates import format_date

from tracker import i18n, localtime
from tracker.i18n import N_

MESSAGES: dict[str, str] = {
    "subject.opens": N_("Reminder: %(step)s"),
    "subject.due_soon": N_("Due soon: %(step)s"),
    "subject.occurrence": N_("Reminder: %(step)s"),
    "subject.late": N_("Late reminder: %(step)s"),
    "subject.digest": N_("Today's other reminders"),
    "subject.reply": N_("Your care team"),
    "subject.moved": N_("Your procedure has moved"),
    "moved.body": N_("Your procedure has moved to %(when)s. Your plan is updated to the new time."),
    "digest.header": N_(
        "You have had %(budget)s texts today. Also on your checklist today "
        "(open it with your personal link):"
    ),
    "reply.help": N_(
        "%(team)s: call %(phone)s. Reply DONE when you have done what our last text asked, "
        "STOP to stop texts, START to have them again."
    ),
    "reply.no_phone": N_("the number on your printed plan"),
    "reply.stop": N_("You will get no more texts from %(team)s. Reply START to have them again."),
    "reply.start": N_("Texts from %(team)s are on again. Reply STOP to stop them, HELP for help."),
    "body": N_("%(step)s\n\nPlease do this by %(due)s."),
    "late": N_("This reminder is late: it was meant to reach you at %(planned)s."),
    "link": N_("Open your checklist with the personal link your care team gave you: %(base)s"),
    # TRANSLATORS: a deadline at midnight: the whole day before ("the end of Sunday 07 March
    # 2027").
    "end_of_day": N_("the end of %(day)s"),
    # TRANSLATORS: a moment in a message: "Monday 08 March 2027, 07:00 EST".
    "moment": N_("%(day)s, %(time)s %(zone)s"),
    # TRANSLATORS: a Babel (CLDR) date pattern for a day in a message: "Monday 08 March 2027".
    "day_pattern": N_("EEEE dd MMMM y"),
    "escalation.subject": N_("Not done: %(step)s (%(patient)s, %(mrn)s)"),
    "escalation.body": N_(
        "%(patient)s (%(mrn)s) has not ticked a critical step, due by %(due)s:\n\n%(step)s\n\n"
        "Please contact the patient. Dashboard: %(base)s/nurse/"
    ),
}


def text(language: str | None, key: str, **values: object) -> str:
    """A message in the patient's language (English when it has no catalog)."""
    return i18n.translate(language, MESSAGES[key], **values)


def local_reading(moment: datetime, zone: str, language: str | None = None) -> str:
    """An instant as the patient reads it: 'Monday 08 March 2027, 07:00 EST'; a deadline at
    local midnight is the end of the day before ('the end of Sunday 07 March 2027')."""
    local = moment.astimezone(localtime.zone(zone))
    pattern = text(language, "day_pattern")
    if local.time() == time(0, 0):
        day = format_date(local - timedelta(days=1), pattern, locale=i18n.locale(language))
        return text(language, "end_of_day", day=day)
    day = format_date(local, pattern, locale=i18n.locale(language))
    return text(language, "moment", day=day, time=f"{local:%H:%M}", zone=local.tzname())
