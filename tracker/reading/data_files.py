"""The packaged TOML data files, read with typed access to each table and errors that say where.

`load(path)` opens one file as a `Reader`; the lexicon and the clinical defaults take every
value through it, so a bad file raises `LexiconError` naming the file, the entry and the
problem when it is read, not later somewhere in the timing code.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from tracker.errors import LexiconError

DATA = Path(__file__).with_name("data")
CLOCK = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")


class Reader:
    """Typed access to one TOML table, with errors that say where."""

    def __init__(self, data: Any, file: str, where: str) -> None:
        if not isinstance(data, dict):
            raise LexiconError(f"{file}: {where}: expected a table")
        self.data, self.file, self.where = data, file, where

    def fail(self, key: str, problem: str) -> LexiconError:
        return LexiconError(f"{self.file}: {self.where}.{key}: {problem}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, "missing")
            return default
        value = self.data[key]
        if isinstance(value, bool) and kind in (int, float, (int, float)):
            raise self.fail(key, "expected a number, not true/false")
        if not isinstance(value, kind):
            raise self.fail(key, f"expected {getattr(kind, '__name__', kind)}")
        return value

    def text(self, key: str, default: Any = ...) -> Any:
        value = self.get(key, str, default)
        if isinstance(value, str) and not value.strip():
            raise self.fail(key, "is empty")
        return value

    def words(self, key: str, default: Any = ...) -> tuple[str, ...]:
        value = self.get(key, list, default)
        if not all(isinstance(w, str) and w.strip() for w in value):
            raise self.fail(key, "expected a list of non-empty strings")
        return tuple(w.lower() for w in value)

    def fraction(self, key: str, default: Any = ...) -> float:
        value = float(self.get(key, (int, float), default))
        if not 0.0 <= value <= 1.0:
            raise self.fail(key, "must be between 0 and 1")
        return value

    def clock(self, key: str, default: Any = ...) -> Any:
        value = self.get(key, str, default)
        if value is not None and not CLOCK.fullmatch(value):
            raise self.fail(key, f"{value!r} is not a clock time HH:MM")
        return value

    def choice(self, key: str, options: tuple[str, ...], default: Any = ...) -> Any:
        value = self.get(key, str, default)
        if value is not None and value not in options:
            raise self.fail(key, f"{value!r} is not one of {', '.join(options)}")
        return value

    def table(self, key: str) -> Reader:
        return Reader(self.get(key, dict), self.file, f"{self.where}.{key}")

    def rows(self, key: str) -> list[Reader]:
        items = self.get(key, list)
        return [Reader(item, self.file, f"{key}[{i}]") for i, item in enumerate(items)]


def load(path: Path) -> Reader:
    """One data file, as a reader of its top table."""
    try:
        with path.open("rb") as handle:
            return Reader(tomllib.load(handle), path.name, "")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LexiconError(f"{path.name}: cannot read ({exc})") from None
