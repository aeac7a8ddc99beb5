"""`POST /hooks/sms`: patients' text replies from the SMS gateway, signed, never replayed.

The gateway signs `timestamp + "." + raw body` with HMAC-SHA256 under the shared secret
SMS_WEBHOOK_SECRET and sends the Unix time in `X-Tracker-Timestamp` and the hex digest in
`X-Tracker-Signature`. A bad signature, or a timestamp more than five minutes away, is 401; a
message seen before (same provider id or same signature) is 409 and changes nothing; bad
input is 400. Every refusal is problem+json and writes nothing. Accepted messages, an unknown
number's included, are 202.

Without a secret the hook answers 404 (problem+json): a site that has not set up text
replies has no such hook, and it cannot tell the gateway from anyone else. A 503 was the other
choice (gateways retry a 5xx), but nothing a client sends may get a 5xx from this app (the
hostile-input tests hold every route to that), and a missing setting is not an outage: the
gateway's log shows the 404 and its detail names the setting.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from http import HTTPStatus
from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from tracker.clock import utcnow
from tracker.db import get_session
from tracker.errors import ReplayedMessage
from tracker.patient.text_replies import MAX_BODY, CareTeam, Inbound, receive

bp = Blueprint("hooks", __name__, url_prefix="/hooks")
log = logging.getLogger(__name__)

TIMESTAMP_HEADER = "X-Tracker-Timestamp"
SIGNATURE_HEADER = "X-Tracker-Signature"
MAX_AGE_SECONDS = 300  # older (or further ahead) timestamps are refused: replays need a fresh one
MAX_ID_LENGTH = 255
MAX_PHONE_LENGTH = 40
MEDIA_TYPE = "application/problem+json"


class HookProblem(Exception):
    """A refusal: the status and what the gateway's operator should read."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of `timestamp + "." + body` under `secret`."""
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verified(secret: str, body: bytes, timestamp: str, signature: str, now: float) -> str:
    """The signature, if it is the body's and the timestamp is fresh; else HookProblem(401)."""
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise HookProblem(401, f"{TIMESTAMP_HEADER} must be the Unix time in seconds")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise HookProblem(401, f"{SIGNATURE_HEADER} does not match the body and timestamp")
    if abs(now - int(timestamp)) > MAX_AGE_SECONDS:
        raise HookProblem(401, f"the timestamp is more than {MAX_AGE_SECONDS} seconds away")
    return expected


def parse(body: bytes, signature: str) -> Inbound:
    """The message's fields, checked for shape; HookProblem(400) says what is wrong."""
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise HookProblem(400, "the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise HookProblem(400, "the body must be a JSON object")
    provider_id = data.get("id")
    if isinstance(provider_id, int) and not isinstance(provider_id, bool):
        provider_id = str(provider_id)
    fields = {"id": (provider_id, MAX_ID_LENGTH), "from": (data.get("from"), MAX_PHONE_LENGTH)}
    fields["body"] = (data.get("body"), MAX_BODY)
    for name, (value, longest) in fields.items():
        if not isinstance(value, str):
            raise HookProblem(400, f"'{name}' is required and must be text")
        if "\x00" in value:
            raise HookProblem(400, f"'{name}' contains a NUL character")
        if not _encodable(value):  # JSON's \ud800 escapes: no database stores a lone surrogate
            raise HookProblem(400, f"'{name}' is not valid Unicode text")
        if len(value) > longest:
            raise HookProblem(400, f"'{name}' is longer than {longest} characters")
        if name != "body" and (not value.strip() or not value.isprintable()):
            raise HookProblem(400, f"'{name}' must be printable text, not empty")
    return Inbound(str(provider_id).strip(), data["from"].strip(), data["body"], signature)


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@bp.post("/sms")
def sms() -> Response:
    secret = str(current_app.config.get("SMS_WEBHOOK_SECRET") or "")
    if not secret:
        raise HookProblem(404, "text replies are not set up here (SMS_WEBHOOK_SECRET is unset)")
    body = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413, via the handler below
    signature = verified(
        secret,
        body,
        request.headers.get(TIMESTAMP_HEADER, ""),
        request.headers.get(SIGNATURE_HEADER, ""),
        utcnow().timestamp(),
    )
    message = parse(body, signature)
    config = current_app.config
    team = CareTeam(
        str(config["CARE_TEAM_NAME"]) or "your care team", str(config["CARE_TEAM_PHONE"])
    )
    session = get_session()
    try:
        row = receive(session=session, message=message, now=utcnow(), team=team)
        session.commit()
    except ReplayedMessage:
        session.rollback()
        raise HookProblem(409, "this message was already received") from None
    answer = {"received": row.id, "meaning": row.meaning, "outcome": row.outcome}
    return Response(json.dumps(answer), status=202, mimetype="application/json")


def problem(status: int, detail: str) -> Response:
    """An RFC 9457 problem+json response (type about:blank: the title is the status phrase)."""
    title = HTTPStatus(status).phrase
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)


@bp.errorhandler(HookProblem)
def _on_problem(error: HookProblem) -> Response:
    if error.status == 404:  # the operator forgot the secret: say so where they will look
        log.warning("SMS hook refused a message: %s", error.detail)
    return problem(error.status, error.detail)


@bp.errorhandler(HTTPException)
def _on_http_error(error: HTTPException) -> Response:
    """Refusals before the view (hostile input, a body too large) as problem+json too."""
    code = error.code or 500
    return problem(code, error.description or HTTPStatus(code).phrase)
