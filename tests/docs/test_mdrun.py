"""The docs runner itself: a drifted example must fail, and say where and how."""

from __future__ import annotations

from pathlib import Path

import pytest
from mdrun import DocSession, matches, parse

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("expected, actual, ok", [
    (["a", "b"], ["a", "b"], True),
    (["a", "b"], ["a", "c"], False),
    (["a", "...", "z"], ["a", "b", "c", "z"], True),
    (["a", "...", "z"], ["a", "z"], True),
    (["a", "...", "z"], ["a", "b"], False),
    (["took ...s"], ["took 0.31s"], True),
    (["took ...s"], ["took 0.31s", "more"], False),
    (["x [exit] (y)"], ["x [exit] (y)"], True),     # brackets and parentheses are literal
    (["x.y"], ["xzy"], False),
    (["hook" + "." * 60 + "Failed"], ["hook" + "." * 60 + "Failed"], True),   # not wildcards
    (["hook" + "." * 60 + "Failed"], ["hook" + "." * 59 + "Failed"], False),
])
def test_matching(expected, actual, ok):
    assert matches(expected, actual) is ok


def run_doc(tmp_path: Path, text: str) -> list[str | None]:
    doc = tmp_path / "doc.md"
    doc.write_text(text)
    with DocSession("doc.md", REPO) as session:
        return [session.run(block) for block in parse(doc, tmp_path)]


def test_a_transcript_that_matches_passes_and_state_carries_over(tmp_path):
    results = run_doc(tmp_path, """
```console
$ mkdir sub && cd sub && export GREETING=hi
$ echo "$GREETING from $(basename "$PWD")"; false
hi from sub
[exit 1]
$ echo $?
1
$ cat <<EOF
one
EOF
one
```

```python
value = 41
```

```python
>>> value + 1
42
```
""")
    assert results == [None, None, None]


def test_drift_fails_with_the_document_line_and_a_diff(tmp_path):
    (problem,) = run_doc(tmp_path, "\n```console\n$ printf 'a\\nb\\n'\na\nc\n```\n")
    assert problem.startswith("doc.md:3: `$ printf 'a\\nb\\n'` does not print")
    assert "-c\n+b" in problem


def test_an_unshown_nonzero_exit_fails(tmp_path):
    (problem,) = run_doc(tmp_path, "```console\n$ echo x; exit_with() { return 3; }; exit_with\nx\n```\n")
    assert "exited 3" in problem
    (problem,) = run_doc(tmp_path, "```console\n$ true\n[exit 2]\n```\n")
    assert "exited 0, the document shows [exit 2]" in problem


def test_python_errors_point_at_the_document_line(tmp_path):
    (problem,) = run_doc(tmp_path, "intro\n\n```python\nimport os\n\nundefined_name\n```\n")
    assert 'File "doc.md", line 6' in problem and "NameError" in problem
    (problem,) = run_doc(tmp_path, "```python\n>>> 1 + 1\n3\n```\n")
    assert "Expected:\n    3\nGot:\n    2" in problem


def test_file_marker_toml_and_languages(tmp_path):
    results = run_doc(tmp_path, """
<!-- file: pkg/conf.toml -->
```toml
[tool.npzcontract]
mdoe = "warn"
```

```console
$ cat pkg/conf.toml
[tool.npzcontract]
mdoe = "warn"
```

```toml
[tool.npzcontract]
mdoe = "warn"
```

```
untagged
```

```yaml
a: [1, 2
```
""")
    assert results[:2] == [None, None]
    assert "unknown key 'mdoe'" in results[2]
    assert "neither run nor allowed" in results[3]
    assert "not YAML" in results[4]


def test_the_document_directory_is_shown_as_a_placeholder(tmp_path):
    (problem,) = run_doc(tmp_path, "```console\n$ pwd\n<tmp>\n$ ls /nonexistent-dir\n```\n")
    assert "ls: cannot access '/nonexistent-dir'" in problem and "exited 2" in problem
    assert problem.startswith("doc.md:4:")
