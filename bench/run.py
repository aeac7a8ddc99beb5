"""Every benchmark in one run: figures and ratios printed together (`make bench`).

`make bench` runs them all; `make bench ONLY=documents` runs one group.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_api  # noqa: E402
import bench_burst  # noqa: E402
import bench_documents  # noqa: E402
import bench_enrollment  # noqa: E402
import bench_reading  # noqa: E402
import bench_reminders  # noqa: E402
import bench_scale  # noqa: E402

GROUPS: dict[str, tuple[str, Callable[[], object]]] = {
    "documents": ("documents and preview (issue 2)", bench_documents.run),
    "enrollment": ("enrollment through the service layer (issue 3)", bench_enrollment.run),
    "scale": ("patient page and dashboard at 10k and 100k enrollments (issue 11)", bench_scale.run),
    "reminders": ("reminder dispatch, lateness and memory (issue 5)", bench_reminders.run),
    "reading": ("reading corpus, the tagger as peer, second reading (issue 10)", bench_reading.run),
    "burst": ("1,000 emails at once while a patient ticks (issue 12)", bench_burst.run),
    "api": (
        "POST enrollment through the JSON API vs the service layer; the FHIR Bundle (issue 14)",
        bench_api.run,
    ),
}


def main() -> None:
    only = os.environ.get("ONLY", "")
    for name, (title, run) in GROUPS.items():
        if only and name not in only.split(","):
            continue
        print(f"== {title}", flush=True)
        run()


if __name__ == "__main__":
    main()
