"""Many rows read as one: the database packs a query's rows into a single JSON array.

Why: Python's sqlite3 releases the interpreter lock around every step of a cursor, once per
row. Under a threaded web server each release hands the lock to another request thread, and
the switch back costs far more than reading the row: a page that reads 70 rows spends most
of its time switching threads (measured in bench/bench_patient.py). Packed, the same rows
take one step. PostgreSQL builds the same array, so both databases share one code path.

Values come back as JSON types: numbers, strings, null. Datetimes arrive as ISO strings
(naive UTC, like the columns) and `unpack` turns the named ones back into datetimes.

tracker.patient.driver_query runs such statements on the driver's cursor.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import JSON


class json_rows(FunctionElement[Any]):  # noqa: N801 - named like the SQL functions it becomes
    """An aggregate: the group's rows as a JSON array of arrays (columns in the given order)."""

    type = JSON()
    inherit_cache = True
    name = "json_rows"


@compiles(json_rows, "sqlite")
def _sqlite(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    return f"json_group_array(json_array({compiler.process(element.clauses, **kw)}))"


@compiles(json_rows, "postgresql")
def _postgresql(element: json_rows, compiler: SQLCompiler, **kw: Any) -> str:
    # json_agg gives NULL for no rows; an empty array keeps one shape for the caller.
    return (
        f"coalesce(json_agg(json_build_array({compiler.process(element.clauses, **kw)})),"
        " '[]'::json)"
    )


def unpack(packed: Any, times: Iterable[int] = ()) -> list[list[Any]]:
    """The rows of a `json_rows` value, with the columns at positions `times` as datetimes.

    The JSON type decodes the value on both databases; a raw string (a text() query) is
    decoded here."""
    rows: list[list[Any]] = json.loads(packed) if isinstance(packed, str) else list(packed or [])
    positions: Sequence[int] = tuple(times)
    parse = datetime.fromisoformat
    for row in rows:
        for position in positions:
            value = row[position]
            if value is not None:
                row[position] = parse(value)
    return rows
