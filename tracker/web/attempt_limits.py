"""Limits on failed attempts (sign-ins, wrong patient links, wrong dates of birth) that
successes never pay, counted in one store every web worker shares (tracker.web.attempt_store).

An attempt that might fail reserves its hit first (`reserve`: one atomic increment per limit,
refused when any count passes its limit), and gives it back when it succeeds (`give_back`); so
however many workers answer at once, exactly the limit's number of failures get through.
`exceeded`/`failed` check and count separately, for callers that only count failures.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from http import HTTPStatus
from typing import TypeVar

from flask import Flask, abort, current_app, request

from tracker.clock import utcnow
from tracker.db import get_engine
from tracker.errors import ConfigurationError
from tracker.web.attempt_store import (
    AttemptStore,
    Counter,
    DatabaseStore,
    RedisStore,
    StoreUnavailable,
)

T = TypeVar("T")
STORE_KEY = "tracker.attempts"
UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
RATE = re.compile(r"(\d+)\s*(?:per|/)\s*(\d+)?\s*(second|minute|hour|day)s?")
UNAVAILABLE = "Sign-in and link checks are briefly unavailable. Please try again in a minute."


@dataclass(frozen=True)
class Rate:
    """`amount` failures per `seconds`."""

    amount: int
    seconds: int


@lru_cache(maxsize=32)
def parse_rates(spec: str) -> tuple[Rate, ...]:
    """ "30 per minute;300 per day" as rates; ValueError names the part it cannot read."""
    rates = []
    for part in filter(None, (p.strip() for p in re.split(r"[;,]", spec))):
        match = RATE.fullmatch(part)
        if match is None:
            raise ValueError(f"{part!r} is not a limit like '5 per minute' or '300 per 2 days'")
        amount, count, unit = match.groups()
        rates.append(Rate(int(amount), int(count or 1) * UNIT_SECONDS[unit]))
    return tuple(rates)


def client_address() -> str:
    """The client's address (the proxy's X-Forwarded-For once TRACKER_PROXY_FIX trusts it)."""
    return request.remote_addr or "unknown"


@dataclass(frozen=True)
class Reservation:
    """The hits one attempt took, to give back if it succeeds."""

    counters: tuple[Counter, ...]
    at: datetime


@dataclass(frozen=True)
class AttemptLimit:
    """Failures allowed per subject (e.g. "30 per minute;300 per day"), set by `config_key`;
    `per_address` adds the client's address to every subject."""

    config_key: str
    default: str
    scope: str
    per_address: bool = False

    def _rates(self) -> tuple[Rate, ...]:
        if not current_app.config.get("RATELIMIT_ENABLED", True):
            return ()
        return parse_rates(str(current_app.config.get(self.config_key) or self.default))

    def _counters(self, parts: tuple[str, ...]) -> tuple[tuple[Rate, Counter], ...]:
        if self.per_address:
            parts = (*parts, client_address())
        # Hashed: the store never holds an email, an address or a link token.
        digest = hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:40]
        return tuple(
            (rate, Counter(f"{self.scope}:{rate.seconds}:{digest}", rate.seconds))
            for rate in self._rates()
        )

    def reserve(self, *parts: str) -> Reservation | None:
        """Count one attempt by the subject `parts`; None (refuse it) once past the limit."""
        pairs = self._counters(parts)
        now = utcnow()
        counts = _call(lambda store: store.add([c for _, c in pairs], 1, now)) if pairs else []
        reservation = Reservation(tuple(c for _, c in pairs), now)
        if any(count > rate.amount for (rate, _), count in zip(pairs, counts, strict=True)):
            give_back(reservation)  # a refusal costs nothing: the window's count stays full
            return None
        return reservation

    def exceeded(self, *parts: str) -> bool:
        """Whether the subject has used up its failures: refuse before doing the work."""
        pairs = self._counters(parts)
        if not pairs:
            return False
        counts = _call(lambda store: store.read([c for _, c in pairs], utcnow()))
        return any(count >= rate.amount for (rate, _), count in zip(pairs, counts, strict=True))

    def failed(self, *parts: str) -> None:
        """Count one failure by the subject."""
        pairs = self._counters(parts)
        if pairs:
            _call(lambda store: store.add([c for _, c in pairs], 1, utcnow()))


def give_back(reservation: Reservation) -> None:
    """Return a reserved hit: the attempt succeeded."""
    if reservation.counters:
        _call(lambda store: store.add(reservation.counters, -1, utcnow()))


def _call(use: Callable[[AttemptStore], T]) -> T:
    try:
        return use(current_app.extensions[STORE_KEY])
    except StoreUnavailable as error:
        current_app.logger.error("%s", error)
        abort(HTTPStatus.SERVICE_UNAVAILABLE, UNAVAILABLE)


LIMIT_SETTINGS = (
    "SIGN_IN_LIMIT",
    "SIGN_IN_ADDRESS_LIMIT",
    "SIGN_IN_NEW_DEVICE_LIMIT",
    "PATIENT_LINK_LIMIT",
    "PATIENT_DOB_LIMIT",
)


def init_app(app: Flask) -> None:
    """Check the limit settings; choose the store: Redis at RATELIMIT_STORAGE_URL, else this
    app's database."""
    for name in LIMIT_SETTINGS:
        try:
            parse_rates(str(app.config.get(name) or ""))
        except ValueError as error:
            raise ConfigurationError(f"TRACKER_{name}: {error}") from None
    url = str(app.config.get("RATELIMIT_STORAGE_URL") or "")
    store: AttemptStore
    if url:
        store = RedisStore(url, str(app.config.get("RATELIMIT_KEY_PREFIX") or "tracker"))
    else:
        store = DatabaseStore(get_engine(app))
    app.extensions[STORE_KEY] = store
