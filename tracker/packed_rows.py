"""Many rows read as one: the database packs a query's rows into a single JSON array.

Why: Python's sqlite3 releases the interpreter lock around every step of a cursor, once per
row. Under a threaded web server each release hands the lock to another request thread, and
the switch back costs far more than reading the row: a page that reads 70 rows spends most
of its time switching threads (measured in bench/bench_patient.py). Packed, the same rows
take one step. PostgreSQL builds the same array, so both databases share one code path.

Values come back as JSON types: numbers, strings, null. Datetimes arrive as ISO strings
(naive UTC, like the columns) and `unpack` turns the named ones back into datetimes.

`PackedQuery` runs such a statement on the driver's cursor, compiled once per database: for
a statement this size SQLAlchemy's per-execution work (cache key, parameters, result
machinery) cost as much as the database's own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import Select
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


@dataclass(frozen=True)
class _Prepared:
    """A statement compiled for one database: its SQL, parameters and their conversions."""

    sql: str
    names: tuple[str, ...]  # in the order the driver takes them (positional drivers)
    positional: bool
    constants: dict[str, Any]  # the statement's own values (limits, literals)
    converters: dict[str, Callable[[Any], Any]]  # e.g. datetimes to SQLite's text form


class PackedQuery:
    """A select of `json_rows` values, run on the driver's cursor; one row comes back."""

    def __init__(self, statement: Select[Any], required: Sequence[str]) -> None:
        self.statement = statement
        self.required = tuple(required)  # the parameters every call supplies
        self._prepared: dict[str, _Prepared] = {}

    def one(self, connection: Connection, params: Mapping[str, Any]) -> tuple[Any, ...]:
        """The row, in the connection's transaction."""
        prepared = self._prepared.get(connection.dialect.name) or self._prepare(connection.dialect)
        values = {**prepared.constants, **params}
        for name, convert in prepared.converters.items():
            values[name] = convert(values[name])
        arguments = [values[name] for name in prepared.names] if prepared.positional else values
        cursor = connection.connection.cursor()
        try:
            cursor.execute(prepared.sql, arguments)
            row = cursor.fetchone()
        finally:
            cursor.close()
        assert row is not None  # a select of aggregates always has its one row
        return tuple(row)

    def _prepare(self, dialect: Dialect) -> _Prepared:
        compiled = self.statement.compile(dialect=dialect)
        constants = dict(compiled.construct_params(dict.fromkeys(self.required)))
        for name in self.required:
            del constants[name]
        converters: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            convert = bind.type.bind_processor(dialect)
            if convert is not None and (name in self.required or name in constants):
                converters[name] = convert
        prepared = _Prepared(
            sql=compiled.string,
            names=tuple(compiled.positiontup or ()),
            positional=compiled.positional,
            constants=constants,
            converters=converters,
        )
        self._prepared[dialect.name] = prepared
        return prepared
