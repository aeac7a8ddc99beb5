"""Migration 0011: stored recurrences become {rule, until}, the rule written from the old fields.

A database at 0010 holds old-form recurrences; upgraded, each rule schedules what the old
fields did (dose times, waking hours, bedtime, weekdays) and reads back as a Recurrence in its
canonical form; downgraded, the old fields come back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from tracker import db
from tracker.reading.steps import Recurrence

UNTIL = {"anchor": "end", "days": 14, "minutes": 0, "clock": None, "reminder_hour": False}
AWAKE = ",".join(map(str, range(8, 22)))


def old(rule: str, **fields: Any) -> dict[str, Any]:
    blank = {"times_per_day": None, "every_minutes": None, "times_per_week": None}
    return {"rule": rule, **blank, "until": UNTIL, "while_awake": False,
            "during_sleep": False, **fields}  # fmt: skip


# old-form recurrence -> the rule it becomes
CASES: list[tuple[dict[str, Any] | None, str | None]] = [
    (old("FREQ=DAILY", times_per_day=1), "FREQ=DAILY"),
    (old("FREQ=DAILY;BYHOUR=8,12,16,20;BYMINUTE=0", times_per_day=4),
     "FREQ=DAILY;BYHOUR=8,12,16,20;BYMINUTE=0"),
    (old("times_per_day", times_per_day=2), "FREQ=DAILY;BYHOUR=8,20;BYMINUTE=0"),  # the editor
    (old("FREQ=DAILY", times_per_day=8),
     "FREQ=DAILY;BYHOUR=8,9,11,13,14,16,18,20;BYMINUTE=0,9,17,26,34,43,51;BYSETPOS=1,13,18,"
     "23,35,40,45,50"),
    (old(f"FREQ=HOURLY;BYHOUR={AWAKE};BYMINUTE=0", every_minutes=60, while_awake=True),
     f"FREQ=HOURLY;BYHOUR={AWAKE}"),
    (old("FREQ=HOURLY;INTERVAL=2", every_minutes=120, while_awake=True),
     f"FREQ=HOURLY;INTERVAL=2;BYHOUR={AWAKE}"),
    (old("FREQ=MINUTELY;INTERVAL=120", every_minutes=120), "FREQ=HOURLY;INTERVAL=2"),
    (old("FREQ=MINUTELY;INTERVAL=40", every_minutes=40), "FREQ=MINUTELY;INTERVAL=40"),
    (old("FREQ=WEEKLY;BYDAY=MO,WE,FR", times_per_week=3), "FREQ=WEEKLY;BYDAY=MO,WE,FR"),
    (old("FREQ=WEEKLY", times_per_week=1), "FREQ=WEEKLY"),
    (old("FREQ=WEEKLY;INTERVAL=2"), "FREQ=WEEKLY;INTERVAL=2"),
    (old("FREQ=DAILY;INTERVAL=2"), "FREQ=DAILY;INTERVAL=2"),
    (old("FREQ=DAILY;BYHOUR=22;BYMINUTE=0", times_per_day=1, during_sleep=True),
     "FREQ=DAILY;BYHOUR=22;BYMINUTE=0"),
    (None, None),
]  # fmt: skip


def _urls(kind: str, tmp_path: Path) -> Iterator[str]:
    from tests.conftest import postgres_schema

    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
    else:
        yield from postgres_schema(migrate=False)


def _stored_at_0010(engine: sa.Engine) -> None:
    db.upgrade(engine, "0010")
    when = json.dumps({"anchor": "end"})
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO pathway (id, slug, code_system, code, title, short_name, created_at)"
                " VALUES (1, 's', 'CPT4', '1', 't', 't', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO pathwayversion (id, pathway_id, number, state, title, source_name,"
                " source_text, source_hash, duration_minutes, warnings, created_at) VALUES"
                " (1, 1, 1, 'published', 't', 's.txt', 'x', 'h', 60, '[]', CURRENT_TIMESTAMP)"
            )
        )
        step = sa.table(
            "step",
            *(sa.column(n) for n in ("version_id", "position", "section", "line", "text")),
            *(sa.column(n) for n in ("kind", "critical", "conditional", "evidence", "rule")),
            *(sa.column(n) for n in ("confidence", "asks")),
            *(sa.column(n, sa.JSON()) for n in ("opens", "due", "recurrence", "merged")),
        )
        connection.execute(
            sa.insert(step),
            [
                {"version_id": 1, "position": position, "section": "recovery", "line": 1,
                 "text": f"step {position}", "kind": "activity", "critical": False,
                 "conditional": False, "evidence": "", "rule": "", "confidence": 0.9,
                 "asks": "do", "opens": json.loads(when), "due": json.loads(when),
                 "recurrence": recurrence if recurrence is not None else sa.null(),
                 "merged": []}
                for position, (recurrence, _) in enumerate(CASES)
            ],
        )  # fmt: skip


def _recurrences(engine: sa.Engine) -> list[Any]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT recurrence FROM step ORDER BY position"))
        return [json.loads(v) if isinstance(v, str) else v for (v,) in rows]


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_0011_writes_the_old_fields_into_the_rule_and_back(kind: str, tmp_path: Path) -> None:
    for url in _urls(kind, tmp_path):
        engine = db.make_engine(url)
        try:
            _stored_at_0010(engine)
            db.upgrade(engine, "0011")
            upgraded = _recurrences(engine)
            assert [r and r["rule"] for r in upgraded] == [rule for _, rule in CASES]
            for stored in filter(None, upgraded):
                assert set(stored) == {"rule", "until"} and stored["until"] == UNTIL
                assert Recurrence.from_dict(stored).rule == stored["rule"]  # canonical

            command.downgrade(db.alembic_config(engine), "0010")
            downgraded = _recurrences(engine)
            for (before, _), after in zip(CASES, downgraded, strict=True):
                if before is None:
                    assert after is None
                    continue
                fields = ("times_per_day", "every_minutes", "times_per_week", "while_awake")
                kept = {k: after[k] for k in (*fields, "during_sleep", "until")}
                # what the old schedule read comes back (a "1 time a day" may read as None)
                expected = {k: before[k] for k in kept}
                if before["times_per_day"] is None and after["times_per_day"] == 1:
                    expected["times_per_day"] = 1
                if before["times_per_week"] is None and after["times_per_week"] == 1:
                    expected["times_per_week"] = 1
                assert kept == expected, before

            db.upgrade(engine, "0011")  # and up again: the same rules
            assert [r and r["rule"] for r in _recurrences(engine)] == [r for _, r in CASES]
        finally:
            engine.dispose()
