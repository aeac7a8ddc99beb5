"""The API's typed bodies (pydantic): they validate requests and generate the OpenAPI schemas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from tracker.reading.repeat_fields import recurrence_fields
from tracker.reading.steps import Recurrence

MAX_ID = 2**31 - 1  # PostgreSQL integer columns; larger ids cannot exist
MAX_DOCUMENT = 200_000  # characters of a procedure document posted to /preview


def _printable(value: str) -> str:
    # NUL cannot be stored by PostgreSQL and other control characters are never meant.
    if any(ord(c) < 32 and c not in "\t\r\n" for c in value):
        raise ValueError("must not contain control characters")
    return value


# Strings with a length limit and no control characters.
Text5 = Annotated[str, Field(max_length=5), AfterValidator(_printable)]
Text10 = Annotated[str, Field(max_length=10), AfterValidator(_printable)]
Text20 = Annotated[str, Field(max_length=20), AfterValidator(_printable)]
Text40 = Annotated[str, Field(max_length=40), AfterValidator(_printable)]
Text64 = Annotated[str, Field(max_length=64), AfterValidator(_printable)]
Text120 = Annotated[str, Field(max_length=120), AfterValidator(_printable)]
Text200 = Annotated[str, Field(max_length=200), AfterValidator(_printable)]
Text254 = Annotated[str, Field(max_length=254), AfterValidator(_printable)]
Text500 = Annotated[str, Field(max_length=500), AfterValidator(_printable)]
DocumentText = Annotated[str, Field(max_length=MAX_DOCUMENT), AfterValidator(_printable)]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
LocalStart = Annotated[
    str,
    Field(
        max_length=40,
        description="Local date and time without offset, e.g. 2027-03-15T08:00",
        examples=["2027-03-15T08:00"],
    ),
    AfterValidator(_printable),
]


class Body(BaseModel):
    """A request body: unknown fields are refused, so a typo is not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


def _recurrence_fields(stored: Any) -> Any:
    return recurrence_fields(Recurrence.from_dict(stored)) if stored else stored


# --- pathways ------------------------------------------------------------------------------


class StepOut(BaseModel):
    id: int
    position: int
    section: str
    text: str
    kind: str
    asks: str
    critical: bool
    conditional: bool
    opens: dict[str, Any]
    due: dict[str, Any]
    expires: dict[str, Any] | None
    # The stored rule and its end, with the plain fields it means (the API showed them).
    recurrence: Annotated[dict[str, Any] | None, BeforeValidator(_recurrence_fields)]
    evidence: str
    confidence: float


class VersionSummary(BaseModel):
    id: int
    slug: str
    number: int
    state: str
    title: str
    duration_minutes: int
    published_at: datetime | None
    steps: int


class VersionOut(VersionSummary):
    step_list: list[StepOut]


class VersionPage(BaseModel):
    items: list[VersionSummary]
    next_cursor: str | None


class PathwayQuery(Body):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: Id | None = None
    slug: Text120 | None = None


class PreviewIn(Body):
    text: DocumentText
    start: LocalStart
    timezone: Text64 = "America/New_York"
    reminder_hour: int = Field(default=9, ge=0, le=23)
    code: Text40 | None = None


# --- patients ------------------------------------------------------------------------------


class PatientFields(Body):
    birth_date: date | None = None
    email: Text254 = ""
    phone: Text40 = ""
    reminder_hour: int = Field(default=9, ge=0, le=23)
    quiet_start: Text5 = "21:00"
    quiet_end: Text5 = "07:00"
    channels: list[Text20] = Field(default_factory=list, max_length=5)
    language: Text10 = "en"


class PatientIn(PatientFields):
    mrn: Text40
    name: Text200
    timezone: Text64 | None = None


class PatientPatch(Body):
    """Only the fields given change."""

    mrn: Text40 | None = None
    name: Text200 | None = None
    birth_date: date | None = None
    email: Text254 | None = None
    phone: Text40 | None = None
    timezone: Text64 | None = None
    reminder_hour: int | None = Field(default=None, ge=0, le=23)
    quiet_start: Text5 | None = None
    quiet_end: Text5 | None = None
    channels: list[Text20] | None = Field(default=None, max_length=5)
    language: Text10 | None = None


class PatientOut(BaseModel):
    id: int
    mrn: str
    name: str
    birth_date: date | None
    email: str
    phone: str
    timezone: str
    reminder_hour: int
    quiet_start: str
    quiet_end: str
    channels: list[str]
    language: str
    created_at: datetime


class PatientPage(BaseModel):
    items: list[PatientOut]
    next_cursor: str | None


class PatientQuery(Body):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: Id | None = None
    mrn: Text40 | None = None
