"""The dispatcher's tunables (batch size, lease, retries, sending threads, the text budget),
read from the app's REMINDER_* and SMS_* settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class Settings:
    """Dispatcher tunables; `from_config` reads them from the app's REMINDER_* settings."""

    base_url: str = "http://127.0.0.1:5000"
    batch: int = 500
    lease: timedelta = timedelta(seconds=20)
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=60)
    backoff_cap: timedelta = timedelta(hours=1)
    workers: int = 32  # messages handed over at once (threads, each with its own connection)
    text_budget: int = 3  # texts per patient per local day (SMS_DAILY_BUDGET), then a digest

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        return cls(
            base_url=str(config.get("BASE_URL", cls.base_url)),
            batch=int(config.get("REMINDER_BATCH", cls.batch)),
            lease=timedelta(seconds=float(config.get("REMINDER_LEASE_SECONDS", 20))),
            max_attempts=int(config.get("REMINDER_MAX_ATTEMPTS", cls.max_attempts)),
            backoff=timedelta(seconds=float(config.get("REMINDER_BACKOFF_SECONDS", 60))),
            workers=max(1, int(config.get("REMINDER_WORKERS", cls.workers))),
            text_budget=int(config.get("SMS_DAILY_BUDGET", cls.text_budget)),
        )

    def retry_delay(self, attempts: int) -> timedelta:
        """Exponential backoff: backoff, 2x, 4x ... after the 1st, 2nd, 3rd failed attempt."""
        delay: timedelta = self.backoff * (2 ** max(attempts - 1, 0))
        return min(delay, self.backoff_cap)
