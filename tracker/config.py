"""Configuration defaults; every key can be overridden by a `TRACKER_<KEY>` environment variable."""

from __future__ import annotations

import os
import secrets
from typing import Any

from flask import Flask

DEFAULT_ZONE = "America/New_York"


def defaults(instance_path: str) -> dict[str, Any]:
    """Settings that make a bare machine work: SQLite under instance/, in-app reminders only."""
    return {
        "SECRET_KEY": None,  # filled from instance/secret_key when not configured
        "DATABASE_URL": "sqlite:///" + os.path.join(instance_path, "tracker.sqlite3"),
        "CHECK_SCHEMA": True,
        "DEFAULT_ZONE": DEFAULT_ZONE,
        "REMINDER_HOUR": 9,
        "QUIET_START": "21:00",
        "QUIET_END": "07:00",
        "SMTP_URL": "",
        "WEBHOOK_URL": "",
        "MAIL_SENDER": "care-team@tracker.invalid",
        "BASE_URL": "http://127.0.0.1:5000",
        # The outbox (issue 12): how many messages are handed over at once, how long a claim
        # lasts without its dispatcher's heartbeat, and the first retry's delay (it doubles).
        "REMINDER_WORKERS": 32,
        "REMINDER_LEASE_SECONDS": 20,
        "REMINDER_BACKOFF_SECONDS": 60,
        "SCHEDULER_ENABLED": False,  # `tracker run` and `tracker scheduler` start it themselves
        "PATIENT_DOB_CHECK": False,  # patients also confirm their birth date once per device
        "HTTPS": False,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        # SQLite reads through a memory map of this many bytes (0: none). Web pages read one
        # enrollment's rows from anywhere in the file; the dispatcher turns it off (its scans
        # would count every page read as its own resident memory).
        "SQLITE_MMAP_BYTES": 1 << 30,
    }


def load(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Defaults, then `TRACKER_*` variables, then the test's own settings."""
    app.config.from_mapping(defaults(app.instance_path))
    app.config.from_prefixed_env("TRACKER")
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    secure = bool(app.config["HTTPS"])
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
    )


def _instance_secret(instance_path: str) -> str:
    """A per-installation random key kept in instance/, so sessions survive restarts."""
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, "secret_key")
    try:
        with open(path, encoding="ascii") as handle:
            return handle.read().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key)
        return key
