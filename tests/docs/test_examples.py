"""Every example in README.md and docs/*.md runs, and prints what the document shows.

One test per fenced block (id ``docs/cli.md:42``, the line of its opening fence); the rules are
in docs/README.md and the runner in ``mdrun.py``. A document's blocks share one temporary
directory, shell and Python namespace, in document order: a block whose predecessors have not
run in this process (xdist, ``-k``) runs them first, without judging them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from _tf import in_ci
from mdrun import Block, DocSession, parse

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
#: The README's first two ```bash blocks are the install commands CI itself runs
#: (test_docs.py); every other block is an example.
INSTALL = {(b.doc, b.line) for b in parse(REPO / "README.md", REPO) if b.lang == "bash"}
INSTALL = set(sorted(INSTALL, key=lambda key: key[1])[:2])
BLOCKS = {doc.relative_to(REPO).as_posix(): parse(doc, REPO) for doc in DOCS}
EXAMPLES = [block for blocks in BLOCKS.values() for block in blocks
            if block.lang != "text" and (block.doc, block.line) not in INSTALL]

_sessions: dict[str, DocSession] = {}


@pytest.fixture(scope="session")
def sessions():
    yield _sessions
    for session in _sessions.values():
        session.close()
    _sessions.clear()


def _session_at(block: Block, sessions: dict[str, DocSession]) -> DocSession:
    """The document's session with every block before ``block`` run."""
    blocks = BLOCKS[block.doc]
    index = blocks.index(block)
    session = sessions.get(block.doc)
    if session is None or session.done > index:
        if session is not None:
            session.close()
        session = sessions[block.doc] = DocSession(block.doc, REPO)
    for earlier in blocks[session.done:index]:
        if (earlier.doc, earlier.line) not in INSTALL and "slow" not in earlier.tags:
            session.run(earlier)   # judged by its own test; slow blocks make nothing needed later
    session.done = index
    return session


def _param(block: Block):
    marks = [pytest.mark.slow] if "slow" in block.tags else []
    return pytest.param(block, id=block.id, marks=marks)


@pytest.mark.parametrize("block", [_param(block) for block in EXAMPLES])
def test_example(block: Block, sessions):
    if "tensorflow" in block.tags and importlib.util.find_spec("tensorflow") is None:
        if in_ci():
            pytest.fail(f"{block.id} needs TensorFlow; CI must run it", pytrace=False)
        pytest.skip(f"{block.id} needs TensorFlow (pip install '.[tf]')")
    session = _session_at(block, sessions)
    problem = session.run(block)
    session.done += 1
    if problem:
        pytest.fail(problem, pytrace=False)


def test_every_document_has_examples_and_they_are_found():
    assert len(EXAMPLES) > 40
    assert {block.doc for block in EXAMPLES} >= {"README.md", "docs/cli.md", "docs/metadata.md"}
