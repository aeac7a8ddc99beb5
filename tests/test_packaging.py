"""A built wheel, installed into a fresh venv, serves pages: templates/ and static/ live at the
repository's top level and must travel inside the wheel (.ci/wheel_check.py says how)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parents[1] / ".ci" / "wheel_check.py"


# .ci/run runs the same check as a step of its own and leaves this test out (-m "not packaging").
@pytest.mark.packaging
def test_the_installed_wheel_serves_the_sign_in_page_a_static_file_and_every_page(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, str(CHECK)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (summary,) = done.stdout.splitlines()
    assert summary.startswith("tracker-0.1.0-py3-none-any.whl: wheel serves ")
    # The check asserts the sign-in page and /static/app.css before signing in; then, signed
    # in as the admin, every page without an id in its address:
    served = summary.split(": ", 2)[2].split(", ")
    assert {"/nurse/ 200", "/pathways/ 200", "/admin/pathways 200"} <= set(served)
    assert all(int(entry.rsplit(" ", 1)[1]) < 500 for entry in served)
