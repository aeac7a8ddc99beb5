"""The checklist page's repeated fragments as HTML: item entries, coming-up days, messages.

Why not Jinja here: these are the page's loops, and the page is what patients open most.
Under Jinja's autoescape every `{{ }}` costs an attribute lookup plus `markupsafe.escape`
(about 0.4 µs each), and an entry has some twenty of them: the three loops took 110 of the
page's 200 µs of rendering (bench/bench_patient.py has the whole page). Built here, each text
is escaped once with `html.escape` (the same five characters as markupsafe) and ids are
ints, which need none. The page around them stays a Jinja template (patient/checklist.html),
and the in-place answer after a tick (`views.patient`) uses the same `entries_html`, so an
entry's markup is written once.

Every value that is not an int or one of this module's own constants goes through `_text`;
tests/test_checklist_html.py feeds markup through every field.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from html import escape
from typing import NamedTuple

from markupsafe import Markup

from tracker.patient.reader import Day, Entry, Message
from tracker.patient.text import Words


def _text(value: str) -> str:
    return escape(value, quote=True)


class _Fixed(NamedTuple):
    """A language's fixed pieces, escaped once."""

    critical: str  # the badge
    why: str  # the "why" paragraph up to the quoted sentence
    done: str  # button labels...
    undo: str
    not_done: str
    note_label: str
    note_send: str


@lru_cache(maxsize=16)  # a few languages; asked for on every page
def _fixed(w: Words) -> _Fixed:
    return _Fixed(
        critical=f'<span class="badge critical">{_text(w["critical"])}</span>',
        why=f'<p class="why"><span class="why-label">{_text(w["why"])}:</span> “',
        done=_text(w["button_done"]),
        undo=_text(w["button_undo"]),
        not_done=_text(w["button_not_done"]),
        note_label=_text(w["note_label"]),
        note_send=_text(w["note_send"]),
    )


def entries_html(
    entries: Iterable[Entry], w: Words, items: str, csrf: str, compact: bool = False
) -> Markup:
    """`<li>` entries with their forms: `items` is the forms' address prefix (the item id is
    appended), `csrf` the form token; `compact` (the done list) leaves out the explanation
    and "I couldn't do this"."""
    items, csrf = _text(items), _text(csrf)
    fixed = _fixed(w)
    done_class = "big secondary" if compact else "big"
    out: list[str] = []
    add = out.append
    for e in entries:
        i = e.item_id
        classes = f"entry status-{_text(e.status)}"
        if e.critical:
            classes += " critical"
        if compact:
            classes += " compact"
        add(
            f'<li class="{classes}" id="item-{i}">\n'
            f'  <h3 class="entry-text" id="text-{i}">{_text(e.text)}</h3>\n'
            '  <p class="entry-when">'
        )
        if e.critical:
            add(fixed.critical)
        if e.status == "done":
            add('<span class="tick-mark" aria-hidden="true">✓</span>')
        add(f"<strong>{_text(e.when)}</strong>")
        if e.left:
            add(f'<span class="left">{_text(e.left)}</span>')
        if e.today:
            add(f'<span class="today">{_text(e.today)}</span>')
        add("</p>")
        if e.note:
            add(f'<p class="note">{_text(w.get("your_note", note=e.note))}</p>')
        if not compact:
            if e.why:
                add(f"{fixed.why}{_text(e.why)}”</p>")
            add(f'\n  <p class="from-section">{_text(e.origin)}</p>')
        if e.actions:
            # One form: the pressed button says what to do (the note goes with "not_done").
            add(
                f'\n  <form method="post" action="{items}{i}" class="act entry-actions">\n'
                f'    <input type="hidden" name="csrf_token" value="{csrf}">'
            )
            for action in e.actions:
                if action == "done":
                    add(_button("done", done_class, i, fixed.done))
                elif action == "undo":
                    add(_button("undo", "big secondary", i, fixed.undo))
                elif not compact:
                    add(_not_done(i, fixed))
            add("\n  </form>")
        add("\n</li>\n")
    return Markup("".join(out))


def _button(action: str, classes: str, item_id: int, label: str) -> str:
    """A submit button described by its item's text; `label` already escaped."""
    return (
        f'\n    <button type="submit" name="action" value="{action}" class="{classes}"'
        f' aria-describedby="text-{item_id}">{label}</button>'
    )


def _not_done(item_id: int, fixed: _Fixed) -> str:
    """ "I couldn't do this": opens to an optional note and its own submit button."""
    return (
        '\n    <details class="not-done">\n'
        f"      <summary>{fixed.not_done}</summary>\n"
        f'      <label for="note-{item_id}">{fixed.note_label}</label>\n'
        f'      <textarea id="note-{item_id}" name="note" rows="2" maxlength="500"></textarea>'
        + _button("not_done", "big secondary", item_id, fixed.note_send)
        + "\n    </details>"
    )


def coming_html(days: Iterable[Day], w: Words) -> Markup:
    """Coming-up days: a heading per day and a line per step (its times that day)."""
    critical = " " + _fixed(w).critical
    out: list[str] = []
    add = out.append
    for day in days:
        add(f'<h3 class="day">{_text(day.label)}</h3>\n<ul class="coming">\n')
        for line in day.lines:
            add(
                f'<li id="item-{line.item_id}"><span class="times">{_text(line.times)}</span> '
                f'<span class="coming-text">{_text(line.text)}</span>'
                f"{critical if line.critical else ''}</li>\n"
            )
        add("</ul>\n")
    return Markup("".join(out))


def inbox_html(messages: Iterable[Message]) -> Markup:
    """The inbox's lines: when a reminder was sent, and a link to its item."""
    return Markup(
        "".join(
            f'<li><span class="muted">{_text(m.when)}</span><br>'
            f'<a href="#item-{m.item_id}">{_text(m.text)}</a></li>\n'
            for m in messages
        )
    )
