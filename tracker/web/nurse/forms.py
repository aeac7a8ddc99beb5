"""Nurse workspace forms: read what was typed, check its shape, keep it for re-rendering.

Shape problems a person can fix (a date that is not a date) become field errors shown beside
the field (status 422); values only our own controls produce (ids, choices) that do not parse
mean a malformed request (400). Whether the values make sense is the services' call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from tracker.care.patients import AUDITED_FIELDS, CHANNELS, parse_birth_date
from tracker.care.procedure_time import AmbiguousStart, NonexistentStart
from tracker.errors import InvalidInput
from tracker.workspace.work_list_pages import Filters

T = TypeVar("T")
MAX_SEARCH_LENGTH = 200
MAX_PAGE = 10_000
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])(?::[0-5][0-9])?")
# A patient's single-valued fields; "channels" is a list of checkboxes, read on its own.
PATIENT_FIELDS = tuple(name for name in AUDITED_FIELDS if name != "channels")
# Field -> how a sentence about it starts; messages starting with these words follow it.
SUBJECTS = {
    "mrn": "The MRN",
    "name": "The name",
    "birth_date": "The date of birth",
    "email": "The email address",
    "phone": "The phone number",
    "timezone": "The time zone",
    "reminder_hour": "The reminder hour",
    "quiet_start": "The start of the quiet hours",
    "quiet_end": "The end of the quiet hours",
    "channels": "The reminder channels",
    "language": "The language",
    "start": "The procedure time",
    "version": "The pathway",
    "reopen": "Reopening",
    "enrollment": "The enrollment",
    "item": "The item",
    "conditional": "Each step",
}
FOLLOWS_SUBJECT = {"is", "must", "contains", "needs", "happens", "does"}
ITEM_ACTIONS = ("done", "not_done", "reopen")
START_FIELDS = ("date", "time")  # the service's "start" error is shown beside these


# What forms read: `request.form` or `request.args`.
Args = MultiDict[str, str]


@dataclass
class FormState:
    """The values typed into a form and the errors found, by field name."""

    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    general: str = ""  # a problem with no field of its own
    # Radio choices the server offers after a problem, e.g. the two readings of a DST gap:
    # field name -> {value: label}.
    choices: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def read(cls, source: Args, names: Iterable[str], lists: Iterable[str] = ()) -> FormState:
        """Copy the named text fields (stripped of nothing: shown back as typed) and lists."""
        return cls(
            values={name: str(source.get(name, "")) for name in names},
            lists={name: [str(v) for v in source.getlist(name)] for name in lists},
        )

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def getlist(self, name: str) -> list[str]:
        return self.lists.get(name, [])

    def checked(self, name: str, value: str = "on") -> bool:
        return value in self.lists.get(name, []) or self.values.get(name) == value

    def error(self, name: str) -> str:
        return self.errors.get(name, "")

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def add_invalid(self, error: InvalidInput, *, fields: Mapping[str, str] | None = None) -> None:
        """A service's error beside the field it names (renamed by `fields`), else general.

        Services word errors to follow the field's name ("is required"), so those get the
        field's own words in front ("The MRN is required")."""
        name = (fields or {}).get(error.field, error.field)
        message = error.message
        subject = SUBJECTS.get(name, name.replace("_", " ").capitalize())
        if message.split(" ", 1)[0] in FOLLOWS_SUBJECT:
            message = f"{subject} {message}"
        if name in self.values or name in self.lists or name in ("start", "conditional"):
            self.add(name, message)
        else:
            self.general = message

    @property
    def ok(self) -> bool:
        return not self.errors and not self.general


# --- query strings ------------------------------------------------------------------------


def optional_int(source: Args, name: str, *, minimum: int = 1) -> int | None:
    """An optional whole number from our own controls; anything else is a malformed request."""
    raw = str(source.get(name, "") or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12 or int(raw) < minimum:
        raise BadRequest(f"{name} must be a whole number")
    return int(raw)


def int_list(source: Args, name: str) -> list[int]:
    values = []
    for raw in source.getlist(name):
        if not raw.isdigit() or len(raw) > 12:
            raise BadRequest(f"{name} must be whole numbers")
        values.append(int(raw))
    return values


def filters(source: Args) -> Filters:
    """Dashboard filters (?pathway=ID&nurse=ID); blank means all."""
    return Filters(
        pathway_id=optional_int(source, "pathway"), nurse_id=optional_int(source, "nurse")
    )


def page_number(source: Args) -> int:
    page = optional_int(source, "page") or 1
    if page > MAX_PAGE:
        raise BadRequest("page is too large")
    return page


def search_text(source: Args) -> str:
    text = str(source.get("q", "") or "")
    if len(text) > MAX_SEARCH_LENGTH:
        raise BadRequest(f"search text is limited to {MAX_SEARCH_LENGTH} characters")
    return text


# --- patient registration -----------------------------------------------------------------


def patient_form(source: Args) -> tuple[FormState, dict[str, Any]]:
    """The registration form and, when its shape is right, the register_patient arguments."""
    form = FormState.read(source, PATIENT_FIELDS, ("channels",))
    values: dict[str, Any] = {name: form.get(name) for name in PATIENT_FIELDS}
    for name in ("mrn", "name"):  # checked here too, so both show at once when both are blank
        if not form.get(name).strip():
            form.add(name, f"{SUBJECTS[name]} is required")
    try:
        values["birth_date"] = parse_birth_date(form.get("birth_date"))
    except InvalidInput as error:
        form.add("birth_date", error.message)
    hour = form.get("reminder_hour").strip()
    if hour.isdigit() and len(hour) <= 2 and 0 <= int(hour) <= 23:
        values["reminder_hour"] = int(hour)
    else:
        form.add("reminder_hour", "must be a whole hour from 0 to 23")
    channels = form.getlist("channels")
    if any(name not in CHANNELS for name in channels):
        raise BadRequest("unknown reminder channel")
    values["channels"] = channels
    return form, values


# --- procedure times (enroll and reschedule) ----------------------------------------------


def local_start(form: FormState) -> datetime | None:
    """The local date and time typed into `date` and `time`; errors go beside them."""
    day: date | None = None
    raw_date = form.get("date").strip()
    try:
        day = date.fromisoformat(raw_date)
    except ValueError:
        form.add("date", "enter the date like 2027-03-15" if raw_date else "enter the date")
    raw_time = form.get("time").strip()
    match = _CLOCK.fullmatch(raw_time)
    if match is None:
        form.add("time", "enter the time like 08:30" if raw_time else "enter the time")
    if day is None or match is None:
        return None
    return datetime.combine(day, time(int(match.group(1)), int(match.group(2))))


def resolving_gap(
    form: FormState, local: datetime, zone_name: str, attempt: Callable[[datetime], T]
) -> T:
    """`attempt(local)`; in a DST gap, retry with the reading the nurse picked (`dst_choice`,
    which must be one of the two the gap has), else offer both (form.choices) and re-raise."""
    try:
        return attempt(local)
    except NonexistentStart as gap:
        readings = _readings(gap.candidates, zone_name)
        picked = form.get("dst_choice")
        if picked in readings:
            return attempt(datetime.fromisoformat(picked))
        form.choices = {"dst_choice": readings}
        raise
    except AmbiguousStart as repeat:
        zone = ZoneInfo(zone_name)
        form.choices = {
            "fold": {
                str(i): _reading(moment, zone)[1] for i, moment in enumerate(repeat.candidates)
            }
        }
        raise


def _readings(candidates: tuple[datetime, datetime], zone_name: str) -> dict[str, str]:
    """Local ISO value -> label (e.g. '03:30 EDT, UTC-04:00') for each candidate instant."""
    return dict(_reading(moment, ZoneInfo(zone_name)) for moment in candidates)


def _reading(moment: datetime, zone: ZoneInfo) -> tuple[str, str]:
    local = moment.astimezone(zone)
    offset = f"{local:%z}"
    label = f"{local:%H:%M} {local.tzname()} (UTC{offset[:3]}:{offset[3:]}) on {local:%a %d %b %Y}"
    return f"{local:%Y-%m-%dT%H:%M}", label


def fold(source: Args) -> int | None:
    """Which of a repeated hour's two readings (0 first, 1 second), when the nurse chose."""
    raw = str(source.get("fold", "") or "")
    if raw == "":
        return None
    if raw not in ("0", "1"):
        raise BadRequest("fold must be 0 or 1")
    return int(raw)


# --- small actions ------------------------------------------------------------------------


def item_action(source: Args) -> str:
    """The button pressed on a tick form; anything but our buttons is a malformed request."""
    action = str(source.get("action", "") or "")
    if action not in ITEM_ACTIONS:
        raise BadRequest("action must be done, not_done or reopen")
    return action


def confirmed(source: Args) -> bool:
    return source.get("confirm") == "yes"
