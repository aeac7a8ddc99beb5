"""The checklist's fragments built in Python: what they show, and that every text is escaped."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tracker.patient.html import coming_html, entries_html, inbox_html
from tracker.patient.reader import Day, Entry, Line, Message
from tracker.patient.text import ENGLISH

HOSTILE = "<script>alert('x')</script> & \"quoted\" <b>bold</b>"
TAGS = {"li", "h3", "p", "span", "strong", "form", "input", "button", "details", "summary"}
TAGS |= {"label", "textarea", "ul", "a", "br"}


class Parsed(HTMLParser):
    """Elements as (tag, attributes, text inside), in document order."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None], list[str]]] = []
        self.open: list[list[str]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text: list[str] = []
        self.elements.append((tag, dict(attrs), text))
        if tag not in ("input", "br"):
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


def test_an_open_entry_has_its_texts_and_both_actions() -> None:
    html = entries_html([entry(critical=True)], ENGLISH, "/p/tok/items/", "form-token")
    page = Parsed(html)
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


def test_a_compact_done_entry_offers_undo_only_and_no_explanation() -> None:
    done = entry(status="done", actions=("undo", "not_done"), left="", today="")
    page = Parsed(entries_html([done], ENGLISH, "/p/tok/items/", "t", compact=True))
    (li,) = page.all("li")
    assert li["class"] == "entry status-done compact"
    assert [b["value"] for b in page.all("button")] == ["undo"]
    assert page.texts("p", **{"class": "why"}) == page.texts("p", **{"class": "from-section"}) == []
    assert page.all("details") == []


def test_an_entry_without_actions_has_no_form_and_a_note_is_shown() -> None:
    shown = entry(status="not_done", actions=(), note="No car")
    page = Parsed(entries_html([shown], ENGLISH, "", ""))
    assert page.all("form") == []
    assert page.texts("p", **{"class": "note"}) == ["Your note: No car"]


texts = st.text(st.sampled_from("<>&\"' ab/=é"), max_size=20)


@given(text=texts, why=texts, origin=texts, when=texts, note=texts, items=texts, csrf=texts)
def test_every_entry_field_is_escaped(
    text: str, why: str, origin: str, when: str, note: str, items: str, csrf: str
) -> None:
    shown = entry(text=text, why=why or "x", origin=origin, when=when, note=note or "n")
    page = Parsed(entries_html([shown], ENGLISH, items, csrf))
    assert {tag for tag, _, _ in page.elements} <= TAGS
    assert page.texts("h3") == [text]
    assert page.texts("strong") == [when]
    assert page.texts("p", **{"class": "from-section"}) == [origin]
    assert page.texts("p", **{"class": "note"}) == [f"Your note: {note or 'n'}"]
    assert page.texts("p", **{"class": "why"}) == [f"From your care instructions: “{why or 'x'}”"]
    (form,) = page.all("form")
    assert form["action"] == f"{items}7"
    assert page.all("input")[0]["value"] == csrf


@given(label=texts, times=texts, text=texts, when=texts, message=texts)
def test_coming_days_and_messages_are_escaped(
    label: str, times: str, text: str, when: str, message: str
) -> None:
    days = [Day(label, [Line(3, times, text, True), Line(4, "09:00", "Walk", False)])]
    page = Parsed(coming_html(days, ENGLISH))
    assert {tag for tag, _, _ in page.elements} <= TAGS
    assert page.texts("h3", **{"class": "day"}) == [label]
    assert page.texts("span", **{"class": "times"}) == [times, "09:00"]
    assert page.texts("span", **{"class": "coming-text"}) == [text, "Walk"]
    assert [li["id"] for li in page.all("li")] == ["item-3", "item-4"]
    assert page.texts("span", **{"class": "badge critical"}) == ["Important"]

    inbox = Parsed(inbox_html([Message(when, message, 9)]))
    assert {tag for tag, _, _ in inbox.elements} <= TAGS
    assert inbox.texts("span", **{"class": "muted"}) == [when]
    assert inbox.texts("a", href="#item-9") == [message]


def test_markup_in_a_step_is_shown_as_text() -> None:
    html = entries_html([entry(text=HOSTILE, why=HOSTILE)], ENGLISH, "/p/t/items/", "t")
    assert "<script>" not in html and "<b>" not in html
    assert Parsed(html).texts("h3") == [HOSTILE]
