"""Real-browser fixtures: the app on a loopback port and headless Chromium (Debian's build).

Import the fixtures into a test module (they register as `live_server` and `page`):

    from tests.browser_helpers import live_server_fixture, page_fixture  # noqa: F401

and define a `live_setup` fixture there (returning `setup(app)`) when the database needs rows
before the server starts.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tracker import create_app, db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TABLET = {"width": 820, "height": 1180}  # a portrait tablet: the narrowest layout we support
BLOCKING_IMPACTS = ("serious", "critical")


@dataclass
class LiveServer:
    """The app serving on 127.0.0.1:<port> from a background thread."""

    app: Flask
    url: str
    server: BaseWSGIServer

    def path(self, path: str) -> str:
        return self.url + path


@pytest.fixture(name="live_server")
def live_server_fixture(
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[LiveServer]:
    """The app on a free loopback port over its own migrated SQLite file (shared with the
    test), after the module's `live_setup(app)` if it has one."""
    path = tmp_path / "live.sqlite3"
    shutil.copy(sqlite_template, path)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    try:
        live_setup: Callable[[Flask], Any] | None = request.getfixturevalue("live_setup")
    except pytest.FixtureLookupError:
        live_setup = None
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{path}",
            "SECRET_KEY": "browser-test-secret",
            "WTF_CSRF_ENABLED": True,
            "RATELIMIT_ENABLED": False,
        }
    )
    if live_setup is not None:
        live_setup(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app, f"http://127.0.0.1:{server.port}", server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        db.get_engine(app).dispose()


@pytest.fixture(name="page")
def page_fixture() -> Iterator[Any]:
    """A fresh headless Chromium page with a tablet-sized viewport."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport=TABLET)
        context.set_default_timeout(10_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def blocking_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the current page, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(node["target"]) for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v.get("impact") in BLOCKING_IMPACTS
    ]
