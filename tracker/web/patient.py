"""The patient's pages, reached by personal link: checklist, ticking, calendar, printable plan.

No account: the token in the URL is the key. Unknown tokens get 404, revoked or expired ones
410, both counted against the sender's address by the rate limiter; with PATIENT_DOB_CHECK
on, a device must also confirm the date of birth once (a signed cookie remembers it).
Without JavaScript every action is a plain form (POST-redirect-GET); static/patient.js posts
the same forms with fetch and swaps the item in place from the JSON answer. Opening the link,
the limits and the form tokens are in tracker.web.patient_access.
"""

from __future__ import annotations

from datetime import date
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from tracker.clock import utcnow
from tracker.db import get_connection, get_session
from tracker.errors import InvalidInput, ItemNotFound
from tracker.library.patient_plan import plan_for
from tracker.patient.calendar_feed import build_feed
from tracker.patient.html import coming_html, entries_html, inbox_html
from tracker.patient.links import (
    LinkAccess,
    hash_token,
    qr_svg,
)
from tracker.patient.page import load_entry, load_page
from tracker.patient.printed_plan import printable
from tracker.patient.reader import Entry
from tracker.patient.text import ENGLISH, Words, words_for
from tracker.patient.ticking import ACTIONS, act
from tracker.web.patient_access import (
    DOB_ATTEMPTS,
    DOB_COOKIE,
    check_form,
    dob_serializer,
    link_form_token,
    needs_dob,
    open_or_refuse,
    private,
    refuse,
)
from tracker.web.security import csrf

bp = Blueprint("patient", __name__, url_prefix="/p")
csrf.exempt(bp)  # link-bound form tokens (patient_access.check_form): no session
for _fragment in (entries_html, coming_html, inbox_html):  # the checklist template's loops
    bp.add_app_template_global(_fragment)

MAX_ID = 2**31 - 1  # ids are 32-bit; a longer number in a URL is simply not found
ITEM = f"/<token>/items/<int(max={MAX_ID}):item_id>"
MESSAGES: dict[int, tuple[str, str]] = {  # status -> (title key, body key) of the calm error page
    HTTPStatus.NOT_FOUND: ("missing_title", "missing_body"),
    HTTPStatus.GONE: ("gone_title", "gone_body"),
    HTTPStatus.TOO_MANY_REQUESTS: ("busy_title", "busy_body"),
}


def _render(template: str, status: int = HTTPStatus.OK, **context: Any) -> Response:
    return private(make_response(render_template(template, **context), status))


def _public(path: str) -> str:
    """A path on the site's public address (as printed and sent to patients)."""
    return str(current_app.config["BASE_URL"]).rstrip("/") + path


def _link_url(endpoint: str, token: str, **values: Any) -> str:
    return _public(url_for(endpoint, token=token, **values))


# --- the checklist ---------------------------------------------------------------------------


@bp.get("/<token>")
def checklist(token: str) -> Response:
    connection = get_connection()  # the page only reads: no session needed
    access = open_or_refuse(token, connection)
    words = words_for(access.patient.language)
    if needs_dob(access):
        return _render(
            "patient/dob.html",
            w=words,
            token=token,
            error="",
            values={},
            csrf=link_form_token(access, "dob"),
        )
    everything = request.args.get("all") == "1"
    page = load_page(connection, access, now=utcnow(), words=words, everything=everything)
    # The page's own address is the one asked for (url_for would rebuild it through the URL
    # map); the other links are fixed paths below it.
    home = request.script_root + request.path
    feed = _public(home + "/calendar.ics")
    return _render(
        "patient/checklist.html",
        w=words,
        page=page,
        everything=everything,
        home=home,
        items=home + "/items/",
        csrf=link_form_token(access, "items"),
        webcal="" if current_app.config.get("PATIENT_DOB_CHECK") else _webcal(feed),
    )


def _items_url(token: str) -> str:
    """The item forms' address without the id (one url_for per page, not per item)."""
    return url_for("patient.checklist", token=token) + "/items/"


def _webcal(url: str) -> str:
    return "webcal://" + url.split("://", 1)[-1]


@bp.post("/<token>/confirm")
def confirm(token: str) -> BaseResponse:
    """Check the date of birth typed in; remember a match on this device."""
    access = open_or_refuse(token)
    words = words_for(access.patient.language)
    check_form(access, "dob")
    values = {name: request.form.get(name, "").strip()[:4] for name in ("day", "month", "year")}
    key = "dob:" + hash_token(token)
    if DOB_ATTEMPTS.exceeded(key):
        abort(HTTPStatus.TOO_MANY_REQUESTS)
    if needs_dob(access) and _typed_date(values) != access.patient.birth_date:
        DOB_ATTEMPTS.failed(key)
        error = words["dob_wrong"]
        return _render(
            "patient/dob.html",
            HTTPStatus.UNPROCESSABLE_ENTITY,
            w=words,
            token=token,
            error=error,
            values=values,
            csrf=link_form_token(access, "dob"),
        )
    response = redirect(url_for("patient.checklist", token=token), HTTPStatus.SEE_OTHER)
    seconds = int((access.link.expires_at - utcnow()).total_seconds())
    response.set_cookie(
        DOB_COOKIE.format(link_id=access.link.id),
        dob_serializer().dumps(access.link.id),
        max_age=max(seconds, 0),
        path=url_for("patient.checklist", token=token),
        secure=bool(current_app.config["HTTPS"]),
        httponly=True,
        samesite="Lax",
    )
    return private(response)


def _typed_date(values: dict[str, str]) -> date | None:
    try:
        return date(int(values["year"]), int(values["month"]), int(values["day"]))
    except ValueError:
        return None


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    )


@bp.post(ITEM)
def item(token: str, item_id: int) -> ResponseReturnValue:
    """Tick, untick or "I couldn't do this" for one item of this link's plan."""
    access = open_or_refuse(token)
    if needs_dob(access):
        return redirect(url_for("patient.checklist", token=token), HTTPStatus.SEE_OTHER)
    check_form(access, "items")
    words = words_for(access.patient.language)
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(HTTPStatus.BAD_REQUEST)
    session = get_session()
    now = utcnow()
    status = HTTPStatus.OK
    try:
        act(
            session=session,
            enrollment=access.enrollment,
            actor=access.actor,
            item_id=item_id,
            action=action,
            now=now,
            note=request.form.get("note", ""),
        )
        session.commit()
    except ItemNotFound:  # another patient's item (or none): counted like a wrong link
        session.rollback()
        refuse(HTTPStatus.NOT_FOUND)
    except InvalidInput as error:
        session.rollback()
        status, reason = HTTPStatus.CONFLICT, error.message
    entry = load_entry(session, access, item_id, now=now, words=words)
    if status == HTTPStatus.OK:
        message = words.get("saved_" + action, text=entry.text if entry else "")
    else:
        message = words.get("cannot_change", reason=reason)
    return _answer(access, token, item_id, entry, words, message, status)


def _answer(
    access: LinkAccess,
    token: str,
    item_id: int,
    entry: Entry | None,
    words: Words,
    message: str,
    status: int,
) -> ResponseReturnValue:
    """JSON with the item's fresh HTML for fetch; a flash and a redirect for plain forms."""
    if _wants_json():
        html = ""
        if entry is not None:
            html = entries_html([entry], words, _items_url(token), link_form_token(access, "items"))
        body = {"ok": status == HTTPStatus.OK, "message": message, "html": html}
        return private(make_response(jsonify(body), status))
    flash(message, "success" if status == HTTPStatus.OK else "error")
    target = url_for("patient.checklist", token=token, _anchor=f"item-{item_id}")
    return redirect(target, HTTPStatus.SEE_OTHER)


# --- calendar and paper ----------------------------------------------------------------------


@bp.get("/<token>/calendar.ics")
def calendar(token: str) -> Response:
    """The plan as iCalendar: subscribed to (webcal) or downloaded (?download=1)."""
    access = open_or_refuse(token)
    if needs_dob(access):
        abort(HTTPStatus.FORBIDDEN)
    words = words_for(access.patient.language)
    feed = build_feed(
        get_session(),
        access,
        now=utcnow(),
        words=words,
        page_url=_link_url("patient.checklist", token),
    )
    response = private(Response(feed, mimetype="text/calendar"))
    response.mimetype_params["charset"] = "utf-8"
    if request.args.get("download"):
        response.headers["Content-Disposition"] = 'attachment; filename="care-plan.ics"'
    return response


@bp.get("/<token>/print")
def print_plan(token: str) -> ResponseReturnValue:
    access = open_or_refuse(token)
    if needs_dob(access):
        return redirect(url_for("patient.checklist", token=token), HTTPStatus.SEE_OTHER)
    words = words_for(access.patient.language)
    now = utcnow()
    zone = ZoneInfo(access.enrollment.timezone)
    url = _link_url("patient.checklist", token)
    return _render(
        "patient/print.html",
        w=words,
        token=token,
        patient=access.patient,
        plan=printable(get_session(), access, now=now, words=words),
        title=plan_for(get_session(), access.enrollment.version_id).title,
        procedure=words.full_date(access.enrollment.procedure_start.astimezone(zone)),
        zone=words.zone(access.enrollment.timezone),
        url=url,
        qr=qr_svg(url, label=words["print_scan"]),
    )


# --- calm error pages ------------------------------------------------------------------------


@bp.errorhandler(HTTPException)
def _error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or HTTPStatus.INTERNAL_SERVER_ERROR
    if _wants_json():
        return private(make_response(jsonify({"ok": False, "message": error.name}), code))
    words: Words = ENGLISH
    title, body = MESSAGES.get(code, ("problem_title", "problem_body"))
    token = (request.view_args or {}).get("token")
    back = url_for("patient.checklist", token=token) if token and code not in MESSAGES else ""
    return _render(
        "patient/message.html", code, w=words, title=words[title], body=words[body], back=back
    )
