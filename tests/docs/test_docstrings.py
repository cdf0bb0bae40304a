"""Docstrings cannot drift either: dotted names resolve, and runnable examples run.

Many docstrings show the shape of a call on the reader's own data (``check_file("train.npz")``);
those are sketches, not examples. The modules in ``RUNNABLE`` hold complete ``>>>`` examples,
which run here as doctests; a module whose examples become complete joins the list.
"""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "pytest_npzcontract"
RUNNABLE = [
    "pytest_npzcontract.base.limits",
    "pytest_npzcontract.contract.config",
    "pytest_npzcontract.contract.keys",
    "pytest_npzcontract.io.archive",
    "pytest_npzcontract.metadata.jsontext",
    "pytest_npzcontract.metadata.schema",
    "pytest_npzcontract.physics.simulate",
]
DOTTED = re.compile(r"pytest_npzcontract(?:\.[A-Za-z_][A-Za-z0-9_]*)+(?!\w|\.\.\.)")
TEXT_BLOCK = re.compile(r"^```text\n.*?^```", re.S | re.M)


def _resolves(name: str) -> bool:
    parts = name.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for attr in parts[k:]:
            obj = getattr(obj, attr, None)
            if obj is None:
                return False
        return True
    return False


def _sources() -> list[Path]:
    return [*sorted(PACKAGE.rglob("*.py")), REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def test_every_dotted_name_in_the_package_and_docs_resolves():
    """``pytest_npzcontract.x.y`` in docstrings, comments and docs names a real module or object
    (```text blocks, which are recorded output, are left out)."""
    unresolved = set()
    for path in _sources():
        text = TEXT_BLOCK.sub("", path.read_text(encoding="utf-8"))
        for match in DOTTED.finditer(text):
            name = match.group(0).rstrip(".")
            if not _resolves(name):
                unresolved.add(f"{path.relative_to(REPO)}: {name}")
    assert not unresolved, "\n".join(sorted(unresolved))


@pytest.mark.parametrize("module", RUNNABLE)
def test_runnable_docstring_examples(module, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{module} has no examples any more; take it off RUNNABLE"
    assert result.failed == 0
