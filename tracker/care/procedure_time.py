"""The procedure time: a nurse's local date and time, checked and turned into a UTC instant.

A local time in a DST gap or in a repeated hour is refused with both real readings, so
the nurse picks one rather than the code guessing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from tracker import errors, localtime
from tracker.errors import N_, InvalidInput

EXAMPLE = "2027-03-15T08:00"


class _TwoReadings(InvalidInput):
    """A local start the zone reads two ways; `candidates` are the two real instants."""

    template_of = ""  # the msgid: %(local)s start, %(zone)s key, %(first)s and %(second)s readings

    def __init__(
        self, local: datetime, tz: ZoneInfo, candidates: tuple[datetime, datetime]
    ) -> None:
        self.candidates = candidates
        first, second = (_reading(moment, tz) for moment in candidates)
        super().__init__(
            "start",
            self.template_of,
            local=f"{local:%Y-%m-%d %H:%M}",
            zone=tz.key,
            first=first,
            second=second,
        )


class NonexistentStart(_TwoReadings):
    """The local start falls in a DST gap; `candidates` are the two real instants it could mean."""

    template_of = N_(
        "%(local)s does not exist in %(zone)s (the clocks go forward); "
        "enter %(first)s or %(second)s"
    )


class AmbiguousStart(_TwoReadings):
    """The local start happens twice (clocks go back); answer with fold 0 (first) or 1 (second)."""

    template_of = N_(
        "%(local)s happens twice in %(zone)s (the clocks go back); "
        "choose fold 0 for %(first)s or fold 1 for %(second)s"
    )


def parse_local_start(text: str) -> datetime:
    """A local date and time like 2027-03-15T08:00 (no offset: the zone is given separately)."""
    if not text.strip():
        raise InvalidInput(
            "start", "is required, a local date and time like %(example)s", example=EXAMPLE
        )
    try:
        local = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            "start",
            "%(text)s is not a local date and time like %(example)s",
            text=repr(text),
            example=EXAMPLE,
        ) from None
    if local.tzinfo is not None:
        raise InvalidInput("start", "give local time without an offset: %(text)s", text=repr(text))
    return local


def procedure_instant(local: datetime, tz: ZoneInfo, *, fold: int | None = None) -> datetime:
    """The UTC instant of a local wall time; a DST gap or an unanswered repeat raises."""
    if local.tzinfo is not None:
        raise InvalidInput("start", "give local time without an offset")
    if fold not in (None, 0, 1):
        raise InvalidInput("fold", "must be 0 (the first of a repeated hour) or 1 (the second)")
    try:
        return localtime.local_to_utc(local, tz, strict=True)
    except errors.NonexistentLocalTime:
        raise NonexistentStart(local, tz, _candidates(local, tz)) from None
    except errors.AmbiguousLocalTime:
        if fold is None:
            raise AmbiguousStart(local, tz, _candidates(local, tz)) from None
        return local.replace(tzinfo=tz, fold=fold).astimezone(UTC)


def zone(name: str) -> ZoneInfo:
    """The named time zone; an unknown name is bad input for the timezone field."""
    try:
        return localtime.zone(name)
    except ValueError:  # worded as localtime.zone words it
        raise InvalidInput("timezone", "unknown time zone %(name)s", name=repr(name)) from None


def check_start(start: datetime, *, now: datetime, allow_past: bool) -> None:
    """A start in the past is refused unless the caller allows it explicitly."""
    if start < now and not allow_past:
        raise InvalidInput("start", "is in the past; allow past times explicitly to record it")


def _candidates(local: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    first, second = sorted(local.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1))
    return first, second


def _reading(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    offset = f"{local:%z}"
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({offset[:3]}:{offset[3:]})"
