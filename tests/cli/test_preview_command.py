"""`tracker preview` on the command line: JSON, table, and one-line refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

TRACKER = str(Path(sys.executable).with_name("tracker"))


def _preview(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([TRACKER, "preview", *args], capture_output=True, text=True, timeout=60)


def test_preview_prints_the_json_shape(seed_path: Path) -> None:
    done = _preview(
        str(seed_path), "--start", "2027-03-15T08:00", "--tz", "America/New_York", "--json"
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["procedure"] == {
        "start": "2027-03-15T08:00:00-04:00",
        "end": "2027-03-15T10:00:00-04:00",
    }
    assert set(data) >= {"title", "procedure", "items", "warnings"}
    keys = {
        "section",
        "text",
        "kind",
        "opens",
        "due",
        "expires",
        "recurrence",
        "conditional",
        "critical",
        "confidence",
        "evidence",
        "rule",
        "needs_review",
        "asks",
    }
    for item in data["items"]:
        assert keys <= set(item)


def test_preview_table_lists_every_step(seed_path: Path) -> None:
    table = _preview(str(seed_path), "--start", "2027-03-15T08:00", "--tz", "Europe/Berlin")
    assert table.returncode == 0, table.stderr
    data = json.loads(
        _preview(
            str(seed_path), "--start", "2027-03-15T08:00", "--tz", "Europe/Berlin", "--json"
        ).stdout
    )
    for item in data["items"]:
        assert item["text"][:30] in table.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--start", "tomorrow", "--tz", "America/New_York"], "--start"),
        (["--start", "2027-03-15T08:00", "--tz", "Mars/Olympus"], "unknown time zone"),
        (["--start", "2027-03-15T08:00+01:00", "--tz", "Europe/Berlin"], "--start"),
    ],
)
def test_preview_refuses_bad_options_in_one_line(
    seed_path: Path, args: list[str], expected: str
) -> None:
    done = _preview(str(seed_path), *args)
    assert done.returncode == 2
    assert expected in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.strip().count("\n") == 0


def test_preview_refuses_a_missing_or_binary_file(tmp_path: Path) -> None:
    missing = _preview(str(tmp_path / "gone.txt"), "--start", "2027-03-15T08:00")
    assert missing.returncode == 2 and missing.stderr.startswith(str(tmp_path / "gone.txt") + ":")
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\x89PNG\x00\x00")
    done = _preview(str(binary), "--start", "2027-03-15T08:00")
    assert done.returncode == 2 and done.stderr.startswith(f"{binary}:")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("options", "due"),
    [([], "2027-03-16T09:00:00-04:00"), (["--arrival-minutes", "90"], "2027-03-16T08:30:00-04:00")],
)
def test_preview_uses_the_pathway_arrival_when_the_document_states_none(
    tmp_path: Path, options: list[str], due: str
) -> None:
    document = tmp_path / "doc.txt"
    document.write_text(
        "Site\nLong title\nCPT4 code\nName of the Procedure:\nThing\nDuration\n60 minutes\n"
        "Preparation\n- Bring your medicines in their bottles.\nRecovery\n- Expect soreness.\n",
        encoding="utf-8",
    )
    done = _preview(str(document), "--start", "2027-03-16T10:00", "--json", *options)
    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)["items"]
    assert [(i["asks"], i["due"]) for i in items][0] == ("do", due)
    assert items[1]["asks"] == "know"


def test_preview_refuses_a_bad_stay_in_one_line(seed_path: Path) -> None:
    done = _preview(str(seed_path), "--start", "2027-03-16T10:00", "--stay-days", "-1")
    assert done.returncode == 2
    assert "--stay-days" in done.stderr and "Traceback" not in done.stderr


def test_preview_reads_without_loading_the_database_layer_or_flask(seed_path: Path) -> None:
    # A preview is a document and a clock: loading SQLModel's models cost it 0.3 s of its
    # 0.5 s budget once, Flask 0.1 s more (bench ONLY=documents times the whole process).
    probe = (
        "import sys\n"
        "from tracker.cli import main\n"
        "try:\n"
        f"    main(['preview', {str(seed_path)!r}, '--start', '2027-03-15T08:00', '--json'])\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "database = ('tracker.models', 'sqlmodel', 'sqlalchemy', 'flask')\n"
        "loaded = sorted(m for m in sys.modules if m in database)\n"
        "print('LOADED', loaded, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stderr
