"""The API's typed bodies for enrollments, their items, reminders, alerts and links (pydantic);
the shared text types and the problem body are in tracker.api.schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from tracker.api.schemas import Body, Id, LocalStart, Text64, Text120, Text500

# --- enrollments ---------------------------------------------------------------------------


class EnrollmentIn(Body):
    patient_id: Id
    pathway: Text120 = Field(description="pathway slug; its newest published version")
    start: LocalStart
    timezone: Text64 | None = None
    fold: Literal[0, 1] | None = None
    confirm: list[Id] = Field(default_factory=list, max_length=500)
    drop: list[Id] = Field(default_factory=list, max_length=500)
    allow_past: bool = False


class ItemOut(BaseModel):
    id: int
    step_id: int
    occurrence: int
    opens_at: datetime
    due_at: datetime
    expires_at: datetime | None
    status: str
    note: str
    acted_at: datetime | None
    acted_by: str


class EnrollmentOut(BaseModel):
    id: int
    patient_id: int
    version_id: int
    procedure_start: datetime
    procedure_end: datetime
    timezone: str
    state: str
    dropped_steps: list[int]
    items: list[ItemOut]


class EnrollmentSummary(BaseModel):
    id: int
    patient_id: int
    version_id: int
    procedure_start: datetime
    timezone: str
    state: str


class EnrollmentPage(BaseModel):
    items: list[EnrollmentSummary]
    next_cursor: str | None


class EnrollmentQuery(Body):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: Id | None = None
    patient_id: Id | None = None
    state: Literal["active", "completed", "cancelled"] | None = None


class RescheduleIn(Body):
    start: LocalStart
    fold: Literal[0, 1] | None = None
    allow_past: bool = False
    reopen: list[Id] = Field(default_factory=list, max_length=500)
    apply: bool = Field(default=False, description="false: only preview; true needs If-Match")


class ItemChangeOut(BaseModel):
    item_id: int | None
    step_id: int
    occurrence: int
    status: str
    new_status: str
    old_opens_at: datetime | None
    new_opens_at: datetime | None
    no_longer_counts: bool
    reopen: bool


class RescheduleOut(BaseModel):
    enrollment_id: int
    applied: bool
    old_start: datetime
    new_start: datetime
    new_end: datetime
    unchanged: int
    changes: list[ItemChangeOut]


class ItemActionIn(Body):
    action: Literal["done", "not_done", "undo"]
    note: Text500 | None = None


# --- reminders, alerts, links --------------------------------------------------------------


class ReminderOut(BaseModel):
    id: int
    item_id: int
    enrollment_id: int
    send_at: datetime
    purpose: str
    channel: str
    status: str
    attempts: int
    sent_at: datetime | None
    last_error: str


class ReminderPage(BaseModel):
    items: list[ReminderOut]
    next_cursor: str | None


class ReminderQuery(Body):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: Id | None = None
    status: (
        Literal["pending", "claimed", "sent", "deferred", "failed", "expired", "cancelled"] | None
    ) = None
    enrollment_id: Id | None = None


class AlertOut(BaseModel):
    id: int
    item_id: int
    enrollment_id: int
    raised_at: datetime
    kind: str
    item_status: str


class AlertPage(BaseModel):
    items: list[AlertOut]
    next_cursor: str | None


class AlertQuery(Body):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: Id | None = None
    state: Literal["open", "resolved"] | None = Field(
        default=None, description="open: the item is still not done"
    )
    enrollment_id: Id | None = None


class LinkOut(BaseModel):
    id: int
    enrollment_id: int
    url: str = Field(description="the patient's link; shown in this response only")
    expires_at: datetime


class LinksRevoked(BaseModel):
    revoked: list[int]
