"""Steps that say the same thing become one step carrying every piece of evidence.

After the procedure, two steps that ask the same of the patient and name the same topic of
`data/duplicates.toml` ("pain relief" in Recovery and in Patient Experience) are merged into
the first: it keeps its window and records the other's section, line and text in `merged`,
so review can show the merge and split it back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from tracker.reading.data_files import DATA, load
from tracker.reading.steps import Evidence, Step

_MERGED_ASKS = ("do", "avoid", "know")  # warning signs stay one step of their own


@dataclass(frozen=True)
class Topic:
    name: str
    patterns: tuple[re.Pattern[str], ...]


@cache
def topics() -> tuple[Topic, ...]:
    """The packaged topics, read once."""
    found = []
    for row in load(DATA / "duplicates.toml").rows("topic"):
        row.text("reason")
        patterns = tuple(re.compile(p, re.IGNORECASE) for p in row.words("patterns"))
        found.append(Topic(row.text("name"), patterns))
    return tuple(found)


def _topic(step: Step) -> str | None:
    if step.opens.anchor != "end" or step.asks not in _MERGED_ASKS:
        return None
    return next((t.name for t in topics() if any(p.search(step.text) for p in t.patterns)), None)


def merge_duplicates(steps: list[Step]) -> list[Step]:
    """The steps with each duplicate folded into the first step of its topic."""
    kept: list[Step] = []
    first: dict[tuple[str, str], int] = {}  # (topic, asks) -> index in kept
    for step in steps:
        topic = _topic(step)
        key = (topic or "", step.asks)
        if topic is None or key not in first:
            if topic is not None:
                first[key] = len(kept)
            kept.append(step)
            continue
        index = first[key]
        evidence = (*kept[index].merged, Evidence(step.section, step.line, step.text), *step.merged)
        kept[index] = replace(kept[index], merged=evidence)
    return kept
