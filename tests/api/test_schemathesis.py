"""Schemathesis against the OpenAPI document, over HTTP to the app on a loopback port: every
operation, valid and hostile values, with an admin token; no response >= 500 and every
response as the document says (status code, media type, headers, body schema).

The database holds a published pathway, a patient and an enrollment: path ids start at their
minimum, 1, so those rows are reached as well as the 404s. (schemathesis' pytest fixture
loader does not work with pytest 9, so the schema is read from the document the code builds.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks
from sqlmodel import Session

from tests.browser_helpers import LiveServer, live_server_fixture  # noqa: F401
from tests.enrollment_helpers import NOW, enroll_patient
from tracker import db
from tracker.api.openapi import document
from tracker.api.tokens import create_token

MAX_EXAMPLES = 8  # per operation: the whole run stays well under a minute
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
]

# (operation, status) of every response, so the last test can show the run reached the rows.
SEEN: Counter[tuple[str, int]] = Counter()
# Every test here on one worker, in file order (a module mark: schemathesis makes one test
# per operation, and a decorator's mark did not always reach them all).
pytestmark = pytest.mark.xdist_group("schemathesis")

schema = schemathesis.openapi.from_dict(document())
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
)


@pytest.fixture
def live_setup() -> Callable[[Flask], Any]:
    def setup(app: Flask) -> None:
        with Session(db.get_engine(app), expire_on_commit=False) as session:
            enroll_patient(session)
            _, token = create_token(
                session=session, name="fuzz", scope="admin", now=NOW, actor="test"
            )
            session.commit()
        app.config["FUZZ_TOKEN"] = token

    return setup


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_document(case: schemathesis.Case, live_server: LiveServer) -> None:
    headers = {"Authorization": f"Bearer {live_server.app.config['FUZZ_TOKEN']}"}
    response = case.call_and_validate(
        base_url=live_server.url + "/api/v1", headers=headers, checks=CHECKS, timeout=30
    )
    SEEN[(case.operation.label, response.status_code)] += 1


def test_the_run_reached_real_rows() -> None:
    """Not only 404s and 422s: reads of the seeded rows succeeded (skipped when run alone)."""
    operations = {result.ok().label for result in schema.get_all_operations()}
    if {label for label, _ in SEEN} != operations:  # alone, or before the run ended here
        pytest.skip("run after the whole schemathesis run above, in the same process")
    succeeded = {label for (label, status), _ in SEEN.items() if status < 300}
    assert {"GET /patients/{patient_id}", "GET /enrollments/{enrollment_id}"} <= succeeded, SEEN
    assert any(status == 201 for _, status in SEEN), SEEN
