"""FHIR fixtures: a client with a bearer token that reads /fhir, a frozen clock, the seed
pathway enrolled, and R4B validation of whatever is served."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.resource import Resource
from flask import Flask
from sqlmodel import Session
from werkzeug.test import TestResponse

from tests.enrollment_helpers import NOW, enroll_patient, make_patient
from tracker.api.tokens import create_token
from tracker.models import Enrollment, Patient

MEDIA_TYPE = "application/fhir+json"


class Fhir:
    """A test client reading /fhir with one bearer token (None: no Authorization header)."""

    def __init__(self, app: Flask, token: str | None) -> None:
        self.client, self.token = app.test_client(), token

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return self.client.get("/fhir" + path, headers=headers, **kwargs)

    def read(self, path: str, **kwargs: Any) -> dict[str, Any]:
        """A 200 response's JSON, after checking its media type and R4B validity."""
        response = self.get(path, **kwargs)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == MEDIA_TYPE
        body: dict[str, Any] = response.get_json(force=True)
        parse(body)
        return body


def parse(body: dict[str, Any]) -> Resource:
    """The served JSON as its fhir.resources R4B model (ValidationError if it is not valid)."""
    model: type[Resource] = get_fhir_model_class(body["resourceType"])
    return model.model_validate(body)


@pytest.fixture
def frozen_clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def make_fhir(app: Flask, session: Session) -> Callable[..., Fhir]:
    """A Fhir client with a new token of `scope` named `name`."""

    def make(scope: str = "read", name: str = "ehr") -> Fhir:
        _, token = create_token(session=session, name=name, scope=scope, now=NOW, actor="test")
        session.commit()
        return Fhir(app, token)

    return make


@pytest.fixture
def fhir(make_fhir: Callable[..., Fhir]) -> Fhir:
    return make_fhir("read", "ehr")


@pytest.fixture
def patient(session: Session) -> Patient:
    return make_patient(session, birth_date=NOW.date().replace(year=1970), phone="+15550100")


@pytest.fixture
def enrollment(session: Session, patient: Patient) -> Enrollment:
    """The seed pathway, enrolled a week before the procedure (tests.enrollment_helpers)."""
    return enroll_patient(session, patient=patient)
