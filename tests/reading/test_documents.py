"""Tests for reading.documents: the seed read fully, export tolerances, refusals, fuzzing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.errors import DocumentError
from tracker.reading.documents import (
    KNOWN_SECTIONS,
    MAX_BYTES,
    Document,
    Entry,
    parse_document,
    read_document,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "documents"
SEED = FIXTURES / "22868.txt"
SEED_TEXT = SEED.read_text(encoding="utf-8")

HEADER = "Search all medical codes\nLong Title\nCPT4 code\nName of the Procedure:\nShort Name\n"


def parse(body: str, header: str = HEADER, path: str = "t.txt") -> Document:
    return parse_document(header + body, path=path)


def entries(doc: Document, key: str) -> list[tuple[int, str, bool]]:
    section = doc.section(key)
    assert section is not None, f"no section {key!r}"
    return [(e.line, e.text, e.bullet) for e in section.entries]


# --- the seed, read fully -------------------------------------------------------------


def test_seed_header() -> None:
    doc = read_document(SEED)
    assert doc.path == str(SEED)
    assert doc.site == "Search all medical codes"
    assert doc.long_title.startswith("Insertion of interlaminar/interspinous process")
    assert doc.long_title.endswith("(List separately in addition to code for primary procedure)")
    assert doc.code_system == "CPT4"
    assert doc.code == "22868"
    assert doc.short_name == (
        "Insertion of Interlaminar/Interspinous Process Stabilization/Distraction Device, "
        "without Open Decompression or Fusion, including Image Guidance when Performed, "
        "Lumbar; Second Level"
    )
    assert doc.warnings == ()
    assert doc.text == SEED_TEXT + "\n"  # the seed has no final newline; text always ends in one


def test_seed_sections_in_order_with_lines() -> None:
    doc = read_document(SEED)
    assert [s.name for s in doc.sections] == list(KNOWN_SECTIONS)
    assert [s.key for s in doc.sections] == [n.lower() for n in KNOWN_SECTIONS]
    assert all(s.known for s in doc.sections)
    assert [s.line for s in doc.sections] == [6, 8, 11, 16, 20, 27, 29, 31, 36, 39, 43, 48, 52]
    counts = [len(s.entries) for s in doc.sections]
    assert counts == [1, 2, 4, 3, 6, 1, 1, 4, 2, 3, 4, 3, 3]
    # Every entry's line number points at its own text in the file.
    lines = SEED_TEXT.split("\n")
    for section in doc.sections:
        for entry in section.entries:
            assert lines[entry.line - 1].lstrip("- ") == entry.text


def test_seed_entries_labels_and_paragraphs() -> None:
    doc = read_document(SEED)
    assert doc.section("summary") is not None
    summary = doc.sections[0].entries[0]
    assert (summary.line, summary.bullet, summary.label) == (7, False, None)
    assert summary.text.startswith("This procedure involves placing a device")
    assert entries(doc, "duration") == [(28, "Typically takes about 1 to 2 hours.", False)]
    risks = doc.section("risks and complications")
    assert risks is not None and risks.name == "Risks and Complications"
    assert risks.entries[0] == Entry(
        line=37,
        text="Common risks: Pain at the incision site, infection, minor bleeding or bruising.",
        label="Common risks",
        body="Pain at the incision site, infection, minor bleeding or bruising.",
        bullet=True,
    )
    assert risks.entries[1].label == "Rare but serious risks"
    purpose = doc.section("purpose")
    assert purpose is not None
    assert [e.label for e in purpose.entries] == ["Medical Condition", "Goals"]
    labels = [e.label for s in doc.sections if s.key == "patient experience" for e in s.entries]
    assert labels == ["During the procedure", "After the procedure", None]
    prep = doc.section("preparation")
    assert prep is not None
    unlabelled = prep.entries[1]
    assert unlabelled.label is None and unlabelled.body == unlabelled.text
    assert doc.section("Preparation") is None  # keys are lower-case
    assert doc.section("aftercare") is None


def test_code_override_and_stem() -> None:
    assert read_document(SEED, code="99999").code == "99999"
    assert parse_document(SEED_TEXT).code is None  # "<text>" is no code
    assert parse_document(SEED_TEXT, path="docs/0275t.txt").code == "0275T"
    assert parse_document(SEED_TEXT, path="J1234.txt").code == "J1234"
    assert parse_document(SEED_TEXT, path="notes.txt").code is None
    assert parse_document(SEED_TEXT, path="draft22868.txt").code is None
    assert parse_document(SEED_TEXT, path="notes.txt", code="22868").code == "22868"


def test_read_accepts_str_path() -> None:
    assert read_document(str(SEED)) == read_document(SEED)


# --- tolerances ----------------------------------------------------------------------


def test_crlf_and_bom(tmp_path: Path) -> None:
    messy = tmp_path / "22868.txt"
    messy.write_bytes(b"\xef\xbb\xbf" + SEED_TEXT.replace("\n", "\r\n").encode())
    doc, clean = read_document(messy), read_document(SEED)
    assert doc.sections == clean.sections
    assert doc.site == "Search all medical codes"
    assert doc.text == clean.text  # same hash whatever the export's line endings


def test_lone_cr_line_endings() -> None:
    assert (
        parse_document(SEED_TEXT.replace("\n", "\r")).sections == parse_document(SEED_TEXT).sections
    )


@pytest.mark.parametrize(
    "heading", ["Preparation:", "PREPARATION", "preparation", "  Preparation :  ", "PREPARATION:"]
)
def test_heading_variants(heading: str) -> None:
    doc = parse(f"{heading}\n- Fast\n")
    section = doc.section("preparation")
    assert section is not None and section.name == "Preparation" and section.known
    assert doc.warnings == ()


def test_ampersand_heading() -> None:
    doc = parse("Risks & Complications\n- Pain\nRecovery\n- Rest\n")
    assert [s.name for s in doc.sections] == ["Risks and Complications", "Recovery"]


@pytest.mark.parametrize("marker", ["-", "•", "*", "–", "—", "1.", "2)"])
def test_bullet_markers(marker: str) -> None:
    doc = parse(f"Recovery\n{marker} Rest for a day\n{marker} Walk\n")
    assert entries(doc, "recovery") == [(7, "Rest for a day", True), (8, "Walk", True)]


def test_bullet_without_space_after_dot() -> None:
    doc = parse("Recovery\n•Rest\n-5 degrees is cold\n")
    assert entries(doc, "recovery") == [(7, "Rest -5 degrees is cold", True)]


def test_blank_lines_everywhere() -> None:
    header = "\n\nSearch all medical codes\n\nLong Title\n\nCPT4 code\n\nName of the Procedure:\n\n"
    doc = parse("Short Name\n\nPreparation\n\n- Fast\n\n\n- Rest\n\n", header=header)
    assert (doc.site, doc.long_title, doc.short_name) == (
        "Search all medical codes",
        "Long Title",
        "Short Name",
    )
    assert entries(doc, "preparation") == [(15, "Fast", True), (18, "Rest", True)]


def test_site_line_is_optional() -> None:
    doc = parse(
        "Recovery\n- Rest\n", header="Long Title\nCPT4 code\nName of the Procedure:\nShort\n"
    )
    assert (doc.site, doc.long_title) == ("", "Long Title")


def test_wrapped_long_title_is_joined() -> None:
    header = "Site\nLong title that\nwraps here\nCPT4 code\nName of the Procedure:\nShort\n"
    doc = parse("Recovery\n- Rest\n", header=header)
    assert (doc.site, doc.long_title) == ("Site", "Long title that wraps here")


def test_short_name_on_the_header_line() -> None:
    header = "Site\nTitle\nHCPCS code\nName of the Procedure: Knee Brace\n"
    doc = parse("Recovery\n- Rest\n", header=header)
    assert (doc.short_name, doc.code_system) == ("Knee Brace", "HCPCS")
    assert doc.sections[0].line == 5


def test_wrapped_bullet_continues() -> None:
    doc = parse("Recovery\n- Keep the wound\n   clean and\ndry for a week.\n- Walk daily\n")
    assert entries(doc, "recovery") == [
        (7, "Keep the wound clean and dry for a week.", True),
        (10, "Walk daily", True),
    ]


def test_wrapped_labelled_bullet_splits_after_join() -> None:
    doc = parse("Recovery\n- Common\nrisks: Pain at the site\n")
    entry = doc.sections[0].entries[0]
    assert (entry.label, entry.body) == ("Common risks", "Pain at the site")


def test_paragraphs_join_and_blank_line_ends_them() -> None:
    doc = parse("Recovery\nRest for a\nday.\n\nThen walk.\n- Drink water\n\nafter bullets\n")
    assert entries(doc, "recovery") == [
        (7, "Rest for a day.", False),
        (10, "Then walk.", False),
        (11, "Drink water", True),
        (13, "after bullets", False),
    ]


def test_whitespace_is_normalised() -> None:
    doc = parse("Recovery\n-   Rest\tfor\u00a0a   day  \n")
    assert entries(doc, "recovery") == [(7, "Rest for a day", True)]


def test_unknown_section_with_colon_is_kept_with_warning() -> None:
    doc = parse("Recovery\n- Rest\nAftercare:\n- Call the clinic\n", path="22868.txt")
    aftercare = doc.section("aftercare")
    assert aftercare is not None
    assert (aftercare.name, aftercare.line, aftercare.known) == ("Aftercare", 8, False)
    assert entries(doc, "aftercare") == [(9, "Call the clinic", True)]
    assert doc.warnings == ("22868.txt:8: unknown section 'Aftercare' kept",)


def test_unknown_heading_without_colon_needs_a_clear_position() -> None:
    # After a finished sentence and before a bullet: a heading.
    doc = parse("Recovery\n- Rest.\nFollow-Up Care\n- Call the clinic\n")
    assert [s.name for s in doc.sections] == ["Recovery", "Follow-Up Care"]
    # After a blank line: a heading.
    doc = parse("Recovery\n- Rest\n\nHome Care\n- Call\n")
    assert [s.name for s in doc.sections] == ["Recovery", "Home Care"]


@pytest.mark.parametrize(
    "body",
    [
        "Recovery\n- Keep the site\nClean and Dry\n- Walk\n",  # tail of a wrapped bullet
        "Recovery\nPatients Should Rest.\n- Walk\n",  # ends like a sentence
        "Recovery\n\nthe doctor will check\n- Walk\n",  # not Title Case
        "Recovery\n\nRest and Avoid Heavy Lifting for a Week\n- Walk\n",  # too long
        "Recovery\n\nNote\nmore text\n",  # no bullet follows, no colon
        "Recovery\nThe following applies: rest and walk.\n",  # a sentence with a colon
        "Recovery\n\nPain Relief: Take Paracetamol\n",  # label with text, not a heading
    ],
)
def test_ordinary_text_is_not_a_heading(body: str) -> None:
    doc = parse(body)
    assert [s.name for s in doc.sections] == ["Recovery"]
    assert doc.warnings == ()


def test_label_needs_a_short_phrase() -> None:
    doc = parse(
        "Recovery\n- The procedure includes the following steps: rest, walk\n- Time 10:30 ok\n"
    )
    assert [e.label for e in doc.sections[0].entries] == [None, None]


def test_duplicate_empty_and_stray_warnings() -> None:
    doc = parse("Stray text\nSummary\nRecovery\n- Rest\nRECOVERY\n- Walk\n", path="x.txt")
    assert [s.key for s in doc.sections] == ["summary", "recovery", "recovery"]
    assert doc.section("recovery") is doc.sections[1]
    assert doc.warnings == (
        "x.txt:6: text before the first section ignored",
        "x.txt:7: section 'Summary' is empty",
        "x.txt:10: duplicate section 'Recovery'",
    )


def test_extra_header_line_warns() -> None:
    header = "Site\nTitle\nCPT4 code\nextra\nName of the Procedure:\nShort\n"
    assert parse("Recovery\n- Rest\n", header=header, path="h.txt").warnings == (
        "h.txt:4: unexpected header line ignored",
    )


def test_either_preparation_or_recovery_is_enough() -> None:
    assert parse("Preparation\n- Fast\n").section("recovery") is None
    assert parse("Recovery\n- Rest\n").section("preparation") is None


# --- refusals ------------------------------------------------------------------------


def refusal(tmp_path: Path, data: bytes, name: str = "doc.txt") -> str:
    target = tmp_path / name
    target.write_bytes(data)
    with pytest.raises(DocumentError) as caught:
        read_document(target)
    return str(caught.value).removeprefix(f"{target}:")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "0: empty file"),
        (b"  \n\r\n\t \n", "0: empty file"),
        (b"\xef\xbb\xbf\n", "0: empty file"),
        (SEED_TEXT.encode()[:40] + b"\x00rest", "0: binary file (contains NUL bytes)"),
        (b"line one\nline two\nbad \xff byte\n", "3: not UTF-8 text"),
        (b"\xc3\n", "1: not UTF-8 text"),
        (
            SEED_TEXT.replace("Recovery", "Aftercare:").replace("Preparation", "Setting").encode(),
            "0: no Preparation or Recovery section",
        ),
        (
            SEED_TEXT.replace("Name of the Procedure:", "Procedure").encode(),
            "0: missing 'Name of the Procedure:' header",
        ),
        (
            b"Site\nTitle\nCPT4 code\nName of the Procedure:\nRecovery\n- Rest\n",
            "4: missing short name after 'Name of the Procedure:'",
        ),
        (
            b"Site\nTitle\nCPT4 code\nName of the Procedure:\n\n",
            "4: missing short name after 'Name of the Procedure:'",
        ),
        (
            b"Site\nTitle\nName of the Procedure:\nShort\nRecovery\n- Rest\n",
            "3: missing code-system line (like 'CPT4 code') before 'Name of the Procedure:'",
        ),
        (
            b"\nCPT4 code\nName of the Procedure:\nShort\nRecovery\n- Rest\n",
            "2: missing long title before code-system line",
        ),
    ],
)
def test_refusals(tmp_path: Path, data: bytes, expected: str) -> None:
    assert refusal(tmp_path, data) == expected


def test_nul_in_text_is_refused() -> None:
    with pytest.raises(DocumentError, match=r"^<text>:0: binary file \(contains NUL bytes\)$"):
        parse_document(SEED_TEXT + "\x00")


def test_too_large_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: the size says too big, the content is NULs

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr("tracker.reading.documents.open", no_open, raising=False)
    with pytest.raises(DocumentError) as caught:
        read_document(big)
    assert str(caught.value) == f"{big}:0: file is larger than {MAX_BYTES} bytes"


def test_exactly_max_bytes_is_accepted(tmp_path: Path) -> None:
    padded = tmp_path / "22868.txt"
    padded.write_bytes(SEED_TEXT.encode().ljust(MAX_BYTES, b" "))
    assert read_document(padded).code == "22868"


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    with pytest.raises(DocumentError) as caught:
        read_document(missing)
    assert str(caught.value) == f"{missing}:0: no such file"
    assert (caught.value.path, caught.value.line, caught.value.message) == (
        str(missing),
        0,
        "no such file",
    )


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(DocumentError) as caught:
        read_document(tmp_path)
    assert str(caught.value) == f"{tmp_path}:0: is a directory, not a document file"


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(DocumentError) as caught:
        read_document(fifo)
    assert str(caught.value) == f"{fifo}:0: not a regular file"


def test_not_utf8_line_counts_cr_endings(tmp_path: Path) -> None:
    assert refusal(tmp_path, b"one\rtwo\r\nthree \xff\n") == "3: not UTF-8 text"


def test_name_header_must_be_the_whole_phrase(tmp_path: Path) -> None:
    data = SEED_TEXT.replace("Name of the Procedure:", "Name of the procedures list").encode()
    assert refusal(tmp_path, data) == "0: missing 'Name of the Procedure:' header"


def test_bad_path_string() -> None:
    with pytest.raises(DocumentError, match=r"^bad\x00name:0: cannot read file"):
        read_document("bad\x00name")


def test_error_is_one_line() -> None:
    error = DocumentError("a\nb.txt", 3, "two\nlines")
    assert "\n" not in str(error)
    assert (error.path, error.line, error.message) == ("a\nb.txt", 3, "two\nlines")


# --- fuzzing: only DocumentError may come out ----------------------------------------

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
LINES = st.sampled_from(
    [
        "",
        "Search all medical codes",
        "CPT4 code",
        "Name of the Procedure:",
        "Name of the Procedure: X",
        "Short name",
        *KNOWN_SECTIONS,
        "RECOVERY:",
        "Aftercare:",
        "Home Care",
        "- ",
        "-",
        "• Rest: well",
        "* Walk.",
        "– a",
        "1. step",
        "plain text",
        "Label: body",
        ":",
        "\r",
        "\ufeff",
    ]
)
HEADERS = st.sampled_from(
    [
        HEADER,
        "Title\nCPT4 code\nName of the Procedure: X\n",
        "CPT4 code\nName of the Procedure:\n",
        "",
    ]
)
BODIES = st.lists(st.one_of(LINES, LINES, st.text(max_size=20)), max_size=40).map("\n".join)
STRUCTURED = st.builds(str.__add__, HEADERS, BODIES)  # mostly well-formed, to reach deep paths


def only_document_errors(call: object) -> None:
    assert callable(call)
    try:
        doc = call()
    except DocumentError as error:
        assert "\n" not in str(error)
    else:
        assert isinstance(doc, Document)
        assert any(s.key in ("preparation", "recovery") for s in doc.sections)


@FUZZ
@given(st.text())
def test_fuzz_text(text: str) -> None:
    only_document_errors(lambda: parse_document(text))


@FUZZ
@given(STRUCTURED)
def test_fuzz_structured_text(text: str) -> None:
    only_document_errors(lambda: parse_document(text, path="0275T.txt"))


@FUZZ
@given(st.one_of(st.binary(), STRUCTURED.map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_fuzz_bytes_file(tmp_path: Path, data: bytes) -> None:
    target = tmp_path / "22868.txt"
    target.write_bytes(data)
    only_document_errors(lambda: read_document(target))


@FUZZ
@given(st.text())
def test_fuzz_text_file(tmp_path: Path, text: str) -> None:
    target = tmp_path / "doc.txt"
    target.write_bytes(text.encode("utf-8", "surrogatepass"))
    only_document_errors(lambda: read_document(target))
