"""Tests for tracker.library.preview: the JSON shape on the seed, acceptance times, the table."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tracker.library.preview import build_preview, render_table
from tracker.localtime import zone
from tracker.reading.documents import parse_document, read_document
from tracker.reading.timing import derive

NY = zone("America/New_York")
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")
ITEM_TYPES: dict[str, Any] = {
    "section": str, "text": str, "kind": str, "opens": str, "due": str,
    "expires": (str, type(None)), "recurrence": (dict, type(None)), "conditional": bool,
    "critical": bool, "confidence": float, "evidence": str, "rule": str, "needs_review": bool,
    "asks": str, "merged": list,
}  # fmt: skip


@pytest.fixture
def seed_preview(seed_path: Path) -> dict[str, Any]:
    document = read_document(seed_path)
    return build_preview(document, start_local=datetime(2027, 3, 15, 8, 0), tz=NY)


def _at(iso: str) -> datetime:
    assert ISO.fullmatch(iso), iso
    return datetime.fromisoformat(iso)


def _item(preview: dict[str, Any], words: str) -> dict[str, Any]:
    return next(i for i in preview["items"] if words in i["text"].lower())


def test_the_json_shape(seed_preview: dict[str, Any], seed_path: Path) -> None:
    preview = json.loads(json.dumps(seed_preview))  # JSON-safe throughout
    assert set(preview) >= {"title", "procedure", "items", "warnings"}
    assert preview["title"] == read_document(seed_path).short_name
    assert preview["procedure"] == {"start": "2027-03-15T08:00:00-04:00",
                                    "end": "2027-03-15T10:00:00-04:00"}  # fmt: skip
    assert preview["warnings"] == []
    assert len(preview["items"]) == len(derive(read_document(seed_path)).steps)
    for item in preview["items"]:
        assert set(item) >= set(ITEM_TYPES)
        for key, kind in ITEM_TYPES.items():
            assert isinstance(item[key], kind), (key, item[key])
        for key in ("opens", "due", "expires"):
            if item[key] is not None:
                _at(item[key])
        assert _at(item["opens"]) <= _at(item["due"])
        assert item["section"] == item["section"].lower()
        assert item["needs_review"] is (item["confidence"] < 0.6)
        if item["recurrence"] is not None:
            recurrence = item["recurrence"]
            assert isinstance(recurrence["rule"], str) and recurrence["rule"].startswith("FREQ=")
            assert isinstance(recurrence["times_per_day"], int | None)
            assert isinstance(recurrence["every_minutes"], int | None)
            _at(recurrence["until"])


def test_seed_acceptance(seed_preview: dict[str, Any]) -> None:
    start, end = _at("2027-03-15T08:00:00-04:00"), _at("2027-03-15T10:00:00-04:00")
    fasting = _item(seed_preview, "fasting")
    assert fasting["opens"] == "2027-03-15T00:00:00-04:00" and _at(fasting["due"]) == start
    assert fasting["critical"] and fasting["conditional"] and fasting["kind"] == "fasting"

    medication = _item(seed_preview, "blood thinners")
    assert medication["conditional"] and medication["critical"]
    opens = _at(medication["opens"])
    assert timedelta(days=3) <= start - opens <= timedelta(days=10) and opens.hour == 9
    assert opens.minute == 0

    imaging = _item(seed_preview, "imaging")
    assert timedelta(days=1) <= start - _at(imaging["due"]) <= timedelta(days=30)

    for words in ("managing pain", "incision site clean"):
        care = _item(seed_preview, words)
        assert care["recurrence"]["rule"] == "FREQ=DAILY" and _at(care["opens"]) == end
        until = _at(care["recurrence"]["until"])
        assert timedelta(weeks=1) <= until - end <= timedelta(weeks=3)

    walking = _item(seed_preview, "walk")
    assert timedelta(hours=2) <= _at(walking["due"]) - end <= timedelta(hours=6)
    assert walking["needs_review"] and walking["evidence"] == "within a few hours post-surgery"

    follow_up = _item(seed_preview, "follow-up")
    assert timedelta(weeks=1) <= _at(follow_up["due"]) - end <= timedelta(weeks=6)
    activities = _item(seed_preview, "normal activities generally")
    assert timedelta(weeks=2) <= _at(activities["due"]) - end <= timedelta(weeks=6)

    describing = ("positioned", "anesthesia is administered", "incision is made", "hospital",
                  "surgeon (", "minimally invasive", "spinal fusion or decompression")  # fmt: skip
    texts = " ".join(i["text"].lower() for i in seed_preview["items"])
    assert not any(words in texts for words in describing)
    for item in seed_preview["items"]:
        if item["section"] == "preparation":
            assert _at(item["opens"]) <= start and _at(item["due"]) <= start


def test_offsets_follow_the_zone_across_dst(seed_path: Path) -> None:
    preview = build_preview(read_document(seed_path), start_local=datetime(2027, 3, 15, 8),
                            tz=zone("Europe/Berlin"))  # fmt: skip
    assert preview["procedure"]["start"] == "2027-03-15T08:00:00+01:00"
    care = _item(preview, "incision site clean")
    assert care["recurrence"]["until"] == "2027-03-29T10:00:00+02:00"  # after the change


def test_the_reminder_hour_is_the_patients(seed_path: Path) -> None:
    preview = build_preview(read_document(seed_path), start_local=datetime(2027, 3, 15, 8),
                            tz=NY, reminder_hour=7)  # fmt: skip
    assert _item(preview, "blood thinners")["opens"] == "2027-03-08T07:00:00-05:00"


def test_a_start_in_a_gap_moves_forward_and_says_so(seed_path: Path) -> None:
    preview = build_preview(read_document(seed_path), start_local=datetime(2027, 3, 14, 2, 30),
                            tz=NY)  # fmt: skip
    assert preview["procedure"]["start"] == "2027-03-14T03:30:00-04:00"
    assert any("does not exist" in w for w in preview["warnings"])


def test_a_preparation_time_after_the_start_is_clamped_and_said() -> None:
    text = (
        "Site\nTitle\nCPT4 code\nName of the Procedure:\nShort\nPreparation\n"
        "- Remove all jewellery the morning of surgery\nDuration\nAbout 30 minutes.\n"
    )
    preview = build_preview(parse_document(text), start_local=datetime(2027, 3, 15, 5), tz=NY)
    (item,) = preview["items"]
    assert item["opens"] == item["due"] == "2027-03-15T05:00:00-04:00"
    assert "clamped to the start" in item["rule"]


def test_an_aware_start_is_read_in_the_zone(seed_path: Path) -> None:
    aware = datetime.fromisoformat("2027-03-15T12:00:00+00:00")
    preview = build_preview(read_document(seed_path), start_local=aware, tz=NY)
    assert preview["procedure"]["start"] == "2027-03-15T08:00:00-04:00"


def test_the_table_lists_every_step(seed_preview: dict[str, Any]) -> None:
    table = render_table(seed_preview)
    assert table.splitlines()[0] == seed_preview["title"]
    assert "Mon 2027-03-15 08:00 to 10:00" in table
    for item in seed_preview["items"]:
        assert item["text"] in table
    rows = [line for line in table.splitlines() if re.match(r"\d+\s", line)]
    assert len(rows) == len(seed_preview["items"])
    assert "C?" in rows[0] and "daily to" in table and "Flags:" in table


def test_the_table_shows_warnings(seed_preview: dict[str, Any]) -> None:
    table = render_table({**seed_preview, "warnings": ["doc.txt:6: no duration found"]})
    assert table.endswith("Warnings:\n  doc.txt:6: no duration found")


def test_each_item_says_what_it_asks_and_the_table_shows_it() -> None:
    text = (
        "Site\nLong title\nCPT4 code\nName of the Procedure:\nThing\nDuration\n60 minutes\n"
        "Preparation\n- Nothing to eat after midnight.\n- Arrange a ride home.\n"
        "Recovery\n- Expect some soreness.\n- No lifting over 10 lb for 6 weeks.\n"
        "Risks and Complications\n- Bleeding.\n"
    )
    preview = build_preview(
        parse_document(text, path="t.txt"), start_local=datetime(2027, 3, 16, 10, 0), tz=NY
    )
    asks = {item["text"]: item["asks"] for item in preview["items"]}
    assert asks == {
        "Nothing to eat after midnight": "avoid",
        "Arrange a ride home": "do",
        "Expect some soreness": "know",
        "No lifting over 10 lb for 6 weeks": "avoid",
        "Watch for these warning signs: Bleeding": "watch",
    }
    know = _item(preview, "expect some soreness")
    assert know["recurrence"] is None  # information is never repeated
    table = render_table(preview).splitlines()
    header = next(line for line in table if line.startswith("#"))
    assert "asks" in header.split()
    row = next(line for line in table if line.endswith("Expect some soreness"))
    assert " know " in row
