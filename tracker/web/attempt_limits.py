"""Limits on failed attempts (wrong patient links, wrong dates of birth) that successes never pay.

Flask-Limiter's decorators check and count around every request they guard; on the
patient's checklist, which every patient opens many times a day, that bookkeeping cost more
than reading the page's rows. These limits use the same limiter's storage and strategy (one
setting, RATELIMIT_STORAGE_URI, shared by every web worker) directly. The caller decides
when to test: before the work where a lucky guess could succeed (a date of birth), or only
once an attempt has failed (a 256-bit link token); a hit is counted only for a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from limits import RateLimitItem, parse_many

from tracker.web.security import limiter


@lru_cache(maxsize=32)
def _parsed(spec: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(spec))


@dataclass(frozen=True)
class AttemptLimit:
    """Failures allowed per key (e.g. "30 per minute;300 per day"), set by `config_key`."""

    config_key: str
    default: str
    scope: str

    def _items(self) -> tuple[RateLimitItem, ...]:
        if not current_app.config.get("RATELIMIT_ENABLED", True):
            return ()
        return _parsed(str(current_app.config.get(self.config_key, self.default)))

    def exceeded(self, key: str) -> bool:
        """Whether `key` has used up its failures: refuse before doing the work."""
        items = self._items()
        return bool(items) and any(
            not limiter.limiter.test(item, self.scope, key) for item in items
        )

    def failed(self, key: str) -> None:
        """Count one failure against `key`."""
        for item in self._items():
            limiter.limiter.hit(item, self.scope, key)
