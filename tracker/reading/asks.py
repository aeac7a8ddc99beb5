"""What a step asks of the patient: `do` a thing, `avoid` something over a window, `know` a
fact or a permission (never reminded), or `watch` for warning signs.

Decided from the instruction's own words by the ordered rules of `data/asks.toml` (the first
rule with a pattern found decides; none: `do`), so a new phrasing is a new pattern, not code.
The same function fills `asks` for steps stored before it existed (migration 0003).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from tracker.errors import LexiconError
from tracker.reading.data_files import DATA, load
from tracker.reading.steps import ASKS

WATCH_KIND = "symptom watch"
WATCH_SECTION = "risks and complications"  # the warning-signs step made from the risks
_DEFAULT = "do"


@dataclass(frozen=True)
class AsksRule:
    asks: str
    patterns: tuple[re.Pattern[str], ...]
    reason: str
    any: re.Pattern[str]  # the patterns as one alternation: one search per rule


def read_rules(path: Path) -> tuple[AsksRule, ...]:
    """Read and validate an asks rules file."""
    rules = []
    for row in load(path).rows("rule"):
        compiled = []
        for pattern in row.get("patterns", list):
            if not isinstance(pattern, str) or not pattern.strip():
                raise row.fail("patterns", "expected non-empty regular expressions")
            try:
                compiled.append(re.compile(pattern, re.IGNORECASE))
            except re.error as exc:
                raise row.fail("patterns", f"bad pattern {pattern!r} ({exc})") from None
        joined = re.compile("|".join(f"(?:{p.pattern})" for p in compiled), re.IGNORECASE)
        rules.append(
            AsksRule(row.choice("asks", ASKS), tuple(compiled), row.text("reason"), joined)
        )
    if not rules:
        raise LexiconError(f"{path.name}: rule: at least one rule is needed")
    return tuple(rules)


@cache
def rules() -> tuple[AsksRule, ...]:
    """The packaged rules, read once."""
    return read_rules(DATA / "asks.toml")


def classify(text: str, *, section: str = "", kind: str = "") -> str:
    """What one instruction asks: do, avoid, know or watch."""
    if section == WATCH_SECTION:
        return "watch"
    return _read(text.strip().lstrip("-•* ").strip())


@lru_cache(maxsize=4096)
def _read(clause: str) -> str:
    """The first rule found in a clause (a clause is read several times while it is timed)."""
    return next((rule.asks for rule in rules() if rule.any.search(clause)), _DEFAULT)
