"""The patient's pages, reached by personal link: checklist, ticking, calendar, printable plan.

No account: the token in the URL is the key. Unknown tokens get 404, revoked or expired ones
410, both counted against the sender's address by the rate limiter; with PATIENT_DOB_CHECK
on, a device must also confirm the date of birth once (the server remembers the device).
Without JavaScript every action is a plain form (POST-redirect-GET); static/patient.js posts
the same forms with fetch and swaps the item in place from the JSON answer. Opening the link,
the limits and the form tokens are in tracker.web.patient_access.
"""

from __future__ import annotations

from datetime import date, datetime
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    get_template_attribute,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from sqlalchemy import Connection
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from tracker import i18n
from tracker.clock import utcnow
from tracker.db import get_connection, get_session
from tracker.errors import InvalidInput, ItemNotFound
from tracker.library.patient_plan import plan_for
from tracker.patient.calendar_feed import build_feed
from tracker.patient.confirmed_devices import remember_device
from tracker.patient.links import (
    LinkAccess,
    hash_token,
    qr_svg,
)
from tracker.patient.page import SECTION_OF, Notice, load_entry, load_page, notice_after
from tracker.patient.printed_plan import printable
from tracker.patient.reader import Entry
from tracker.patient.text import Words, words_for
from tracker.patient.ticking import ACTIONS, act
from tracker.web.patient_access import (
    DOB_ATTEMPTS,
    check_form,
    link_form_token,
    needs_dob,
    open_for_form,
    open_or_refuse,
    private,
    refuse,
    this_device,
)
from tracker.web.patient_forms import BirthDateForm, ItemActionForm
from tracker.web.security import csrf

bp = Blueprint("patient", __name__, url_prefix="/p")
csrf.exempt(bp)  # link-bound form tokens (patient_access.check_form): no session

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


def _words(access: LinkAccess) -> Words:
    """The patient's language for the rest of this request: the page's `_()` and its Words."""
    return words_for(i18n.use(access.patient.language))


# --- the checklist ---------------------------------------------------------------------------


@bp.get("/<token>")
def checklist(token: str) -> Response:
    connection = get_connection()  # the page only reads: no session needed
    access = open_or_refuse(token, connection)
    words = _words(access)
    if needs_dob(access, connection):
        return _render(
            "patient/dob.html",
            w=words,
            token=token,
            error="",
            values={},
            csrf=link_form_token(access, "dob"),
        )
    everything = request.args.get("all") == "1"
    now = utcnow()
    page = load_page(connection, access, now=now, words=words, everything=everything)
    home = url_for("patient.checklist", token=token)  # the other links are paths below it
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
        notice=_notice(connection, access, now=now, words=words),
        languages=i18n.NAMES,
    )


def _notice(
    connection: Connection, access: LinkAccess, *, now: datetime, words: Words
) -> Notice | None:
    """The line after a plain form's redirect (`?item=<id>&saved=<action>`, or `refused=`);
    None when the query names none, or names it wrongly."""
    item_id = request.args.get("item", type=int)
    saved, refused = request.args.get("saved"), request.args.get("refused")
    action = saved or refused
    if item_id is None or not 0 < item_id <= MAX_ID or action not in ACTIONS:
        return None
    return notice_after(
        connection,
        access,
        item_id=item_id,
        action=action,
        refused=saved is None,
        now=now,
        words=words,
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
    words = _words(access)
    check_form(access, "dob")
    values = BirthDateForm(request.form).typed()
    key = "dob:" + hash_token(token)
    if DOB_ATTEMPTS.exceeded(key):
        abort(HTTPStatus.TOO_MANY_REQUESTS)
    if not needs_dob(access):  # already confirmed here, or no check on this site
        return private(redirect(url_for("patient.checklist", token=token), HTTPStatus.SEE_OTHER))
    if _typed_date(values) != access.patient.birth_date:
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
    remember_device(
        get_session(),
        link_id=access.link.id,
        device=this_device(),
        now=utcnow(),
        link_expires=access.link.expires_at,
    )
    return private(redirect(url_for("patient.checklist", token=token), HTTPStatus.SEE_OTHER))


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
    access, _ = open_for_form(token)
    words = _words(access)
    form = ItemActionForm(request.form)
    if not form.validate():
        abort(HTTPStatus.BAD_REQUEST)
    action = str(form.action.data)
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
            note=form.note.data or "",
        )
        session.commit()
    except ItemNotFound:  # another patient's item (or none): counted like a wrong link
        session.rollback()
        refuse(HTTPStatus.NOT_FOUND)
    except InvalidInput as error:
        session.rollback()
        status, reason = HTTPStatus.CONFLICT, error.translated  # the patient's language
    if not _wants_json():
        # POST-redirect-GET: the address names the item and what was asked; the page words
        # the outcome from the database (no flash, so no cookie).
        done = status == HTTPStatus.OK
        target = url_for(
            "patient.checklist",
            token=token,
            item=item_id,
            saved=action if done else None,  # None: left out of the address
            refused=None if done else action,
            _anchor=f"item-{item_id}",
        )
        return private(redirect(target, HTTPStatus.SEE_OTHER))
    entry = load_entry(session, access, item_id, now=now, words=words)
    if status == HTTPStatus.OK:
        message = words.get("saved_" + action, text=entry.text if entry else "")
    else:
        message = words.get("cannot_change", reason=reason)
    return _fresh_entry(access, token, entry, words, message, status)


def _fresh_entry(
    access: LinkAccess, token: str, entry: Entry | None, words: Words, message: str, status: int
) -> Response:
    """The JSON fetch gets: the outcome, and the item's markup as the page has it."""
    html = section = ""
    if entry is not None:
        section = SECTION_OF.get(entry.status, "")
        render = get_template_attribute("patient/_entries.html", "entries")
        csrf = link_form_token(access, "items")
        compact = section in ("done", "not_done")  # as those lists show their items
        html = str(render([entry], words, _items_url(token), csrf, compact=compact))
    # `section`: the list the item now belongs in, so an undone tick leaves "Done" at once.
    body = {"ok": status == HTTPStatus.OK, "message": message, "html": html, "section": section}
    return private(make_response(jsonify(body), status))


# --- calendar and paper ----------------------------------------------------------------------


@bp.get("/<token>/calendar.ics")
def calendar(token: str) -> Response:
    """The plan as iCalendar: subscribed to (webcal) or downloaded (?download=1)."""
    access = open_or_refuse(token)
    if needs_dob(access):
        abort(HTTPStatus.FORBIDDEN)
    words = _words(access)
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
    words = _words(access)
    now = utcnow()
    zone = ZoneInfo(access.enrollment.timezone)
    url = _link_url("patient.checklist", token)
    heading = plan_for(
        get_session(), access.enrollment.version_id, i18n.best(access.patient.language)
    )
    return _render(
        "patient/print.html",
        w=words,
        token=token,
        patient=access.patient,
        plan=printable(get_session(), access, now=now, words=words),
        title=heading.title,
        title_lang=heading.title_lang,  # "en": no reviewed translation of the title
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
    words = words_for(str(get_locale()))  # the patient's, once their link opened
    title, body = MESSAGES.get(code, ("problem_title", "problem_body"))
    token = (request.view_args or {}).get("token")
    back = url_for("patient.checklist", token=token) if token and code not in MESSAGES else ""
    return _render(
        "patient/message.html", code, w=words, title=words[title], body=words[body], back=back
    )
