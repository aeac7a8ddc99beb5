"""Failed sign-ins, limited so that guessing is slow but a stranger cannot lock a nurse out.

Each attempt counts against the account from this address and against the address (any
account), plus, from a device the account never signed in on, against the account as a whole
(slow guessing from many addresses). A successful sign-in marks the browser with a signed
device cookie; from that device only the account-and-device count applies, so the owner
still gets in while someone else fails from the same ward network or from anywhere else.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from tracker import accounts
from tracker.web.attempt_limits import AttemptLimit, Reservation, client_address, give_back

DEVICE_COOKIE = "tracker_device"
DEVICE_SALT = "staff-device"
DEVICE_COOKIE_DAYS = 365
DEVICE_ACCOUNTS = 20  # accounts remembered per device (a shared ward computer)

PER_ACCOUNT_AND_ADDRESS = AttemptLimit("SIGN_IN_LIMIT", "5 per minute", "sign-in-account")
PER_ADDRESS = AttemptLimit("SIGN_IN_ADDRESS_LIMIT", "5 per minute", "sign-in-address")
PER_ACCOUNT_NEW_DEVICES = AttemptLimit("SIGN_IN_NEW_DEVICE_LIMIT", "20 per hour", "sign-in-new")
PER_ACCOUNT_AND_DEVICE = AttemptLimit("SIGN_IN_LIMIT", "5 per minute", "sign-in-device")


@dataclass(frozen=True)
class Device:
    """What the device cookie says: this browser's random id and the accounts used on it."""

    id: str
    accounts: tuple[str, ...]


def _account(email: str) -> str:
    """An account as the cookie names it: a digest, so the cookie shows no email address."""
    return hashlib.sha256(accounts.normalize_email(email).encode()).hexdigest()[:24]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def this_device() -> Device | None:
    """The device cookie, if this browser carries a genuine one."""
    try:
        value: Any = _serializer().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("d"), str):
        return None
    accounts = value.get("a")
    if not isinstance(accounts, list):
        return None
    return Device(value["d"], tuple(str(a) for a in accounts))


def reserve(email: str) -> list[Reservation] | None:
    """Count this sign-in attempt; None when it must be refused (too many failures)."""
    device = this_device()
    limits: list[tuple[AttemptLimit, tuple[str, ...]]]
    if device is not None and _account(email) in device.accounts:
        limits = [(PER_ACCOUNT_AND_DEVICE, (_account(email), device.id))]
    else:
        limits = [
            (PER_ADDRESS, (client_address(),)),
            (PER_ACCOUNT_AND_ADDRESS, (_account(email), client_address())),
            (PER_ACCOUNT_NEW_DEVICES, (_account(email),)),
        ]
    held: list[Reservation] = []
    for limit, parts in limits:
        reservation = limit.reserve(*parts)
        if reservation is None:
            refund(held)  # only what was refused counts; the others never saw this attempt
            return None
        held.append(reservation)
    return held


def refund(held: list[Reservation]) -> None:
    """The attempt succeeded (or was refused anyway): it uses up none of the limits."""
    for reservation in held:
        give_back(reservation)


def remember_device(response: Response, email: str) -> None:
    """Mark this browser as one the account signs in from."""
    device = this_device()
    accounts = [a for a in (device.accounts if device else ()) if a != _account(email)]
    accounts = [_account(email), *accounts][:DEVICE_ACCOUNTS]
    value = {"d": device.id if device else secrets.token_urlsafe(16), "a": accounts}
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps(value),
        max_age=DEVICE_COOKIE_DAYS * 86400,
        path="/auth/",
        secure=bool(current_app.config["HTTPS"]),
        httponly=True,
        samesite="Lax",
    )
