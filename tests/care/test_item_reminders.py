"""Tests for care.item_reminders: the one place that decides an item's reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracker.care.item_reminders import DUE_SOON_BEFORE, Occasion, wanted

NOW = datetime(2027, 3, 10, 14, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _want(**changes: object) -> dict[tuple[str, str], datetime]:
    values: dict[str, object] = {
        "status": "pending",
        "opens": NOW + 2 * HOUR,
        "due": NOW + 10 * HOUR,
        "critical": False,
        "asks": "do",
        "channels": ("in_app", "email"),
        "now": NOW,
        "occasion": Occasion.PLANNED,
    } | changes
    return wanted(**values)  # type: ignore[arg-type]


def test_an_item_is_reminded_when_it_opens_on_each_channel() -> None:
    assert _want() == {("opens", "in_app"): NOW + 2 * HOUR, ("opens", "email"): NOW + 2 * HOUR}


def test_a_critical_item_is_reminded_again_before_its_deadline() -> None:
    want = _want(critical=True, channels=("in_app",))
    assert want == {
        ("opens", "in_app"): NOW + 2 * HOUR,
        ("due_soon", "in_app"): NOW + 10 * HOUR - DUE_SOON_BEFORE,
    }


def test_a_critical_item_due_within_the_hour_gets_one_reminder() -> None:
    assert set(_want(critical=True, due=NOW + 2 * HOUR + DUE_SOON_BEFORE / 2)) == {
        ("opens", "in_app"),
        ("opens", "email"),
    }


@pytest.mark.parametrize("status", ["done", "not_done", "skipped", "missed", "cancelled"])
def test_an_item_someone_acted_on_or_that_is_over_is_not_reminded(status: str) -> None:
    assert _want(status=status, critical=True) == {}


@pytest.mark.parametrize("occasion", list(Occasion))
def test_information_is_never_reminded(occasion: Occasion) -> None:
    assert _want(asks="know", critical=True, occasion=occasion) == {}


def test_a_planned_window_already_open_is_reminded_at_once() -> None:
    assert _want(opens=NOW - HOUR, channels=("in_app",)) == {("opens", "in_app"): NOW}


def test_a_reopened_item_already_open_is_reminded_only_of_times_ahead() -> None:
    """The patient undoing a tick, or the nurse reopening it, is looking at it right now."""
    assert _want(opens=NOW - HOUR, occasion=Occasion.REOPENED, channels=("in_app",)) == {}
    assert _want(
        opens=NOW - HOUR, critical=True, occasion=Occasion.REOPENED, channels=("in_app",)
    ) == {("due_soon", "in_app"): NOW + 10 * HOUR - DUE_SOON_BEFORE}
    assert _want(occasion=Occasion.REOPENED, channels=("in_app",)) == {
        ("opens", "in_app"): NOW + 2 * HOUR
    }
