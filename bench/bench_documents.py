"""Documents read and converted per second, and the preview command's whole-process time."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from tracker.library.pathways import documents_in
from tracker.reading.documents import parse_document
from tracker.reading.timing import derive

ROOT = Path(__file__).resolve().parents[1]
# The original seed (a copy kept with the tests) is the "seed-sized document" of the target.
SEED = ROOT / "tests" / "fixtures" / "documents" / "22868.txt"
TEAM_DOCUMENTS = documents_in(ROOT / "pathways")  # translations (22868.es.txt) are not documents
TARGET_DOCS_PER_SECOND = 200
TARGET_PREVIEW_SECONDS = 0.5


def documents_per_second(texts: list[str], rounds: int = 5, batch: int = 200) -> float:
    """Median rate of parse + derive over a few rounds of the given documents."""
    rates = []
    for round_number in range(rounds):
        start = time.perf_counter()
        for i in range(batch):
            text = texts[i % len(texts)]
            derive(parse_document(text, path="bench.txt", code=f"{round_number}-{i}"))
        rates.append(batch / (time.perf_counter() - start))
    return statistics.median(rates)


def preview_seconds(rounds: int = 5) -> float:
    """Median wall time of `tracker preview --json` as a fresh process."""
    tracker = Path(sys.executable).with_name("tracker")
    command = [
        str(tracker),
        "preview",
        str(SEED),
        "--start",
        "2027-03-15T08:00",
        "--tz",
        "America/New_York",
        "--json",
    ]
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run() -> dict[str, float]:
    rate = documents_per_second([SEED.read_text(encoding="utf-8")])
    team = documents_per_second([p.read_text(encoding="utf-8") for p in TEAM_DOCUMENTS])
    seconds = preview_seconds()
    print(
        f"documents: {rate:,.0f} seed-sized documents read+converted per second "
        f"(target >= {TARGET_DOCS_PER_SECOND}; {rate / TARGET_DOCS_PER_SECOND:.1f}x target)"
    )
    print(
        f"           {team:,.0f} per second over the team's pathways/ "
        f"(larger: {len(TEAM_DOCUMENTS)} documents, for comparison)"
    )
    print(
        f"preview:   {seconds:.3f} s whole process, median of 5 "
        f"(target <= {TARGET_PREVIEW_SECONDS}; {seconds / TARGET_PREVIEW_SECONDS:.2f} of budget)"
    )
    return {
        "documents_per_second": rate,
        "team_documents_per_second": team,
        "preview_seconds": seconds,
    }


if __name__ == "__main__":
    run()
