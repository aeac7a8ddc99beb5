"""static_url gives the address url_for("static", ...) gives, wherever the app is mounted."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, url_for

from tracker.web.assets import static_url


def test_static_url_is_url_for_at_the_site_root(app: Flask) -> None:
    with app.test_request_context("/"):
        assert static_url("app.css") == url_for("static", filename="app.css") == "/static/app.css"
        assert static_url("a b.js") == url_for("static", filename="a b.js") == "/static/a%20b.js"


@pytest.mark.parametrize(
    "mounted",
    [
        {"environ_overrides": {"SCRIPT_NAME": "/tracker"}},
        {"base_url": "http://localhost/tracker"},
    ],
    ids=["script_name", "base_url"],
)
def test_static_url_is_url_for_under_a_mount_prefix(app: Flask, mounted: dict[str, Any]) -> None:
    # environ_base would not do: the test client's own SCRIPT_NAME replaces it.
    with app.test_request_context("/", **mounted):
        expected = url_for("static", filename="app.css")
        assert static_url("app.css") == expected == "/tracker/static/app.css"


def test_static_url_keeps_each_mount_points_address_apart(app: Flask) -> None:
    seen = []
    for root in ("/one", "/two", "", "/one"):
        with app.test_request_context("/", environ_overrides={"SCRIPT_NAME": root}):
            assert static_url("patient.js") == url_for("static", filename="patient.js")
            seen.append(static_url("patient.js"))
    assert seen == [
        "/one/static/patient.js",
        "/two/static/patient.js",
        "/static/patient.js",
        "/one/static/patient.js",
    ]


def test_static_url_follows_the_apps_static_path(app: Flask) -> None:
    with app.test_request_context("/"):
        assert static_url("app.css") == "/static/app.css"
    other = Flask("other", static_url_path="/assets")
    with other.test_request_context("/"):
        assert static_url("app.css") == url_for("static", filename="app.css") == "/assets/app.css"
