"""The values timing produces: relative times, recurrences and steps, checked on creation.

`RelTime` counts calendar days, exact minutes, a clock time or the reminder hour from the
procedure's start or end; `Step` is one timed instruction. Each value refuses bad fields and
round-trips through `to_dict` / `from_dict` (data read back from JSON is not trusted).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal, TypeVar

from tracker.reading.lexicon import KINDS

__all__ = [
    "REVIEW_THRESHOLD",
    "Anchor",
    "Derived",
    "Recurrence",
    "RelTime",
    "Step",
    "Timing",
]

Anchor = Literal["start", "end"]
REVIEW_THRESHOLD = 0.6
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
    """How a step repeats (fields drive the schedule; `rule` is its RFC 5545 RRULE body)."""

    rule: str
    times_per_day: int | None
    every_minutes: int | None
    until: RelTime
    times_per_week: int | None = None
    while_awake: bool = False
    during_sleep: bool = False

    def __post_init__(self) -> None:
        counts = ("times_per_day", "every_minutes", "times_per_week")
        _check(
            self,
            {
                "rule": (str,),
                "until": (RelTime,),
                "while_awake": (bool,),
                "during_sleep": (bool,),
                **dict.fromkeys(counts, (int, _NONE)),
            },
        )
        if not self.rule.strip():
            raise ValueError("rule: must not be empty")
        if any((value := getattr(self, k)) is not None and value <= 0 for k in counts):
            raise ValueError("times_per_day, every_minutes, times_per_week must be positive")

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; `from_dict` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Recurrence:
        return _build(cls, data, {"until": RelTime.from_dict})


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
class Step:
    """One patient instruction with its window relative to the procedure."""

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

    def __post_init__(self) -> None:
        _check(
            self,
            {
                **dict.fromkeys(("section", "text", "kind", "evidence", "rule"), (str,)),
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

    @property
    def needs_review(self) -> bool:
        """A reviewer should look at the timing before patients get it."""
        return self.confidence < REVIEW_THRESHOLD

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; `from_dict` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        nested = {
            "opens": RelTime.from_dict,
            "due": RelTime.from_dict,
            "expires": RelTime.from_dict,
            "recurrence": Recurrence.from_dict,
        }
        return _build(cls, data, nested)


@dataclass(frozen=True)
class Derived:
    """A document's steps, the procedure's duration and what a reviewer should know."""

    steps: tuple[Step, ...]
    duration_minutes: int
    warnings: tuple[str, ...]
