"""The pathway library: every pathway and its steps, read-only, for signed-in staff."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from tests.auth_helpers import sign_in_as
from tracker.clock import utcnow
from tracker.library import pathways
from tracker.reading.documents import read_document


@pytest.fixture
def imported(session: Session, seed_path: Path) -> pathways.ImportResult:
    result = pathways.import_document(
        session=session, document=read_document(seed_path), now=utcnow()
    )
    session.commit()
    return result


@pytest.mark.both_databases
def test_library_lists_pathways_with_versions_and_review_counts(
    app: Flask, client: FlaskClient, imported: pathways.ImportResult
) -> None:
    sign_in_as(client, app, "nurse")
    html = client.get("/pathways/").get_data(as_text=True)
    assert f'href="/pathways/{imported.slug}"' in html
    assert "v1" in html and "draft" in html
    assert f"<td>{imported.steps}</td>" in html


def test_detail_shows_every_step_with_window_evidence_and_confidence(
    app: Flask, client: FlaskClient, session: Session, imported: pathways.ImportResult
) -> None:
    sign_in_as(client, app, "nurse")
    response = client.get(f"/pathways/{imported.slug}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    pathway = pathways.get_pathway(session, imported.slug)
    assert pathway is not None
    steps = pathways.steps_of(session, pathways.versions_of(session, pathway)[-1])
    assert html.count('<tr class="') == len(steps)
    assert "within a few hours post-surgery" in html  # the walking step's evidence
    assert "needs review" in html  # "a few hours" is vague
    assert "Opens 7 days before the procedure starts, at the reminder hour" in html
    assert "Summary" not in html  # describing sections never become steps


def test_library_needs_sign_in_and_unknown_pages_are_404(
    app: Flask, client: FlaskClient, imported: pathways.ImportResult
) -> None:
    response = client.get(f"/pathways/{imported.slug}")
    assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]
    sign_in_as(client, app, "nurse")
    assert client.get("/pathways/no-such-pathway").status_code == 404
    assert client.get(f"/pathways/{imported.slug}?version=9").status_code == 404


@pytest.mark.both_databases
def test_the_library_has_a_search_box(
    app: Flask, client: FlaskClient, imported: pathways.ImportResult
) -> None:
    """Issue 13: search by name, title, slug or code, any case; LIKE's wildcards are text."""
    sign_in_as(client, app, "nurse")
    link = f'href="/pathways/{imported.slug}"'
    page = client.get("/pathways/").get_data(as_text=True)
    assert 'role="search"' in page and link in page
    for words in ("interlaminar", "INTERSPINOUS", imported.slug[:5], "22868"):
        found = client.get("/pathways/", query_string={"q": words})
        assert found.status_code == 200 and link in found.get_data(as_text=True), words
    for words in ("cataract", "%", "_"):
        missed = client.get("/pathways/", query_string={"q": words}).get_data(as_text=True)
        assert link not in missed and "No pathway matches" in missed, words
    long = client.get("/pathways/", query_string={"q": "x" * 101})
    assert long.status_code == 400 and 'class="field-error"' in long.get_data(as_text=True)
