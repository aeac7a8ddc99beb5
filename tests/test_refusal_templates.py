"""Every refusal raised in the source is a msgid pybabel can extract (issue 15): the template
argument of InvalidInput, AccountError, InvalidStep, ReviewError and VersionFrozen is a string
literal (or a name bound to an N_-marked one), never an f-string, a concatenation or a .format,
and its %(name)s placeholders are exactly the values passed with it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.test_catalogs import REFUSALS, _source_messages

SOURCE = Path(__file__).resolve().parent.parent / "tracker"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# A template's position among the call's arguments (pybabel's keyword index, from 1).
POSITION = {name: indices[0] - 1 for name, indices in REFUSALS.items()}
# Names that hold a template chosen from an N_-marked table (extracted where it is marked).
MARKED = {"NO_OVERWRITE", "refusal"}


def _refusals() -> list[tuple[str, ast.Call]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name in POSITION:
                found.append((f"{path.relative_to(SOURCE.parent)}:{node.lineno}", node))
    return found


def _template(call: ast.Call) -> ast.expr:
    name = call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", "")
    return call.args[POSITION[name]]


def test_every_refusal_template_is_a_literal_msgid() -> None:
    refusals = _refusals()
    assert len(refusals) > 80, "the walk finds the raises"
    problems = []
    for where, call in refusals:
        template = _template(call)
        if isinstance(template, ast.Name) and template.id in MARKED:
            continue
        if not (isinstance(template, ast.Constant) and isinstance(template.value, str)):
            problems.append(f"{where}: {ast.unparse(template)}")
    assert not problems, "write a %(name)s template, values as keywords:\n" + "\n".join(problems)


def test_every_refusal_passes_the_values_its_template_names() -> None:
    problems = []
    for where, call in _refusals():
        template = _template(call)
        if isinstance(template, ast.Constant) and isinstance(template.value, str):
            named = set(PLACEHOLDER.findall(template.value))
            given = {keyword.arg for keyword in call.keywords if keyword.arg}
            if named != given:
                problems.append(f"{where}: {sorted(named)} != {sorted(given)}")
    assert not problems, "\n".join(problems)


def test_the_extraction_finds_every_literal_refusal() -> None:
    templates = {
        template.value
        for _, call in _refusals()
        if isinstance(template := _template(call), ast.Constant) and isinstance(template.value, str)
    }
    assert templates <= _source_messages(), sorted(templates - _source_messages())
