"""Build the wheel, install it into a fresh venv and serve pages from it (no checkout in sight).

Usage: python .ci/wheel_check.py   (from any directory; exits 1 with the reason on failure)

Offline and quick: the wheel is built with the running environment's setuptools
(--no-build-isolation) from a copy of the sources, so the checkout gains no build/ folder;
the fresh venv has no pip of its own and finds the dependencies through a .pth line naming
this environment's site-packages (.pth files there, such as the editable install's, are not
run, so `tracker` itself can only come from the wheel). The check inside the venv runs from
an empty directory and asserts that `tracker` was imported from the venv.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = (
    "pyproject.toml",
    "setup.py",
    "MANIFEST.in",
    "README.md",
    "tracker",
    "templates",
    "static",
)

# Runs inside the fresh venv: migrate, add the demo staff, then sign in and load every page
# that needs no id, the sign-in page and a static file.
INSIDE = """
import os, sys
import tracker
from tracker import create_app, db
from tracker.accounts import DEMO_PASSWORD, DEMO_STAFF, ensure_demo_users
from tracker.clock import utcnow

assert tracker.__file__.startswith(sys.prefix), f"tracker imported from {tracker.__file__}"
os.environ.pop("TRACKER_INSTANCE_PATH", None)  # the installed default: not in site-packages
url = "sqlite:///" + os.path.join(os.getcwd(), "wheel.sqlite3")
engine = db.make_engine(url)
db.upgrade(engine)
with db.session_scope(engine) as session:
    ensure_demo_users(session=session, now=utcnow())
engine.dispose()
app = create_app({"DATABASE_URL": url, "SECRET_KEY": "wheel-check",
                  "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
assert app.template_folder.startswith(sys.prefix), app.template_folder
assert "site-packages" not in app.instance_path, app.instance_path
client = app.test_client()
page = client.get("/auth/sign-in")
assert page.status_code == 200 and b"<form" in page.data, page.status_code
css = client.get("/static/app.css")
assert css.status_code == 200 and b"{" in css.data, css.status_code
css.close()
admin = {"email": DEMO_STAFF[0][0], "password": DEMO_PASSWORD}
signed_in = client.post("/auth/sign-in", data=admin)
assert signed_in.status_code == 302, signed_in.status_code
served, failed = [], []
for rule in app.url_map.iter_rules():
    if "GET" not in (rule.methods or ()) or rule.arguments or rule.endpoint == "auth.sign_out":
        continue
    response = client.get(rule.rule)
    seen = f"{rule.rule} {response.status_code}"
    (failed if response.status_code >= 500 else served).append(seen)
    response.close()
assert not failed, failed
print(f"wheel serves {len(served)} pages: " + ", ".join(sorted(served)))
"""


def run(*command: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        sys.exit(f"wheel check: {Path(command[0]).name} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="wheel-check-") as temporary:
        work = Path(temporary)
        source, dist, venv, empty = (work / n for n in ("source", "dist", "venv", "empty"))
        source.mkdir()
        empty.mkdir()
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
        for name in SOURCES:
            path = ROOT / name
            if path.is_dir():
                shutil.copytree(path, source / name, ignore=ignore)
            else:
                shutil.copy2(path, source / name)
        python = sys.executable
        pip = [python, "-m", "pip", "--quiet"]
        run(
            *pip,
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            dist,
            source,
            cwd=work,
        )
        (wheel,) = dist.glob("tracker-*.whl")
        run(python, "-m", "venv", "--without-pip", venv, cwd=work)
        inner = venv / "bin" / "python"
        site = run(
            inner, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=work
        )
        deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
        Path(site.strip(), "_wheel_check_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
        run(*pip, "--python", inner, "install", "--no-deps", "--no-index", wheel, cwd=work)
        # The console script works too (the migrations are checked by the upgrade inside).
        assert "backup" in run(venv / "bin" / "tracker", "--help", cwd=empty)
        script = empty / "inside.py"
        script.write_text(textwrap.dedent(INSIDE))
        print(f"{wheel.name}: " + run(inner, script, cwd=empty).strip())


if __name__ == "__main__":
    main()
