"""Configuration defaults; every key can be overridden by a `TRACKER_<KEY>` environment variable."""

from __future__ import annotations

import os
import secrets
import tempfile
from typing import Any

from flask import Flask

from tracker.errors import ConfigurationError

DEFAULT_ZONE = "America/New_York"
SECRET_FILE = "secret_key"


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
        # Identifier.system of MRNs in the FHIR export ("" = <BASE_URL>/fhir/sid/mrn); a
        # hospital sets its own so its EHR matches patients by MRN.
        "FHIR_MRN_SYSTEM": "",
        # The outbox (issue 12): how many messages are handed over at once, how long a claim
        # lasts without its dispatcher's heartbeat, and the first retry's delay (it doubles).
        "REMINDER_WORKERS": 32,
        "REMINDER_LEASE_SECONDS": 20,
        "REMINDER_BACKOFF_SECONDS": 60,
        # Text messages (the webhook channel is the SMS gateway): at most this many texts per
        # patient per local calendar day; further non-critical reminders wait for one evening
        # digest, critical ones still go.
        "SMS_DAILY_BUDGET": 3,
        # The shared secret the SMS gateway signs patients' replies with (POST /hooks/sms);
        # unset, the hook answers 404 and no reply is read.
        "SMS_WEBHOOK_SECRET": "",
        "SCHEDULER_ENABLED": False,  # `tracker run` and `tracker scheduler` start it themselves
        # Who patients contact: on every patient page, the printed plan and error pages, beside
        # the warning signs, and in the answer to a HELP text. Empty: "your care team".
        "CARE_TEAM_NAME": "",
        "CARE_TEAM_PHONE": "",
        "PATIENT_DOB_CHECK": False,  # patients also confirm their birth date once per device
        "HTTPS": False,
        "RATELIMIT_ENABLED": True,
        # Failed-attempt counters every worker shares: "" = this database, or redis://host:port/n.
        "RATELIMIT_STORAGE_URL": "",
        "RATELIMIT_KEY_PREFIX": "tracker",  # Redis keys start with it (several sites, one Redis)
        "SIGN_IN_LIMIT": "5 per minute",  # failures per account from one address (or device)
        "SIGN_IN_ADDRESS_LIMIT": "5 per minute",  # failures per address, any account
        "SIGN_IN_NEW_DEVICE_LIMIT": "20 per hour",  # per account, from devices it never used
        "PATIENT_LINK_LIMIT": "30 per minute;300 per day",  # refused links per address
        "PATIENT_DOB_LIMIT": "5 per 15 minutes",  # wrong dates of birth per link and address
        "PROXY_FIX": 0,  # proxies in front that set X-Forwarded-* (0: none, trust no header)
        "MAX_CONTENT_LENGTH": 1 << 20,  # larger request bodies get 413
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
    if app.config["SECRET_KEY"] is None:
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    key = app.config["SECRET_KEY"]
    if not isinstance(key, str | bytes) or not key.strip():
        # An empty key would let anyone sign session cookies and patients' form tokens.
        raise ConfigurationError(
            "TRACKER_SECRET_KEY is empty: set it to a long random value (python -c 'import "
            "secrets; print(secrets.token_hex(32))'), or unset it to keep one in instance/"
        )
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
    """A per-installation random key kept in instance/, so sessions survive restarts.

    Many workers may start at once on a fresh instance: each writes a candidate key to its own
    temporary file and links it into place, which fails if the file exists; the first link wins
    and everyone reads the winner's key, never a file that is still being written.
    """
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, SECRET_FILE)
    if not os.path.exists(path):
        handle, candidate = tempfile.mkstemp(dir=instance_path, prefix=f".{SECRET_FILE}.")
        try:
            with os.fdopen(handle, "w", encoding="ascii") as file:  # mkstemp: mode 0600
                file.write(secrets.token_hex(32))
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(candidate, path)
            except FileExistsError:
                pass  # another worker's key is in place: use it
        finally:
            os.unlink(candidate)
    with open(path, encoding="ascii") as file:
        key = file.read().strip()
    if not key:
        raise ConfigurationError(
            f"{path} is empty: delete it (a new key is made) or set TRACKER_SECRET_KEY"
        )
    return key
