"""Every benchmark in one run: figures and ratios printed together (`make bench`)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_documents  # noqa: E402


def main() -> None:
    print("== documents and preview (issue 2)")
    bench_documents.run()


if __name__ == "__main__":
    main()
