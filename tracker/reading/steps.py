"""The values timing produces: relative times, recurrences and steps, checked on creation.

`RelTime` counts calendar days, exact minutes, a clock time or the reminder hour from the
procedure's start or end; `Step` is one timed instruction. Each value refuses bad fields and
round-trips through `to_dict` / `from_dict` (data read back from JSON is not trusted).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from typing import Any, Literal, TypeVar

from tracker.reading import rrules
from tracker.reading.lexicon import KINDS

__all__ = [
    "ASKS",
    "MAX_ARRIVAL_MINUTES",
    "MAX_STAY_DAYS",
    "REVIEW_THRESHOLD",
    "Anchor",
    "Asks",
    "Derived",
    "Evidence",
    "Recurrence",
    "RelTime",
    "Settings",
    "Step",
    "Timing",
]

Anchor = Literal["start", "end"]
Asks = Literal["do", "avoid", "know", "watch"]
# What a step asks of the patient: an action to tick, a restriction over a window,
# information never reminded, warning signs checked for.
ASKS: tuple[str, ...] = ("do", "avoid", "know", "watch")
REVIEW_THRESHOLD = 0.6
MAX_ARRIVAL_MINUTES = 24 * 60  # a check-in at most a day before the start
MAX_STAY_DAYS = 60  # a usual stay longer than this is not a pathway's default
_CLOCK = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")

_T = TypeVar("_T")
_NONE = type(None)


def _check(obj: object, spec: Mapping[str, tuple[type, ...]]) -> None:
    """Refuse field values of the wrong type (data read back from JSON is not trusted)."""
    for name, types in spec.items():
        value = getattr(obj, name)
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            wanted = " or ".join("null" if t is _NONE else t.__name__ for t in types)
            raise ValueError(f"{name}: expected {wanted}, got {value!r}")


def _build(cls: type[_T], data: Any, nested: Mapping[str, Callable[[Any], Any]]) -> _T:
    """A dataclass from its to_dict() form; ValueError on anything else."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    values = {
        k: nested[k](v) if k in nested and v is not None else v
        for k, v in data.items()
        if k in names
    }
    try:
        return cls(**values)
    except TypeError as exc:  # a missing field
        raise ValueError(f"{cls.__name__}: {exc}") from None


@dataclass(frozen=True)
class RelTime:
    """A time relative to the procedure: anchor, then calendar days, clock, exact minutes."""

    anchor: Anchor
    days: int = 0
    minutes: int = 0
    clock: str | None = None
    reminder_hour: bool = False

    def __post_init__(self) -> None:
        _check(
            self,
            {"days": (int,), "minutes": (int,), "clock": (str, _NONE), "reminder_hour": (bool,)},
        )
        if self.anchor not in ("start", "end"):
            raise ValueError(f"anchor: expected 'start' or 'end', got {self.anchor!r}")
        if self.clock is not None and not _CLOCK.fullmatch(self.clock):
            raise ValueError(f"clock: expected HH:MM, got {self.clock!r}")
        if self.clock is not None and self.reminder_hour:
            raise ValueError("clock and reminder_hour cannot both be set")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; `from_dict` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RelTime:
        return _build(cls, data, {})

    def shifted(self, *, days: int = 0, minutes: int = 0) -> RelTime:
        """The same point moved by calendar days and exact minutes."""
        return replace(self, days=self.days + days, minutes=self.minutes + minutes)


@dataclass(frozen=True)
class Recurrence:
    """How a step repeats: its RFC 5545 RRULE body, until a time relative to the procedure.

    The rule alone decides the occurrences (see `rrules`); the other properties are read from
    it, for wording and review. The rule is stored in its canonical form.
    """

    rule: str
    until: RelTime

    def __post_init__(self) -> None:
        _check(self, {"rule": (str,), "until": (RelTime,)})
        try:
            parts = _rule_parts(self.rule)
        except ValueError as error:
            raise ValueError(f"rule: {error}") from None
        object.__setattr__(self, "rule", parts.text())

    @property
    def parts(self) -> rrules.RuleParts:
        """The rule's parts (checked when the recurrence was made)."""
        return _rule_parts(self.rule)

    @property
    def times_per_day(self) -> int | None:
        """How many times a day, for a daily rule (none for every other day at no clock)."""
        parts = self.parts
        if parts.freq != "DAILY" or (parts.interval > 1 and not parts.clock_times):
            return None
        return len(parts.clock_times) or 1

    @property
    def every_minutes(self) -> int | None:
        """Minutes between repeats, for an hourly or minutely rule."""
        return self.parts.every_minutes

    @property
    def times_per_week(self) -> int | None:
        """How many days a week, for a weekly rule."""
        parts = self.parts
        if parts.freq != "WEEKLY" or parts.interval > 1:
            return None
        return len(parts.weekdays) or 1

    @property
    def while_awake(self) -> bool:
        """Every N minutes or hours, only in the waking hours the rule lists (BYHOUR)."""
        return self.parts.sub_daily and bool(self.parts.hours)

    @property
    def count(self) -> int | None:
        """How many times in all, when the text gave a number (COUNT)."""
        return self.parts.count

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; `from_dict` reads it back."""
        return {"rule": self.rule, "until": self.until.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recurrence:
        return _build(cls, data, {"until": RelTime.from_dict})


@lru_cache(maxsize=1024)
def _rule_parts(rule: str) -> rrules.RuleParts:
    """Parsed once per rule text: steps are made and read back many times over."""
    return rrules.parse(rule)


@dataclass(frozen=True)
class Timing:
    """What one instruction says about its time (a Step without its place in the document)."""

    kind: str
    critical: bool
    conditional: bool
    opens: RelTime
    due: RelTime
    expires: RelTime | None
    recurrence: Recurrence | None
    evidence: str
    rule: str
    confidence: float
    mark: RelTime  # the moment the text named, for a following "after that"


@dataclass(frozen=True)
class Settings:
    """A pathway's own times, used when its document does not state them."""

    arrival_minutes: int = 60  # check-in this long before the start
    stay_days: int = 0  # nights in hospital after the end (0: a day case, home the same day)

    def __post_init__(self) -> None:
        _check(self, {"arrival_minutes": (int,), "stay_days": (int,)})
        arrival_ok = 0 <= self.arrival_minutes <= MAX_ARRIVAL_MINUTES
        if not arrival_ok or not 0 <= self.stay_days <= MAX_STAY_DAYS:
            raise ValueError(
                f"arrival_minutes must be 0 to {MAX_ARRIVAL_MINUTES} "
                f"and stay_days 0 to {MAX_STAY_DAYS}"
            )


@dataclass(frozen=True)
class Evidence:
    """Another instruction merged into a step because it says the same thing."""

    section: str
    line: int
    text: str

    def __post_init__(self) -> None:
        _check(self, {"section": (str,), "line": (int,), "text": (str,)})

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; `from_dict` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evidence:
        return _build(cls, data, {})


@dataclass(frozen=True)
class Step:
    """One patient instruction with its window relative to the procedure.

    `asks` says what it asks of the patient (see ASKS); `merged` holds the other
    instructions that said the same thing, so a reviewer can see and split them.
    """

    section: str
    line: int
    text: str
    kind: str
    critical: bool
    conditional: bool
    opens: RelTime
    due: RelTime
    expires: RelTime | None
    recurrence: Recurrence | None
    evidence: str
    rule: str
    confidence: float
    asks: str = "do"
    merged: tuple[Evidence, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.merged, list):  # read back from JSON
            object.__setattr__(self, "merged", tuple(self.merged))
        _check(
            self,
            {
                **dict.fromkeys(("section", "text", "kind", "evidence", "rule", "asks"), (str,)),
                "merged": (tuple,),
                "line": (int,),
                "critical": (bool,),
                "conditional": (bool,),
                "opens": (RelTime,),
                "due": (RelTime,),
                "expires": (RelTime, _NONE),
                "recurrence": (Recurrence, _NONE),
                "confidence": (float, int),
            },
        )
        if self.kind not in KINDS:
            raise ValueError(f"kind: {self.kind!r} is not one of {', '.join(KINDS)}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence: must be between 0 and 1, got {self.confidence}")
        if self.asks not in ASKS:
            raise ValueError(f"asks: {self.asks!r} is not one of {', '.join(ASKS)}")
        if not all(isinstance(e, Evidence) for e in self.merged):
            raise ValueError("merged: expected evidence entries")

    @property
    def merged_texts(self) -> tuple[str, ...]:
        """The texts of the instructions merged into this one."""
        return tuple(e.text for e in self.merged)

    @property
    def needs_review(self) -> bool:
        """A reviewer should look at the timing before patients get it."""
        return self.confidence < REVIEW_THRESHOLD

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; `from_dict` reads it back."""
        data = asdict(self)
        data["merged"] = list(data["merged"])
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        nested = {
            "opens": RelTime.from_dict,
            "due": RelTime.from_dict,
            "expires": RelTime.from_dict,
            "recurrence": Recurrence.from_dict,
            "merged": _evidence_list,
        }
        return _build(cls, data, nested)


def _evidence_list(data: Any) -> tuple[Evidence, ...]:
    if not isinstance(data, list | tuple):
        raise ValueError(f"merged: expected a list, got {type(data).__name__}")
    return tuple(Evidence.from_dict(item) for item in data)


@dataclass(frozen=True)
class Derived:
    """A document's steps, the procedure's duration and what a reviewer should know."""

    steps: tuple[Step, ...]
    duration_minutes: int
    warnings: tuple[str, ...]
