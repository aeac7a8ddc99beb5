"""Hot one-row selects run straight on the driver's cursor, compiled once per database.

Every patient page view runs two statements: opening the link and reading the page. For
them SQLAlchemy's per-execution work (the statement's cache key, parameter handling, the
result machinery) cost as much as the database's own. A DriverQuery compiles its Core
statement once per dialect with SQLAlchemy, then converts parameters and result values with
the same column types SQLAlchemy would use, so results read the same as through
`connection.execute`. It runs on the SQLAlchemy connection's own driver connection, inside
its transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Numeric
from sqlalchemy.sql import Select

Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class _Prepared:
    """A statement compiled for one database: its SQL, parameters and value conversions."""

    sql: str
    names: tuple[str, ...]  # in the order the driver takes them (positional drivers)
    positional: bool
    constants: dict[str, Any]  # the statement's own values (limits, literals)
    parameters: dict[str, Convert]  # e.g. datetimes to SQLite's text form
    results: tuple[Convert | None, ...]  # per column, e.g. SQLite's text back to datetimes


class DriverQuery:
    """A select returning at most one row; `required` names the parameters every call gives."""

    def __init__(self, statement: Select[Any], required: Sequence[str]) -> None:
        self.statement = statement
        self.required = tuple(required)
        self._prepared: dict[str, _Prepared] = {}

    def first(self, connection: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The row (None if there is none), in the connection's transaction."""
        prepared = self._prepared.get(connection.dialect.name) or self._prepare(connection.dialect)
        values = {**prepared.constants, **params}
        for name, convert in prepared.parameters.items():
            values[name] = convert(values[name])
        arguments = [values[name] for name in prepared.names] if prepared.positional else values
        cursor = connection.connection.cursor()
        try:
            cursor.execute(prepared.sql, arguments)
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return tuple(
            value if convert is None or value is None else convert(value)
            for convert, value in zip(prepared.results, row, strict=True)
        )

    def _prepare(self, dialect: Dialect) -> _Prepared:
        compiled = self.statement.compile(dialect=dialect)
        # What this shortcut does not do (connection.execute does): expand IN lists at run
        # time, keep parameter names the compiler rewrites, read numbers that need the
        # driver's column type. Refused at the first call, not half-supported.
        if "POSTCOMPILE" in compiled.string:
            raise ValueError(
                "DriverQuery: IN lists and other run-time expansions are not supported"
            )
        numbers = [
            column.name
            for column in self.statement.selected_columns
            if isinstance(column.type, Numeric)
        ]
        if numbers:
            raise ValueError(f"DriverQuery: numeric columns are not supported: {numbers}")
        constants = dict(compiled.construct_params(dict.fromkeys(self.required)))
        missing = [name for name in self.required if name not in constants]
        if missing:  # unknown, or renamed by the compiler (e.g. "a.b" becomes "a_b")
            raise ValueError(f"DriverQuery: no parameter named {', '.join(missing)}")
        for name in self.required:
            del constants[name]
        parameters: dict[str, Convert] = {}
        for name, bind in compiled.binds.items():
            convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if convert is not None and (name in self.required or name in constants):
                parameters[name] = convert
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in self.statement.selected_columns
        )
        prepared = _Prepared(
            sql=compiled.string,
            names=tuple(compiled.positiontup or ()),
            positional=compiled.positional,
            constants=constants,
            parameters=parameters,
            results=results,
        )
        self._prepared[dialect.name] = prepared
        return prepared
