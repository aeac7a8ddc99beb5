"""Where failed-attempt counters live, shared by every web worker: the database by default
(table `attemptcount`), Redis when RATELIMIT_STORAGE_URL is set.

A counter's window starts at its first hit and lasts the limit's period; a hit after that
starts a new window. `add` is one atomic step per counter on both stores (an upsert; a Lua
script), and answers the new count, so concurrent workers never both see "one left".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import redis
from sqlalchemy import Engine, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from tracker.models import AttemptCount

PURGE_EVERY = 50  # a failure in this many also deletes counters whose window has ended
REDIS_TIMEOUT_SECONDS = 2.0
# KEYS[i]: counter; ARGV[1]: step; ARGV[1 + i]: its period in seconds. A new key (or one
# whose window ended and expired) starts its window now; a refund never goes below zero.
REDIS_ADD = """
local counts = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('INCRBY', key, ARGV[1])
  if n < 0 then redis.call('SET', key, 0, 'KEEPTTL'); n = 0 end
  if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[1 + i]) end
  counts[i] = n
end
return counts
"""


class StoreUnavailable(RuntimeError):
    """The counters cannot be read or written (Redis down, database unreachable)."""


@dataclass(frozen=True)
class Counter:
    """One limit's counter for one subject: its storage key and its window's length."""

    key: str
    seconds: int


class AttemptStore(Protocol):
    def add(self, counters: Sequence[Counter], step: int, now: datetime) -> list[int]:
        """Add `step` to each counter (a new window if its last one ended); the new counts."""
        ...

    def read(self, counters: Sequence[Counter], now: datetime) -> list[int]:
        """Each counter's count in its current window (0 if none)."""
        ...


class DatabaseStore:
    """Counters in the `attemptcount` table, each change its own short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._adds = 0

    def add(self, counters: Sequence[Counter], step: int, now: datetime) -> list[int]:
        table = AttemptCount.__table__  # type: ignore[attr-defined]
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        counts: list[int] = []
        try:
            with self.engine.begin() as connection:
                for counter in counters:
                    ends = now + timedelta(seconds=counter.seconds)
                    ended = table.c.expires_at <= now
                    statement = dialect.insert(table).values(
                        key=counter.key, hits=max(step, 0), expires_at=ends
                    )
                    statement = statement.on_conflict_do_update(
                        index_elements=[table.c.key],
                        set_={
                            "hits": case(
                                (ended, max(step, 0)),
                                (table.c.hits + step < 0, 0),
                                else_=table.c.hits + step,
                            ),
                            "expires_at": case((ended, ends), else_=table.c.expires_at),
                        },
                    ).returning(table.c.hits)
                    counts.append(int(connection.execute(statement).scalar_one()))
                self._adds += 1
                if self._adds % PURGE_EVERY == 0:
                    connection.execute(delete(table).where(table.c.expires_at <= now))
        except SQLAlchemyError as error:
            raise StoreUnavailable(f"attempt counters: {error.__class__.__name__}") from error
        return counts

    def read(self, counters: Sequence[Counter], now: datetime) -> list[int]:
        table = AttemptCount.__table__  # type: ignore[attr-defined]
        keys = [counter.key for counter in counters]
        statement = select(table.c.key, table.c.hits).where(
            table.c.key.in_(keys), table.c.expires_at > now
        )
        try:
            with self.engine.connect() as connection:
                found = dict(connection.execute(statement).tuples().all())
        except SQLAlchemyError as error:
            raise StoreUnavailable(f"attempt counters: {error.__class__.__name__}") from error
        return [int(found.get(key, 0)) for key in keys]


class RedisStore:
    """Counters as Redis keys that expire with their window."""

    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self.prefix = prefix
        self._add = self.client.register_script(REDIS_ADD)

    def add(self, counters: Sequence[Counter], step: int, now: datetime) -> list[int]:
        keys = [f"{self.prefix}:{counter.key}" for counter in counters]
        periods = [counter.seconds for counter in counters]
        try:
            counts = self._add(keys=keys, args=[step, *periods])
        except redis.RedisError as error:
            raise StoreUnavailable(f"attempt counters: {error}") from error
        return [int(count) for count in counts]

    def read(self, counters: Sequence[Counter], now: datetime) -> list[int]:
        keys = [f"{self.prefix}:{counter.key}" for counter in counters]
        try:
            values = self.client.mget(keys)
        except redis.RedisError as error:
            raise StoreUnavailable(f"attempt counters: {error}") from error
        return [int(value or 0) for value in values]
