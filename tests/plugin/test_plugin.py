"""The plugin as a downstream project sees it: pytester runs of real test files.

The worked example is read from docs/pytest-plugin.md, so the documentation is what is tested.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy  # noqa: F401 - loaded before pytester snapshots sys.modules: it cannot load twice
import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "pytest-plugin.md"


def example_files() -> dict[str, str]:
    """The worked example's two files (``<!-- file: NAME -->`` blocks, docs/README.md)."""
    text = DOC.read_text(encoding="utf-8")
    files = dict(re.findall(r"<!-- file: (\S+) -->\n```python\n(.*?)```", text, re.S))
    return {name: files[name] for name in ("mytools.py", "test_tools.py")}


@pytest.fixture
def example(pytester: pytest.Pytester) -> pytest.Pytester:
    for name, source in example_files().items():
        pytester.makepyfile(**{name.removesuffix(".py"): source})
    pytester.syspathinsert()
    return pytester


def glob(lines: list[str]) -> list[str]:
    """fnmatch patterns where ``*`` is the only wildcard (brackets in output are literal)."""
    return [line.replace("[", "[[]") for line in lines]


EXPECTED_FAILURES = [
    # assert_metadata_preserved catches the lossy tool, pointing at the test's line
    "*_ test_lossy_tool_is_caught_by_the_assertion _*",
    ">       assert_metadata_preserved(raw, tmp_path / \"canonical.npz\")",
    "E       AssertionError: assert_metadata_preserved: */canonical.npz does not preserve the "
    "metadata of */raw.npz: 1 violation(s)",
    "E         [_metadata] metadata-missing: found no _metadata, expected the metadata of "
    "raw.npz (fix: load with load_npz and save with save_npz(path, arrays, "
    "metadata=add_transformation(metadata, tool, operation, parameters)))",
    "test_tools.py:30: AssertionError",
    # npz_write_audit catches it with no assertion in the test, naming the file
    "*_ test_lossy_tool_is_caught_by_the_audit _*",
    "npz_write_audit: 1 NPZ file(s) written by this test break the data contract:",
    "  */test_lossy_tool_is_caught_by_t*/canonical.npz: [_metadata] metadata-missing: dropped "
    "_metadata that its input(s) had (raw.npz) (fix: load with load_npz and save with "
    "save_npz(path, arrays, metadata=add_transformation(metadata, tool, operation, "
    "parameters)))",
    "*_ test_training_config_disagrees_with_the_dataset _*",
    "E       AssertionError: assert_parameters_match: */dataset.npz disagrees with the "
    "configuration: 2 violation(s)",
    "E         [physics_parameters.nphotons] parameter-mismatch: found 1e+06 in the dataset, "
    "expected 1e+09 from the config (within relative tolerance 1e-06) (fix: take parameters "
    "from the dataset (config_from_metadata) or regenerate the dataset)",
    "E         [physics_parameters.N] parameter-mismatch: found 64 in the dataset, expected "
    "128 from the config (exactly) (fix: *)",
    "test_tools.py:67: AssertionError",
    "*_ test_broken_dataset _*",
    "E       AssertionError: assert_data_contract: */dataset.npz breaks the data contract "
    "(mode strict, profile canonical): 2 violation(s)",
    "E         [xcoords] missing-key: required key 'xcoords' is missing * (fix: *)",
    "E         [probeGuess] shape-mismatch: probeGuess is 32x32 but diffraction frames are "
    "64x64* (fix: *)",
    "test_tools.py:71: AssertionError",
    "*_ test_split_was_never_recorded _*",
    "E       AssertionError: assert_transformation_recorded: */dataset.npz has no record with "
    "tool='split_tool.py', operation='train_test_split': 1 violation(s)",
    "E         [data_transformations] transformation-missing: found no records, expected "
    "split_tool.py/train_test_split (fix: record the step: add_transformation(metadata, tool, "
    "operation, parameters) before save_npz)",
    "test_tools.py:76: AssertionError",
]
EXPECTED_SUMMARY = [
    "PASSED test_tools.py::test_canonicalize_keeps_metadata",
    "PASSED test_tools.py::test_strict_is_the_default",
    "PASSED test_tools.py::test_warn_mode_reports_legacy_keys_as_warnings",
    "PASSED test_tools.py::test_permissive_mode_accepts_old_files",
    "PASSED test_tools.py::test_in_memory_arrays",
    "FAILED test_tools.py::test_lossy_tool_is_caught_by_the_assertion*",
    "FAILED test_tools.py::test_lossy_tool_is_caught_by_the_audit*",
    "FAILED test_tools.py::test_training_config_disagrees_with_the_dataset*",
    "FAILED test_tools.py::test_broken_dataset*",
    "FAILED test_tools.py::test_split_was_never_recorded*",
]


def test_worked_example_passes_and_fails_as_documented(example):
    result = example.runpytest("-rA", "--strict-markers")
    result.assert_outcomes(passed=5, failed=5)
    result.stdout.fnmatch_lines(["npzcontract: mode strict (from default)"])
    result.stdout.fnmatch_lines(glob(EXPECTED_FAILURES))
    result.stdout.fnmatch_lines(EXPECTED_SUMMARY)


def test_worked_example_under_xdist(example):
    result = example.runpytest_subprocess("-p", "xdist", "-n", "2", "-rA")
    result.assert_outcomes(passed=5, failed=5)
    result.stdout.fnmatch_lines(["*2 workers*"])
    result.stdout.fnmatch_lines(glob(EXPECTED_FAILURES[6:8]))


def test_worked_example_under_w_error(example):
    # pytest.warns still captures the WARN-mode warning, so the outcomes do not change.
    example.runpytest("-W", "error").assert_outcomes(passed=5, failed=5)


def test_plugin_can_be_disabled(example):
    result = example.runpytest("-p", "no:npzcontract")
    result.assert_outcomes(errors=10)
    result.stdout.fnmatch_lines(["E       fixture 'npz_factory' not found"])
    assert "npzcontract: mode" not in result.stdout.str()


def test_markers_are_registered_for_strict_markers(pytester):
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines([
        "@pytest.mark.npz_strict: validate NPZ data in STRICT mode in this test (metadata "
        "required; legacy keys, pickled metadata and parameter mismatches are errors)",
        "@pytest.mark.npz_warn: validate NPZ data in WARN mode in this test (*)",
        "@pytest.mark.npz_permissive: validate NPZ data in PERMISSIVE mode in this test (*)",
    ])


MODES_FILE = """
    import pytest

    def test_unmarked(npz_mode):
        print("MODE unmarked", npz_mode)

    @pytest.mark.npz_permissive
    def test_marked(npz_mode):
        print("MODE marked", npz_mode)

    @pytest.mark.npz_strict
    class TestClass:
        def test_class_marker(self, npz_mode):
            print("MODE class", npz_mode)

        @pytest.mark.npz_warn
        def test_closest_marker_wins(self, npz_mode):
            print("MODE closest", npz_mode)
"""


def _modes(result: pytest.RunResult) -> dict[str, str]:
    return dict(line.split()[1:3] for line in result.outlines if line.startswith("MODE "))


@pytest.mark.parametrize(("ini", "args", "unmarked", "header"), [
    (None, [], "strict", "npzcontract: mode strict (from default)"),
    ("warn", [], "warn", "npzcontract: mode warn (from ini npz_mode)"),
    ("warn", ["--npz-mode", "PERMISSIVE"], "permissive",
     "npzcontract: mode permissive (from --npz-mode)"),
    (None, ["--npz-mode=warn"], "warn", "npzcontract: mode warn (from --npz-mode)"),
])
def test_marker_beats_option_beats_ini_beats_default(pytester, ini, args, unmarked, header):
    pytester.makepyfile(MODES_FILE)
    if ini:
        pytester.makeini(f"[pytest]\nnpz_mode = {ini}\n")
    result = pytester.runpytest("-rP", "--strict-markers", *args)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([header])
    assert _modes(result) == {"unmarked": unmarked, "marked": "permissive", "class": "strict",
                              "closest": "warn"}


def test_module_marker_applies_to_every_test(pytester):
    pytester.makepyfile("""
        import pytest
        pytestmark = pytest.mark.npz_warn

        def test_one(npz_mode):
            assert npz_mode == "warn"
    """)
    pytester.runpytest("--strict-markers").assert_outcomes(passed=1)


def test_unknown_mode_is_a_usage_error(pytester):
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest("--npz-mode", "lenient")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*argument --npz-mode: invalid choice: 'lenient'*"])
    pytester.makeini("[pytest]\nnpz_mode = lenient\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: ini npz_mode: unknown validation mode 'lenient' "
                                 "(choose from strict, warn, permissive)"])


WARN_FILE = """
    import pytest
    from pytest_npzcontract import assert_data_contract

    @pytest.mark.npz_warn
    def test_npz_check(npz_factory, npz_check):
        report = npz_check(npz_factory(legacy=["diff3d"]))
        assert report.ok

    @pytest.mark.npz_warn
    def test_assertion(npz_factory):
        assert_data_contract(npz_factory(legacy=["4d-Y"]))
"""


# In-process runs start from this test's warning filters: keep them default even under -W error.
@pytest.mark.filterwarnings("default::pytest_npzcontract.NpzContractWarning")
def test_warnings_point_at_the_calling_test_line(pytester):
    pytester.makepyfile(test_warn=WARN_FILE)
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, warnings=2)
    result.stdout.fnmatch_lines(glob([
        "test_warn.py::test_npz_check",
        "  */test_warn.py:6: NpzContractWarning: */dataset.npz: [diff3d] warning legacy-key: "
        "legacy key 'diff3d'* (fix: *)",
        "    report = npz_check(npz_factory(legacy=[\"diff3d\"]))",
        "test_warn.py::test_assertion",
        "  */test_warn.py:11: NpzContractWarning: */dataset.npz: [Y] warning legacy-key: *",
        "    assert_data_contract(npz_factory(legacy=[\"4d-Y\"]))",
    ]))


def test_w_error_turns_a_warn_mode_warning_into_a_failure_at_the_test_line(pytester):
    pytester.makepyfile(test_warn=WARN_FILE)
    result = pytester.runpytest("-W", "error")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(glob([
        ">       report = npz_check(npz_factory(legacy=[\"diff3d\"]))",
        "*",
        "E       pytest_npzcontract.base.errors.NpzContractWarning: */dataset.npz: [diff3d] warning "
        "legacy-key: *",
        "",
        "test_warn.py:6: NpzContractWarning",
    ]))
    kept = pytester.runpytest("-W", "error", "-W",
                              "default::pytest_npzcontract.NpzContractWarning")
    kept.assert_outcomes(passed=2, warnings=2)


def test_strict_mode_assertion_fails_where_warn_mode_warns(pytester):
    pytester.makepyfile("""
        from pytest_npzcontract import assert_data_contract

        def test_strict(npz_factory):
            assert_data_contract(npz_factory(legacy=["4d-Y"]))

        def test_explicit_mode_wins(npz_factory):
            assert_data_contract(npz_factory(legacy=["4d-Y"]), mode="permissive")
    """)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(glob([
        "E       AssertionError: assert_data_contract: */dataset.npz breaks the data contract "
        "(mode strict, profile canonical): 1 violation(s)",
        "E         [Y] legacy-key: *",
    ]))


def test_factory_errors_are_clear_in_a_downstream_test(pytester):
    pytester.makepyfile("""
        def test_typo(npz_factory):
            npz_factory(legacy=["diff-3d"])
    """)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([">       npz_factory(legacy=[\"diff-3d\"])",
                                 "E       ValueError: unknown legacy form(s) 'diff-3d' (choose from "
                                 "diff3d, uint16, pickled-metadata, 4d-Y)"])


def test_importing_the_plugin_imports_nothing_heavy():
    code = ("import sys, pytest, pytest_npzcontract.plugin; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('numpy', 'jsonschema', 'tensorflow')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
