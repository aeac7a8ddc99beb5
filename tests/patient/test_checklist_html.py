"""The checklist's markup (templates/patient): what an entry shows, and that every text the
page shows is escaped, whatever it holds."""

from __future__ import annotations

from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask, get_template_attribute, render_template
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from tracker.patient.page import ChecklistPage, Notice
from tracker.patient.reader import Day, Entry, Line, Message
from tracker.patient.text import ENGLISH

HOSTILE = "<script>alert('x')</script> & \"quoted\" <b>bold</b>"
TAGS = {"li", "h3", "p", "span", "strong", "form", "input", "button", "details", "summary"}
TAGS |= {"label", "textarea"}
FIXTURES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


class Parsed(HTMLParser):
    """Elements as (tag, attributes, text inside), in document order."""

    VOID = {"input", "br", "meta", "link"}

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.open: list[list[str]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text: list[str] = []
        self.elements.append((tag, dict(attrs), text))
        if tag not in self.VOID:
            self.open.append(text)

    def handle_endtag(self, tag: str) -> None:
        self.open.pop()

    def handle_data(self, data: str) -> None:
        for text in self.open:
            text.append(data)

    def texts(self, tag: str, **attrs: str) -> list[str]:
        return [
            "".join(text)
            for name, found, text in self.elements
            if name == tag and all(found.get(k) == v for k, v in attrs.items())
        ]

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [found for name, found, _ in self.elements if name == tag]

    def tags(self) -> list[str]:
        return [name for name, _, _ in self.elements]


def entry(**fields: Any) -> Entry:
    values: dict[str, Any] = {
        "item_id": 7,
        "text": "Take the tablet",
        "why": "Take one tablet four times a day.",
        "origin": "Part of: Recovery",
        "critical": False,
        "status": "open",
        "when": "Due by today at 12:00",
        "left": "2 hours left",
        "today": "1 of 4 today",
        "note": "",
        "actions": ("done", "not_done"),
    }
    return Entry(**(values | fields))


@pytest.fixture
def entries(app: Flask) -> Callable[..., Markup]:
    """The template's `entries` macro, as the page and the in-place answer call it."""
    with app.app_context():
        macro: Callable[..., Markup] = get_template_attribute("patient/_entries.html", "entries")
    return macro


def render_page(app: Flask, page: ChecklistPage, notice: Notice | None = None) -> str:
    with app.test_request_context("/p/tok"):
        return render_template(
            "patient/checklist.html",
            w=ENGLISH,
            page=page,
            everything=False,
            home="/p/tok",
            items="/p/tok/items/",
            csrf="form-token",
            webcal="",
            notice=notice,
        )


def test_an_open_entry_has_its_texts_and_both_actions(entries: Callable[..., Markup]) -> None:
    page = Parsed(entries([entry(critical=True)], ENGLISH, "/p/tok/items/", "form-token"))
    (li,) = page.all("li")
    assert li == {"class": "entry status-open critical", "id": "item-7"}
    assert page.texts("h3", id="text-7") == ["Take the tablet"]
    assert page.texts("strong") == ["Due by today at 12:00"]
    assert page.texts("span", **{"class": "left"}) == ["2 hours left"]
    assert page.texts("span", **{"class": "today"}) == ["1 of 4 today"]
    assert page.texts("span", **{"class": "badge critical"}) == ["Important"]
    assert page.texts("p", **{"class": "from-section"}) == ["Part of: Recovery"]
    (form,) = page.all("form")
    assert form["action"] == "/p/tok/items/7" and form["method"] == "post"
    (token,) = page.all("input")
    assert (token["name"], token["value"]) == ("csrf_token", "form-token")
    buttons = page.all("button")
    assert [(b["value"], b["aria-describedby"]) for b in buttons] == [
        ("done", "text-7"),
        ("not_done", "text-7"),
    ]
    assert page.all("textarea") == [
        {"id": "note-7", "name": "note", "rows": "2", "maxlength": "500"}
    ]
    assert page.texts("label", **{"for": "note-7"}) == [ENGLISH["note_label"]]


def test_a_compact_done_entry_offers_undo_only_and_no_explanation(
    entries: Callable[..., Markup],
) -> None:
    done = entry(status="done", actions=("undo", "not_done"), left="", today="")
    page = Parsed(entries([done], ENGLISH, "/p/tok/items/", "t", compact=True))
    (li,) = page.all("li")
    assert li["class"] == "entry status-done compact"
    assert [b["value"] for b in page.all("button")] == ["undo"]
    assert page.texts("p", **{"class": "why"}) == page.texts("p", **{"class": "from-section"}) == []
    assert page.all("details") == []


def test_an_entry_without_actions_has_no_form_and_a_note_is_shown(
    entries: Callable[..., Markup],
) -> None:
    page = Parsed(entries([entry(status="not_done", actions=(), note="No car")], ENGLISH, "", ""))
    assert page.all("form") == []
    assert page.texts("p", **{"class": "note"}) == ["Your note: No car"]


texts = st.text(st.sampled_from("<>&\"' ab/=é"), max_size=20)


@FIXTURES
@given(text=texts, why=texts, origin=texts, when=texts, note=texts, items=texts, csrf=texts)
def test_every_entry_field_is_escaped(
    entries: Callable[..., Markup],
    text: str,
    why: str,
    origin: str,
    when: str,
    note: str,
    items: str,
    csrf: str,
) -> None:
    shown = entry(text=text, why=why or "x", origin=origin, when=when, note=note or "n")
    page = Parsed(entries([shown], ENGLISH, items, csrf))
    assert set(page.tags()) <= TAGS
    assert page.texts("h3") == [text]
    assert page.texts("strong") == [when]
    assert page.texts("p", **{"class": "from-section"}) == [origin]
    assert page.texts("p", **{"class": "note"}) == [f"Your note: {note or 'n'}"]
    assert page.texts("p", **{"class": "why"}) == [f"From your care instructions: “{why or 'x'}”"]
    (form,) = page.all("form")
    assert form["action"] == f"{items}7"
    assert page.all("input")[0]["value"] == csrf


def _page(text: str, **fields: Any) -> ChecklistPage:
    values: dict[str, Any] = {
        "title": text,
        "procedure": text,
        "countdown": text,
        "zone": text,
        "state": "active",
        "now": [entry(text=text, why=text, origin=text, when=text, left=text, today=text)],
        "coming": [Day(text, [Line(3, text, text, True), Line(4, "09:00", "Walk", False)])],
        "done": [entry(item_id=8, status="not_done", text=text, note=text, actions=("undo",))],
        "inbox": [Message(text, text, 9)],
    }
    return ChecklistPage(**(values | fields))


@FIXTURES
@given(text=texts.filter(lambda text: text.strip() == text and text))
def test_every_text_of_the_page_is_escaped(app: Flask, text: str) -> None:
    # The same page with plain words has the same elements: nothing in a text became markup.
    shown = Parsed(render_page(app, _page(text), Notice("success", text)))
    plain = Parsed(render_page(app, _page("words"), Notice("success", "words")))
    assert shown.tags() == plain.tags()
    assert shown.texts("h1") == [text]
    assert shown.texts("p", **{"class": "countdown"}) == [text]
    assert shown.texts("p", **{"class": "flash flash-success", "role": "status"}) == [text]
    assert shown.texts("h3", **{"class": "day"}) == [text]
    assert shown.texts("span", **{"class": "times"}) == [text, "09:00"]
    assert shown.texts("span", **{"class": "coming-text"}) == [text, "Walk"]
    assert [li["id"] for li in shown.all("li") if li.get("id", "").startswith("item-")] == [
        "item-7",
        "item-3",
        "item-4",
        "item-8",
    ]
    assert shown.texts("a", href="#item-9") == [text]
    assert shown.texts("p", **{"class": "note"}) == [f"Your note: {text}"]


def test_markup_in_a_step_is_shown_as_text(app: Flask, entries: Callable[..., Markup]) -> None:
    html = str(entries([entry(text=HOSTILE, why=HOSTILE)], ENGLISH, "/p/t/items/", "t"))
    assert "<script>" not in html and "<b>" not in html
    assert Parsed(html).texts("h3") == [HOSTILE]
    page = render_page(app, _page(HOSTILE))
    assert "<b>" not in page and "<script>alert" not in page
