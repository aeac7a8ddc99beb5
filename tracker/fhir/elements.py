"""FHIR datatypes shared by every resource built here: instants, references, durations,
codes and the few extensions this export defines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]

# Where this export's own extensions and code systems are named. A fixed, non-resolving
# canonical (RFC 6761 .invalid), the same at every site: receivers match on the URL, so it
# must not change with a deployment's host name.
CANONICAL = "https://tracker.invalid/fhir"
EXTENSION = CANONICAL + "/StructureDefinition/"
CODE_SYSTEM = CANONICAL + "/CodeSystem/"
UCUM = "http://unitsofmeasure.org"
MINUTES_IN = {"d": 24 * 60, "h": 60, "min": 1}  # largest first: a duration's unit
UNIT_NAMES = {"d": "days", "h": "hours", "min": "minutes"}


def instant(value: datetime) -> str:
    """A UTC instant as FHIR instant/dateTime text, with its offset, to the stored precision
    (seconds, or microseconds when the row has them): isoformat keeps every digit."""
    if value.tzinfo is None:  # rows are aware UTC (models.py), but a naive one means UTC too
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def reference(resource_type: str, resource_id: int | str | None, **extra: Any) -> Json:
    """A relative literal reference, e.g. Patient/3 (of a saved row: its id is set)."""
    assert resource_id is not None, f"a {resource_type} row without an id"
    return {"reference": f"{resource_type}/{resource_id}", **extra}


def duration(minutes: int) -> Json:
    """A UCUM duration in the largest unit that keeps it exact (days, hours or minutes)."""
    for code, size in MINUTES_IN.items():
        if minutes % size == 0:
            return quantity(minutes // size, code)
    raise AssertionError("every whole number of minutes divides by one")


def quantity(value: int, code: str) -> Json:
    """A UCUM time quantity (Duration, or the SimpleQuantity bounds of a Range)."""
    return {"value": value, "unit": UNIT_NAMES[code], "system": UCUM, "code": code}


def concept(system: str, code: str, display: str | None = None) -> Json:
    """A CodeableConcept with one coding."""
    coding: Json = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def extension(name: str, **value: Any) -> Json:
    """One of this export's extensions, e.g. extension("clock", valueTime="21:00:00")."""
    return {"url": EXTENSION + name, **value}
