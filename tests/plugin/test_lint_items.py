"""``pytest --npz-lint``: each selected .npz file is one test item, failing with the lint lines;
configuration, .gitignore and the lint cache are honoured; works under xdist."""

from __future__ import annotations

import pytest

from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.tools.cache import FORMAT


@pytest.fixture
def datasets(pytester: pytest.Pytester) -> pytest.Pytester:
    root = pytester.path
    write_dataset(root / "data" / "good.npz", n_images=4, N=64, nphotons=1e6, seed=1)
    write_dataset(root / "data" / "sub" / "old.npz", n_images=4, N=64, legacy=["diff3d"], seed=2)
    write_dataset(root / "data" / "nometa.npz", n_images=4, N=64, metadata=False, seed=3)
    (root / "test_plain.py").write_text("def test_ordinary():\n    assert True\n")
    return pytester


def test_each_npz_is_an_item_and_failures_show_the_lint_lines(datasets: pytest.Pytester):
    result = datasets.runpytest("--npz-lint", "-v", "data", "test_plain.py")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([
        "data/good.npz::npz-lint PASSED*",
        "data/nometa.npz::npz-lint FAILED*",
        "data/sub/old.npz::npz-lint FAILED*",
        "test_plain.py::test_ordinary PASSED*",
    ])
    result.stdout.fnmatch_lines([
        "*data/sub/old.npz: [[]diff3d] error legacy-key: legacy key 'diff3d'*",
        "fix legacy-key: run `npzcontract migrate --in-place FILE` (renames it to 'diffraction')",
    ])
    result.stdout.fnmatch_lines(["*data/nometa.npz: [[]_metadata] error metadata-missing:*"])
    assert "Traceback" not in result.stdout.str()


def test_without_the_option_npz_files_are_not_collected(datasets: pytest.Pytester):
    datasets.runpytest("data", "test_plain.py").assert_outcomes(passed=1)


def test_configuration_is_honoured(datasets: pytest.Pytester):
    datasets.makepyprojecttoml('[tool.npzcontract]\nmode = "warn"\nexclude = ["sub"]\n')
    result = datasets.runpytest("--npz-lint", "-v", "data")
    result.assert_outcomes(passed=2)
    assert "old.npz" not in result.stdout.str()


def test_gitignore_is_honoured(datasets: pytest.Pytester):
    (datasets.path / ".git").mkdir()
    (datasets.path / ".gitignore").write_text("data/sub/\nnometa.npz\n")
    result = datasets.runpytest("--npz-lint", "-v", "data")
    result.assert_outcomes(passed=1)


def test_bad_configuration_is_a_usage_error(datasets: pytest.Pytester):
    datasets.makepyprojecttoml('[tool.npzcontract]\nmode = "loud"\n')
    result = datasets.runpytest("--npz-lint", "data")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--npz-lint: pyproject.toml: [[]tool.npzcontract[]] mode:*"])


def test_the_lint_cache_serves_the_second_session(datasets: pytest.Pytester,
                                                  monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("NPZCONTRACT_NO_CACHE")
    first = datasets.runpytest("--npz-lint", "data", "--junitxml=first.xml")
    first.assert_outcomes(passed=1, failed=2)
    assert (datasets.path / ".npzcontract_cache" / f"v{FORMAT}").is_dir()
    second = datasets.runpytest("--npz-lint", "data", "--junitxml=second.xml")
    second.assert_outcomes(passed=1, failed=2)
    assert 'name="npz_lint_cached" value="False"' in (datasets.path / "first.xml").read_text()
    cached = (datasets.path / "second.xml").read_text()
    assert cached.count('name="npz_lint_cached" value="True"') == 3


@pytest.mark.slow
def test_under_xdist(datasets: pytest.Pytester):
    result = datasets.runpytest_subprocess("--npz-lint", "-p", "xdist", "-n", "2", "-v", "data")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*data/sub/old.npz: [[]diff3d] error legacy-key:*"])
    result.stdout.fnmatch_lines(["*[[]gw?[]]*PASSED data/good.npz::npz-lint*"])


def test_baseline_and_per_file_ignores_apply_to_lint_items(datasets: pytest.Pytester):
    """The same verdict as ``npzcontract lint``: known findings pass, ignored rules drop."""
    import numpy as np

    from pytest_npzcontract.cli import main

    root = datasets.path
    np.savez(root / "data" / "weights.npz", kernel=np.ones((3, 3)))
    (root / "pyproject.toml").write_text(
        '[tool.npzcontract]\nbaseline = "known.json"\n'
        '[tool.npzcontract.per-file-ignores]\n"data/weights.npz" = ["not-a-dataset"]\n')
    assert main(["lint", "--update-baseline", "data"]) == 0
    datasets.runpytest("--npz-lint", "data").assert_outcomes(passed=4)
    write_dataset(root / "data" / "new.npz", n_images=4, N=64, legacy=["diff3d"], seed=5)
    result = datasets.runpytest("--npz-lint", "data")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*data/new.npz: [[]diff3d] error legacy-key*"])
    (root / "known.json").write_text("{")
    broken = datasets.runpytest("--npz-lint", "data")
    assert broken.ret == pytest.ExitCode.USAGE_ERROR
    broken.stderr.fnmatch_lines(["*--npz-lint: *known.json: not a baseline: invalid JSON*"])
