"""Score the converter on the reading corpus (tests/reading/corpus/, format in its README).

Each document is converted for a procedure starting Tue 2027-03-16 10:00 in America/New_York;
every expectation's `asks` and timing checks (opens, due, expires, every, until) are compared
with the step its `match` finds. `score_corpus()` returns per-document and total figures and
the misses with a readable reason; `bench/` imports it too (it puts the repository root on
sys.path), so nothing here depends on pytest.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tracker.localtime import local_to_utc, resolve
from tracker.reading.documents import read_document
from tracker.reading.timing import Settings, Step, derive

CORPUS = Path(__file__).with_name("corpus")
ZONE = ZoneInfo("America/New_York")
START_LOCAL = datetime(2027, 3, 16, 10, 0)
REMINDER_HOUR = 9
TIMING_FIELDS = ("opens", "due", "expires", "every", "until")
_EXPRESSION = re.compile(
    r"(?P<anchor>start|end)(?P<shifts>(?:[+-]\d+(?:min|h|d|w))*)"
    r"(?:@(?P<at>\d{2}:\d{2}|eod|day))?"
)
_SHIFT = re.compile(r"([+-])(\d+)(min|h|d|w)")


@dataclass
class Miss:
    document: str
    match: str
    check: str  # asks | opens | due | expires | every | until
    reason: str

    def __str__(self) -> str:
        return f"{self.document}: {self.match!r} {self.check}: {self.reason}"


@dataclass
class DocumentScore:
    name: str
    family: str
    timing_hits: int = 0
    timing_total: int = 0
    asks_hits: int = 0
    asks_total: int = 0
    misses: list[Miss] = field(default_factory=list)

    @property
    def timing(self) -> float:
        return self.timing_hits / self.timing_total if self.timing_total else 1.0

    @property
    def asks(self) -> float:
        return self.asks_hits / self.asks_total if self.asks_total else 1.0


@dataclass
class CorpusScore:
    documents: list[DocumentScore]

    def _sum(self, name: str) -> int:
        return sum(getattr(d, name) for d in self.documents)

    @property
    def timing(self) -> float:
        total = self._sum("timing_total")
        return self._sum("timing_hits") / total if total else 1.0

    @property
    def asks(self) -> float:
        total = self._sum("asks_total")
        return self._sum("asks_hits") / total if total else 1.0

    @property
    def checks(self) -> int:
        return self._sum("timing_total") + self._sum("asks_total")

    @property
    def misses(self) -> list[Miss]:
        return [m for d in self.documents for m in d.misses]

    def families(self) -> dict[str, tuple[float, float]]:
        """Family -> (timing, asks)."""
        grouped: dict[str, list[DocumentScore]] = {}
        for doc in self.documents:
            grouped.setdefault(doc.family, []).append(doc)
        return {name: CorpusScore(docs)._rates() for name, docs in sorted(grouped.items())}

    def _rates(self) -> tuple[float, float]:
        return self.timing, self.asks


class Instants:
    """Resolves the README's expressions for one procedure (start and end as aware UTC)."""

    def __init__(self, start: datetime, end: datetime) -> None:
        self.start, self.end = start, end

    def point(self, text: str, *, high: bool) -> datetime:
        """The earliest (or latest, `high`) instant an expression accepts."""
        found = _EXPRESSION.fullmatch(text.strip())
        if found is None:
            raise ValueError(f"bad expression {text!r}")
        local = (self.start if found["anchor"] == "start" else self.end).astimezone(ZONE)
        naive, exact = local.replace(tzinfo=None), timedelta()
        for sign, amount, unit in _SHIFT.findall(found["shifts"] or ""):
            n = int(amount) * (1 if sign == "+" else -1)
            if unit in ("d", "w"):
                naive += timedelta(days=n * (7 if unit == "w" else 1))
            else:
                exact += timedelta(minutes=n * (60 if unit == "h" else 1))
        at = found["at"]
        if at is None:
            return local_to_utc(naive, ZONE) + exact
        day = (naive + exact).date()  # the date the shifts land on (local)
        midnight = datetime.combine(day, datetime.min.time())
        if at == "eod" or (at == "day" and high):
            return local_to_utc(midnight + timedelta(days=1), ZONE)
        if at == "day":
            return local_to_utc(midnight, ZONE)
        hours, minutes = map(int, at.split(":"))
        return local_to_utc(midnight.replace(hour=hours, minute=minutes), ZONE)

    def accepts(self, expected: str | list[str], actual: datetime) -> bool:
        low, high = (expected, expected) if isinstance(expected, str) else expected
        return self.point(low, high=False) <= actual <= self.point(high, high=True)


def every_of(step: Step) -> str | None:
    """A step's recurrence in the README's words (daily, N/day, N/week, every Nh, every Nmin)."""
    rec = step.recurrence
    if rec is None:
        return None
    if rec.every_minutes:
        m = rec.every_minutes
        return f"every {m // 60}h" if m % 60 == 0 else f"every {m}min"
    if rec.times_per_week:
        return f"{rec.times_per_week}/week"
    freq = dict(p.split("=", 1) for p in rec.rule.split(";") if "=" in p)
    interval = int(freq.get("INTERVAL", "1"))
    if freq.get("FREQ") == "WEEKLY":
        return "1/week" if interval == 1 else f"every {interval}w"
    if interval > 1:
        return f"every {interval}d"
    per_day = rec.times_per_day or 1
    return "daily" if per_day == 1 else f"{per_day}/day"


def _same_every(expected: str, actual: str | None) -> bool:
    if actual is None:
        return False
    canon = {"1/day": "daily", "every 60min": "every 1h", "every 24h": "daily", "1/week": "1/week"}
    return canon.get(expected, expected) == canon.get(actual, actual)


def settings_of(spec: dict[str, Any]) -> Settings:
    """The file's per-pathway settings (arrival, stay) as the converter's Settings."""
    values: dict[str, int] = {}
    arrival = spec.get("arrival")
    if arrival:
        found = _EXPRESSION.fullmatch(arrival)
        if found is None or found["anchor"] != "start" or found["at"]:
            raise ValueError(f"bad arrival {arrival!r}")
        minutes = 0
        for sign, amount, unit in _SHIFT.findall(found["shifts"] or ""):
            size = {"min": 1, "h": 60, "d": 1440, "w": 10080}[unit]
            minutes += int(amount) * size * (1 if sign == "+" else -1)
        values["arrival_minutes"] = -minutes
    stay = spec.get("stay")
    if stay:
        found = re.fullmatch(r"(\d+)d", stay)
        if found is None:
            raise ValueError(f"bad stay {stay!r}")
        values["stay_days"] = int(found[1])
    return Settings(**values)


def _find(steps: tuple[Step, ...], match: str) -> Step | None:
    needle = match.lower()
    for step in steps:
        if needle in step.text.lower() or any(needle in t.lower() for t in step.merged_texts):
            return step
    return None


def _show(instant: datetime | None) -> str:
    return "none" if instant is None else f"{instant.astimezone(ZONE):%a %m-%d %H:%M}"


def score_document(txt: Path) -> DocumentScore:
    """One document's figures and misses."""
    spec = tomllib.loads(txt.with_suffix(".toml").read_text(encoding="utf-8"))
    score = DocumentScore(txt.stem, str(spec.get("family", "?")))
    derived = derive(read_document(txt), settings=settings_of(spec))
    start = local_to_utc(START_LOCAL, ZONE)
    end = start + timedelta(minutes=derived.duration_minutes)
    instants = Instants(start, end)

    def at(point: Any) -> datetime | None:
        if point is None:
            return None
        instant = resolve(point, start=start, end=end, tz=ZONE, reminder_hour=REMINDER_HOUR)
        return min(instant, start) if point.anchor == "start" else instant

    for expected in spec.get("step", []):
        match = expected["match"]
        step = _find(derived.steps, match)

        def miss(check: str, reason: str, match: str = match) -> None:
            score.misses.append(Miss(txt.stem, match, check, reason))

        if "asks" in expected:
            score.asks_total += 1
            if step is None:
                miss("asks", "no step matches")
            elif step.asks == expected["asks"]:
                score.asks_hits += 1
            else:
                miss("asks", f"expected {expected['asks']}, got {step.asks}")
        for check in (c for c in TIMING_FIELDS if c in expected):
            score.timing_total += 1
            if step is None:
                miss(check, "no step matches")
                continue
            want = expected[check]
            if check == "every":
                got = every_of(step)
                if _same_every(want, got):
                    score.timing_hits += 1
                else:
                    miss(check, f"expected {want}, got {got or 'no repeat'}")
                continue
            if check == "until":
                point = step.recurrence.until if step.recurrence else step.due
            else:
                point = getattr(step, check)
            actual = at(point)
            if actual is not None and instants.accepts(want, actual):
                score.timing_hits += 1
            else:
                miss(check, f"expected {want}, got {_show(actual)} ({step.rule})")
    return score


def documents() -> list[Path]:
    """The corpus documents that have their expectations file, in name order."""
    return sorted(p for p in CORPUS.glob("*.txt") if p.with_suffix(".toml").exists())


def score_corpus(paths: list[Path] | None = None) -> CorpusScore:
    """Every document's figures."""
    return CorpusScore([score_document(p) for p in (documents() if paths is None else paths)])


if __name__ == "__main__":
    import sys

    result = score_corpus()
    for miss in result.misses:
        print(miss)
    for doc in result.documents:
        print(f"{doc.name:45} timing {doc.timing:.2f} asks {doc.asks:.2f}")
    print(
        f"{len(result.documents)} documents, {result.checks} checks: "
        f"timing {result.timing:.3f}, asks {result.asks:.3f}",
        file=sys.stderr,
    )
