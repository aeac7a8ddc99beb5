"""Read a procedure document (plain-text export) into a typed `Document`.

Structure only. What cannot be read raises `DocumentError`; what can be read around
(unknown, duplicate or empty sections, stray text) becomes `Document.warnings`.

Header, top to bottom, blank lines ignored: the site line; the long title (wrapped
lines are joined); the code-system line ("CPT4 code"); `Name of the Procedure:` with
the short name after the colon or on the next line. The site line is optional: when
only one line precedes the code-system line, it is the long title and the site is "".
Then sections: a heading line, then bullets and/or paragraphs.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import PurePath

from tracker.errors import DocumentError

KNOWN_SECTIONS: tuple[str, ...] = (
    "Summary",
    "Purpose",
    "Indications",
    "Preparation",
    "Procedure Description",
    "Duration",
    "Setting",
    "Personnel",
    "Risks and Complications",
    "Benefits",
    "Recovery",
    "Alternatives",
    "Patient Experience",
)
MAX_BYTES = 1_000_000

_REQUIRED_ANY = ("preparation", "recovery")  # a pathway needs a before or an after
_CANONICAL = {name.lower(): name for name in KNOWN_SECTIONS}
_CODE_SYSTEM = re.compile(r"([A-Za-z0-9][\w.-]*)\s+code:?", re.IGNORECASE)
_NAME_HEADER = re.compile(r"name of (?:the )?procedure(?:\s*:\s*(?P<rest>.*))?", re.IGNORECASE)
_BULLET = re.compile(r"(?:[•●▪]|[-*–—](?=\s|$)|\d{1,2}[.)](?=\s))\s*(?P<text>.*)")
_LABEL = re.compile(r"(?P<label>[A-Za-z][^:.;,]{0,49}?)\s*:\s+(?P<body>\S.*)")
_MAX_LABEL_WORDS = 5
# Unknown headings: a short Title-Case phrase; small joining words may stay lower-case.
_SMALL_WORDS = "a|an|and|as|at|by|for|in|of|on|or|the|to|with|&"
_TITLE_PHRASE = re.compile(rf"[A-Z][A-Za-z'/-]*(?: (?:[A-Z][A-Za-z'/-]*|{_SMALL_WORDS}))*")
_MAX_HEADING_WORDS = 5
_MAX_HEADING_CHARS = 40
_SENTENCE_END = (".", "!", "?", ")")
# File stems that look like codes: CPT (22868, 0275T, 1234F) or HCPCS (J1234).
_CODE_STEM = re.compile(r"\d{4}[0-9A-Z]|[A-Z]\d{4}", re.IGNORECASE)


@dataclass(frozen=True)
class Entry:
    """One bullet, or one paragraph; wrapped lines are joined with a space."""

    line: int  # 1-based line where it starts
    text: str  # without the bullet marker, whitespace collapsed
    label: str | None  # "Common risks" for "- Common risks: Pain at ...", else None
    body: str  # text after the label (== text when no label)
    bullet: bool  # False for a paragraph


@dataclass(frozen=True)
class Section:
    """A heading and the entries under it, in file order."""

    name: str  # canonical ("Risks and Complications"), or as written when unknown
    key: str  # name.lower(), for Document.section()
    line: int  # line of the heading
    entries: tuple[Entry, ...]
    known: bool  # one of KNOWN_SECTIONS


@dataclass(frozen=True)
class Document:
    """A parsed procedure document; `text` is the normalised source, for hashing."""

    path: str
    site: str
    long_title: str
    code_system: str
    code: str | None  # the `code` argument, else the file stem when it looks like a code
    short_name: str
    sections: tuple[Section, ...]
    warnings: tuple[str, ...]  # "PATH:LINE: problem", in line order
    text: str  # no BOM, LF endings, no trailing spaces or blank lines, one final newline

    def section(self, key: str) -> Section | None:
        """The first section with this lower-case key, if any."""
        return next((s for s in self.sections if s.key == key), None)


def read_document(path: str | os.PathLike[str], *, code: str | None = None) -> Document:
    """Read and parse a document file, refusing oversized, binary and non-UTF-8 files."""
    name = os.fspath(path)
    try:
        info = os.stat(name)
        if stat.S_ISDIR(info.st_mode):
            raise DocumentError(name, 0, "is a directory, not a document file")
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device could block or never end
            raise DocumentError(name, 0, "not a regular file")
        if info.st_size > MAX_BYTES:  # before reading, so a huge file costs nothing
            raise DocumentError(name, 0, f"file is larger than {MAX_BYTES} bytes")
        with open(name, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)  # the size may have lied (pipes, growth)
    except FileNotFoundError:
        raise DocumentError(name, 0, "no such file") from None
    except (OSError, ValueError) as exc:  # ValueError: NUL or unencodable path
        raise DocumentError(name, 0, f"cannot read file ({exc})") from None
    if len(data) > MAX_BYTES:
        raise DocumentError(name, 0, f"file is larger than {MAX_BYTES} bytes")
    if b"\x00" in data:
        raise DocumentError(name, 0, "binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:  # count lines as parse_document does: CRLF, CR or LF
        before = data[: exc.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        raise DocumentError(name, before.count(b"\n") + 1, "not UTF-8 text") from None
    return parse_document(text, path=name, code=code)


def parse_document(text: str, *, path: str = "<text>", code: str | None = None) -> Document:
    """Parse document text; tolerates a BOM, CRLF, bullet styles and heading variants."""
    # Split on CRLF, CR or LF only (not str.splitlines), so line numbers match editors'.
    unified = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in unified.split("\n")]
    if "\x00" in text:
        raise DocumentError(path, 0, "binary file (contains NUL bytes)")
    if not any(lines):
        raise DocumentError(path, 0, "empty file")
    while lines and not lines[-1]:
        lines.pop()
    clean = [" ".join(line.split()) for line in lines]
    warnings: list[tuple[int, str]] = []
    site, long_title, code_system, short_name, body_start = _header(clean, path, warnings)
    sections = _sections(clean, body_start, warnings)
    if not any(s.key in _REQUIRED_ANY for s in sections):
        raise DocumentError(path, 0, "no Preparation or Recovery section")
    if code is None:
        stem = PurePath(path).stem
        code = stem.upper() if _CODE_STEM.fullmatch(stem) else None
    return Document(
        path=path,
        site=site,
        long_title=long_title,
        code_system=code_system,
        code=code,
        short_name=short_name,
        sections=tuple(sections),
        warnings=tuple(f"{path}:{line}: {message}" for line, message in sorted(warnings)),
        text="\n".join(lines) + "\n",
    )


def _header(
    lines: list[str], path: str, warnings: list[tuple[int, str]]
) -> tuple[str, str, str, str, int]:
    """Site, long title, code system, short name, and the index where sections start."""
    found = next(((i, m) for i, s in enumerate(lines) if (m := _NAME_HEADER.fullmatch(s))), None)
    if found is None:
        raise DocumentError(path, 0, "missing 'Name of the Procedure:' header")
    name_at, match = found
    before = [(i, s) for i, s in enumerate(lines[:name_at]) if s]
    codes = [k for k, (_, s) in enumerate(before) if _CODE_SYSTEM.fullmatch(s)]
    system_at = codes[-1] if codes else -1
    if system_at < 0:
        msg = "missing code-system line (like 'CPT4 code') before 'Name of the Procedure:'"
        raise DocumentError(path, name_at + 1, msg)
    system_line, system_text = before[system_at]
    titles = [s for _, s in before[:system_at]]
    if not titles:
        raise DocumentError(path, system_line + 1, "missing long title before code-system line")
    for i, _ in before[system_at + 1 :]:
        warnings.append((i + 1, "unexpected header line ignored"))
    site = titles.pop(0) if len(titles) > 1 else ""
    code_system = system_text.split()[0]
    short_name, body_start = match["rest"] or "", name_at + 1
    if not short_name:
        nxt = next((i for i in range(name_at + 1, len(lines)) if lines[i]), None)
        if nxt is not None and _known_key(lines[nxt]) is None and not _BULLET.fullmatch(lines[nxt]):
            short_name, body_start = lines[nxt], nxt + 1
    if not short_name:
        raise DocumentError(path, name_at + 1, "missing short name after 'Name of the Procedure:'")
    return site, " ".join(titles), code_system, short_name, body_start


def _known_key(line: str) -> str | None:
    """The canonical key when the line is a known heading, ignoring case and a colon."""
    key = " ".join(line.rstrip(":").split()).lower().replace(" & ", " and ")
    return key if key in _CANONICAL else None


def _unknown_heading(lines: list[str], i: int, prev: str) -> str | None:
    """The heading name when line i looks like a heading we do not know.

    A short Title-Case phrase counts when it ends with ":", or when it cannot be
    the tail of a wrapped sentence (the previous line is blank, a heading or ends
    a sentence) and a bullet follows it. Ordinary sentences never qualify.
    """
    name = lines[i].rstrip(":").rstrip()
    if len(name) > _MAX_HEADING_CHARS or len(name.split()) > _MAX_HEADING_WORDS:
        return None  # checked first: it also keeps the regex off long lines
    if not _TITLE_PHRASE.fullmatch(name):
        return None
    if lines[i].endswith(":"):
        return name
    if prev and not prev.endswith(_SENTENCE_END):
        return None
    nxt = next((lines[j] for j in range(i + 1, len(lines)) if lines[j]), "")
    return name if _BULLET.fullmatch(nxt) else None


def _entry(line: int, parts: list[str], bullet: bool) -> Entry:
    text = " ".join(parts)
    match = _LABEL.fullmatch(text)
    if match and len(match["label"].split()) <= _MAX_LABEL_WORDS:
        return Entry(line, text, match["label"], match["body"], bullet)
    return Entry(line, text, None, text, bullet)


def _blocks(lines: list[str], start: int) -> Iterator[Section | Entry]:
    """Headings (as empty sections) and entries, in file order."""
    parts: list[str] = []
    first, bullet, prev = 0, False, ""  # prev: the last line, "" after a blank or heading
    for i in range(start, len(lines)):
        line = lines[i]
        key = _known_key(line)
        name = _CANONICAL[key] if key else _unknown_heading(lines, i, prev)
        marker = None if name else _BULLET.fullmatch(line)
        if parts and (not line or name or marker):  # each of these ends the open entry
            yield _entry(first, parts, bullet)
            parts = []
        if name is not None:
            yield Section(name, name.lower(), i + 1, (), known=key is not None)
        elif marker and marker["text"]:  # an empty bullet marker carries nothing
            parts, first, bullet = [marker["text"]], i + 1, True
        elif line and not marker:
            if not parts:
                first, bullet = i + 1, False
            parts.append(line)
        prev = line if name is None else ""
    if parts:
        yield _entry(first, parts, bullet)


def _sections(lines: list[str], start: int, warnings: list[tuple[int, str]]) -> list[Section]:
    """Group entries under their headings, noting what a reviewer should look at."""
    sections: list[Section] = []
    entries: list[list[Entry]] = []  # parallel to sections, filled as we go
    seen: set[str] = set()
    stray = False
    for block in _blocks(lines, start):
        if isinstance(block, Section):
            if block.key in seen:
                warnings.append((block.line, f"duplicate section {block.name!r}"))
            if not block.known:
                warnings.append((block.line, f"unknown section {block.name!r} kept"))
            seen.add(block.key)
            sections.append(block)
            entries.append([])
        elif entries:
            entries[-1].append(block)
        elif not stray:
            stray = True
            warnings.append((block.line, "text before the first section ignored"))
    for section, found in zip(sections, entries, strict=True):
        if not found:
            warnings.append((section.line, f"section {section.name!r} is empty"))
    return [replace(s, entries=tuple(found)) for s, found in zip(sections, entries, strict=True)]
