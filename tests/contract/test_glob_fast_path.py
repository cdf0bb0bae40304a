"""``path_matches`` answers ``*.ext`` patterns (the default ``include``) without loading pathspec,
and those answers are pathspec's own: checked against ``GitIgnoreSpec`` on generated paths, and
in a fresh interpreter that a default-configured walk never imports it."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st
from pathspec import GitIgnoreSpec

from pytest_npzcontract.contract.config import _suffixes, path_matches

NAMES = st.sampled_from(["a", "x.npz", "npz", ".npz", "b.npz.bak", "c.NPZ", "d.h5", "e.npzx",
                         "data", "raw.npz", "f g.npz", "."])
PATHS = st.builds(lambda parts, lead: lead + "/".join(parts),
                  st.lists(NAMES, min_size=1, max_size=4), st.sampled_from(["", "/", "./"]))
PATTERNS = st.lists(st.sampled_from(["*.npz", "*.h5", "*npz", "*.npz.bak", "*z"]),
                    min_size=1, max_size=3)


@settings(max_examples=400, deadline=None)
@given(patterns=PATTERNS, rel=PATHS)
def test_the_fast_path_agrees_with_pathspec(patterns, rel):
    assert _suffixes(tuple(patterns)) is not None
    expected = GitIgnoreSpec.from_lines(patterns).match_file(rel)
    assert path_matches(patterns, rel) == expected, (patterns, rel)


def test_other_patterns_are_left_to_pathspec():
    for patterns in (("*",), ("data/*.npz",), ("*.np?",), ("*.[nN]pz",), ("!*.npz",),
                     ("*.npz", "raw/**"), ("**/*.npz",), ("x.npz",), ("*.npz ",), ()):
        assert _suffixes(patterns) is None, patterns
    # and pathspec's answers still come back for them
    assert path_matches(("data/*.npz",), "data/a.npz")
    assert not path_matches(("data/*.npz",), "other/data/a.npz")
    assert path_matches(("*.np?",), "deep/x.npy")


def test_a_directory_named_like_a_dataset_matches_what_it_holds():
    # gitignore semantics: "*.npz" matches the directory "run.npz", so everything under it
    assert path_matches(("*.npz",), "run.npz/notes.txt")
    assert GitIgnoreSpec.from_lines(["*.npz"]).match_file("run.npz/notes.txt")


def test_a_default_walk_never_imports_pathspec(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.npz").write_bytes(b"")
    (tmp_path / "b.txt").write_text("")
    probe = ("import sys; from pytest_npzcontract.contract.config import Settings; "
             "from pytest_npzcontract.tools.walk import collect_files; "
             "s = Settings(root=__import__('pathlib').Path(sys.argv[1]), respect_gitignore=False); "
             "files, _ = collect_files([sys.argv[1]], s); "
             "print(len(files), 'pathspec' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["1", "False"]
