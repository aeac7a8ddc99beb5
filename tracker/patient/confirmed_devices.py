"""Devices that confirmed a patient's date of birth (PATIENT_DOB_CHECK), remembered on the server.

A device is known by a keyed digest (HMAC with the site's secret) of its address and browser:
patient pages and their forms set no cookie, and the table holds no address. A phone that
changes network is asked once more, which is the price of keeping nothing on the device.
A confirmation lasts as long as the link, at most MAX_AGE.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select
from sqlmodel import Session

from tracker.models import ConfirmedDevice

MAX_AGE = timedelta(days=30)


def device_digest(secret: str, address: str, browser: str) -> str:
    """Who is asking, as 64 hex characters that cannot be turned back into an address."""
    message = f"{address}\n{browser}".encode(errors="replace")
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def is_confirmed(db: Session | Connection, *, link_id: int, device: str, now: datetime) -> bool:
    """Whether this device typed the right date of birth for this link, and still counts."""
    table = ConfirmedDevice.__table__  # type: ignore[attr-defined]
    found = db.execute(
        select(table.c.id).where(
            table.c.link_id == link_id, table.c.device == device, table.c.expires_at > now
        )
    ).first()
    return found is not None


def remember_device(
    session: Session, *, link_id: int, device: str, now: datetime, link_expires: datetime
) -> None:
    """Record a confirmation (replacing this device's earlier one) and commit."""
    session.execute(
        delete(ConfirmedDevice).where(
            ConfirmedDevice.link_id == link_id,  # type: ignore[arg-type]
            ConfirmedDevice.device == device,  # type: ignore[arg-type]
        )
    )
    session.add(
        ConfirmedDevice(
            link_id=link_id,
            device=device,
            confirmed_at=now,
            expires_at=min(link_expires, now + MAX_AGE),
        )
    )
    session.commit()
