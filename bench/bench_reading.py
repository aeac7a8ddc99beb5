"""The converter on the reading corpus, a generic tagger alone as its peer, the second reading.

One run prints (issue 10):
- the converter's score on tests/reading/corpus/ (timing checks and `asks` labels);
- the peer: timefhuman alone, each reading mapped naively to a window, scored on the same
  checks, and the gap between the two;
- how often the second reading flags a step, and how many flags are real converter errors
  (a flag on a step with a missed timing check) against false alarms (all its checks pass);
- seed-sized documents converted per second with the second reading off and on.

The peer gets the converter's clauses (its text per step) and its anchors (preparation: the
start, else the end), so it is scored on reading time alone. Its windows: "N before" opens at
start-N (a point: due then too; "for N before": due at the start), "N after" at end+N, "for N"
from the anchor to anchor+N, a clock that clock on the anchor day, nothing found the anchor
itself; "N times a day" / "every N" repeat until the anchor plus its other duration. Like the
converter, nothing before the procedure outlives the start. Asks: the peer has none, so every
step is scored as the majority label `do`.
"""

from __future__ import annotations

import statistics
import sys
import time
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.reading.corpus_check import (  # noqa: E402
    REMINDER_HOUR,
    START_LOCAL,
    TIMING_FIELDS,
    ZONE,
    Instants,
    documents,
    every_of,
    score_corpus,
    settings_of,
)
from tracker.library.pathways import documents_in  # noqa: E402
from tracker.localtime import local_to_utc, resolve  # noqa: E402
from tracker.reading import second_reading  # noqa: E402
from tracker.reading.documents import parse_document, read_document  # noqa: E402
from tracker.reading.frequencies import Repeat, rrule  # noqa: E402
from tracker.reading.steps import Recurrence, RelTime, Step  # noqa: E402
from tracker.reading.tagger import DAY, TaggedTime, tag  # noqa: E402
from tracker.reading.timing import derive  # noqa: E402

SEED = ROOT / "tests" / "fixtures" / "documents" / "22868.txt"
TEAM_DOCUMENTS = documents_in(ROOT / "pathways")  # translations (22868.es.txt) are not documents
TARGET_TIMING, TARGET_ASKS = 0.97, 0.95
TARGET_GAP = 0.15
TARGET_DOCS_PER_SECOND = 200
PEER_ASKS = "do"  # the majority label on the corpus


@dataclass
class Tally:
    """Checks passed and made, for one reader."""

    timing_hits: int = 0
    timing_total: int = 0
    asks_hits: int = 0
    asks_total: int = 0

    @property
    def timing(self) -> float:
        return self.timing_hits / self.timing_total if self.timing_total else 1.0

    @property
    def asks(self) -> float:
        return self.asks_hits / self.asks_total if self.asks_total else 1.0


@dataclass
class Flags:
    """What the second reading flagged on the corpus, against the corpus expectations."""

    steps: int = 0
    flagged: int = 0
    caught: int = 0  # flagged, and a timing check on it misses: a real converter error
    false_alarms: int = 0  # flagged, and every timing check on it passes
    unchecked: int = 0  # flagged, with no timing check written for it
    wrong_steps: int = 0  # steps with a missed timing check, flagged or not
    verdicts: dict[str, int] = field(default_factory=dict)  # every step's verdict, counted


def _find(steps: Iterable[Step], match: str) -> Step | None:
    """The first step whose text (or a merged one) holds `match`, as corpus_check finds it."""
    needle = match.lower()
    for step in steps:
        if needle in step.text.lower() or any(needle in t.lower() for t in step.merged_texts):
            return step
    return None


def _same_every(expected: str, actual: str | None) -> bool:
    canon = {"1/day": "daily", "every 60min": "every 1h", "every 24h": "daily"}
    return actual is not None and canon.get(expected, expected) == canon.get(actual, actual)


def _score(
    steps: tuple[Step, ...], spec: dict[str, Any], end_minutes: int, tally: Tally
) -> set[int]:
    """corpus_check's checks on these steps; returns the ids of steps with a timing miss."""
    start = local_to_utc(START_LOCAL, ZONE)
    end = start + timedelta(minutes=end_minutes)
    instants, missed = Instants(start, end), set()

    def at(point: RelTime | None) -> datetime | None:
        if point is None:
            return None
        instant = resolve(point, start=start, end=end, tz=ZONE, reminder_hour=REMINDER_HOUR)
        return min(instant, start) if point.anchor == "start" else instant

    for expected in spec.get("step", []):
        step = _find(steps, expected["match"])
        if "asks" in expected:
            tally.asks_total += 1
            tally.asks_hits += step is not None and step.asks == expected["asks"]
        for check in (c for c in TIMING_FIELDS if c in expected):
            tally.timing_total += 1
            if step is None:
                continue
            if check == "every":
                hit = _same_every(expected[check], every_of(step))
            else:
                rec = step.recurrence
                point = (rec.until if rec else step.due) if check == "until" else None
                actual = at(point if check == "until" else getattr(step, check))
                hit = actual is not None and instants.accepts(expected[check], actual)
            tally.timing_hits += hit
            if not hit:
                missed.add(id(step))
    return missed


def _point(anchor: str, minutes: int) -> RelTime:
    """A naive point: calendar days when the amount is whole days, else exact minutes."""
    if minutes % DAY == 0:
        return RelTime(anchor, minutes // DAY)  # type: ignore[arg-type]
    return RelTime(anchor, minutes=minutes)  # type: ignore[arg-type]


def peer_step(step: Step) -> Step:
    """The tagger alone: its first time mapped naively to a window (see the module doc)."""
    anchor = "start" if step.section == "preparation" else "end"
    times = [t for t in tag(step.text) if t.kind != "date"]
    here = RelTime(anchor)  # type: ignore[arg-type]
    repeat = next((t for t in times if t.kind == "recurrence"), None)
    spans = [t for t in times if t.kind in ("duration", "range")]
    first = next((t for t in times if t.kind != "recurrence"), None)
    opens = due = here
    if first is not None and first.clock:
        opens = due = RelTime(anchor, clock=first.clock)  # type: ignore[arg-type]
    elif first is not None:
        opens, due = _window(first, anchor, step.text)
    recurrence = None
    if repeat is not None:
        longest = max((t.high or 0) for t in spans) if spans else 0
        until = here if anchor == "start" or not longest else _point("end", longest)
        freq = "MINUTELY" if repeat.every_minutes else "DAILY"
        freq = "WEEKLY" if repeat.times_per_week and not repeat.every_minutes else freq
        counts = (repeat.times_per_day, repeat.times_per_week, repeat.every_minutes)
        try:  # the rule the reader would write for the tagger's counts
            recurrence = Recurrence(rrule(Repeat((), freq, 1, *counts)), until)
        except ValueError:  # every minute or so: no rule repeats that often
            recurrence = None
    expires = here if anchor == "start" else None
    return replace(
        step, opens=opens, due=due, expires=expires, recurrence=recurrence, asks=PEER_ASKS
    )


def _window(time: TaggedTime, anchor: str, text: str) -> tuple[RelTime, RelTime]:
    """ "N before": opens start-N (a point, or up to the start for "for N"); "N after":
    end+N; "for N" with no side: from the anchor."""
    low, high = time.low or 0, time.high or 0
    words = (text[: time.start].rstrip().rsplit(" ", 1)[-1] + " " + time.text).lower()
    spans = any(w in words for w in ("for", "within", "until"))
    if time.direction == "before" or (time.direction is None and anchor == "start"):
        return _point("start", -high), RelTime("start") if spans else _point("start", -low)
    if time.direction == "after":
        return _point("end", low), _point("end", high)
    return RelTime(anchor), _point(anchor, high)  # type: ignore[arg-type]


def corpus_figures() -> tuple[Tally, Tally, Flags]:
    """The converter's and the peer's tallies, and the second reading's flags."""
    ours, peer, flags = Tally(), Tally(), Flags()
    for path in documents():
        spec = tomllib.loads(path.with_suffix(".toml").read_text(encoding="utf-8"))
        settings = settings_of(spec)
        derived = derive(read_document(path), settings=settings)
        missed = _score(derived.steps, spec, derived.duration_minutes, ours)
        peer_steps = tuple(peer_step(s) for s in derived.steps)
        _score(peer_steps, spec, derived.duration_minutes, peer)
        checked = {id(s) for e in spec.get("step", []) if (s := _find(derived.steps, e["match"]))
                   and any(c in e for c in TIMING_FIELDS)}  # fmt: skip
        flags.steps += len(derived.steps)
        flags.wrong_steps += len(missed)
        for step in derived.steps:
            reading = second_reading.compare(step, settings=settings)
            flags.verdicts[reading.verdict] = flags.verdicts.get(reading.verdict, 0) + 1
            if not reading.flagged:
                continue
            flags.flagged += 1
            if id(step) in missed:
                flags.caught += 1
            elif id(step) in checked:
                flags.false_alarms += 1
            else:
                flags.unchecked += 1
    return ours, peer, flags


def _nonce(n: int) -> str:
    """A word no reader knows (letters only, so the tagger's shortcut is not helped)."""
    letters = ""
    while True:
        n, r = divmod(n, 26)
        letters += "bcdfghjklmnpqrstvwxz"[r % 20] + "aeiou"[r % 5]
        if n == 0:
            return "zz" + letters


def per_second(
    texts: list[str], convert: Callable[[str, int], object], rounds: int = 5, batch: int = 100
) -> float:
    """Median documents per CPU second of `convert` over a few rounds.

    CPU time of this process, not wall time: other work on a shared machine does not count.
    """
    rates, counter = [], 0
    for _ in range(rounds):
        begin = time.process_time()
        for i in range(batch):
            counter += 1
            convert(texts[i % len(texts)], counter)
        rates.append(batch / (time.process_time() - begin))
    return statistics.median(rates)


def _off(text: str, n: int) -> object:
    return derive(parse_document(text, path="bench.txt", code=str(n)))


def _on(text: str, n: int) -> object:
    return second_reading.check(derive(parse_document(text, path="bench.txt", code=str(n))))


def _distinct(text: str, n: int) -> str:
    """The same document with an unknown word in every bullet, so no cache is warm."""
    return text.replace("\n- ", f"\n- {_nonce(n)} ")


def _verdict(ok: bool) -> str:
    return "pass" if ok else "FAIL"


def run() -> dict[str, float]:
    ours, peer, flags = corpus_figures()
    official = score_corpus()
    assert (ours.timing, ours.asks) == (official.timing, official.asks), "scorer drift"
    gap = ours.timing - peer.timing
    print(
        f"converter: timing {ours.timing:.3f} ({ours.timing_hits}/{ours.timing_total}, target >= "
        f"{TARGET_TIMING}: {_verdict(ours.timing >= TARGET_TIMING)}), asks {ours.asks:.3f} "
        f"({ours.asks_hits}/{ours.asks_total}, target >= {TARGET_ASKS}: "
        f"{_verdict(ours.asks >= TARGET_ASKS)}) on {len(documents())} documents"
    )
    print(
        f"peer:      timefhuman alone: timing {peer.timing:.3f}, asks {peer.asks:.3f} "
        f"(all '{PEER_ASKS}'); gap {gap:+.3f} timing (target >= +{TARGET_GAP}: "
        f"{_verdict(gap >= TARGET_GAP)}), {ours.asks - peer.asks:+.3f} asks"
    )
    rate = flags.flagged / flags.steps if flags.steps else 0.0
    precision = flags.caught / (flags.caught + flags.false_alarms) if flags.flagged else 0.0
    print(
        f"second reading: flags {flags.flagged} of {flags.steps} steps ({rate:.1%}); "
        f"{flags.caught} caught converter errors, {flags.false_alarms} false alarms, "
        f"{flags.unchecked} on unchecked steps (precision {precision:.2f}); it catches "
        f"{flags.caught} of the {flags.wrong_steps} steps with a timing miss"
    )
    print(
        "           verdicts: " + ", ".join(f"{k} {n}" for k, n in sorted(flags.verdicts.items()))
    )
    seed = SEED.read_text(encoding="utf-8")
    team = [p.read_text(encoding="utf-8") for p in TEAM_DOCUMENTS]
    off = per_second([seed], _off)
    on_same = per_second([seed], _on)
    on_distinct = per_second([seed], lambda t, n: _on(_distinct(t, n), n))
    off_distinct = per_second([seed], lambda t, n: _off(_distinct(t, n), n))
    team_off = per_second(team, lambda t, n: _off(_distinct(t, n), n), batch=40)
    team_on = per_second(team, lambda t, n: _on(_distinct(t, n), n), batch=40)
    print(
        f"speed:     seed-sized documents per CPU second: {off:,.0f} off, {on_same:,.0f} on "
        f"(the same text again: the tagger's caches are warm; target >= "
        f"{TARGET_DOCS_PER_SECOND}: {_verdict(on_same >= TARGET_DOCS_PER_SECOND)})"
    )
    cost = 1000 / on_distinct - 1000 / off_distinct
    print(
        f"           every bullet new to the tagger: {off_distinct:,.0f} off, {on_distinct:,.0f} "
        f"on (target >= {TARGET_DOCS_PER_SECOND}: "
        f"{_verdict(on_distinct >= TARGET_DOCS_PER_SECOND)}; the second reading costs "
        f"{cost:.1f} ms per seed-sized document)"
    )
    print(
        f"           team pathways/ (larger, {len(team)} documents, every bullet new): "
        f"{team_off:,.0f} off, {team_on:,.0f} on per CPU second"
    )
    return {
        "timing": ours.timing,
        "asks": ours.asks,
        "peer_timing": peer.timing,
        "gap": gap,
        "flag_rate": rate,
        "caught": flags.caught,
        "false_alarms": flags.false_alarms,
        "documents_per_second_on": on_same,
        "documents_per_second_on_distinct": on_distinct,
        "documents_per_second_off": off,
    }


if __name__ == "__main__":
    run()
