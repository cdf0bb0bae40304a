"""``pytest --npz-audit``: unchanged test suites audited, tools in subprocesses included.

The downstream suites here are modelled on the reference project's tool tests (a test writes
its own input, runs the tool as a function or as a script, then checks what the tool wrote),
and none of them asks for the audit: the option alone turns it on.
"""

from __future__ import annotations

import json
import sys

import numpy  # noqa: F401 - loaded before pytester snapshots sys.modules: it cannot load twice
import pytest

# A canonicalizer written the way the reference's was before its fix: it renames the legacy
# key, records the step, and stores the metadata as a pickled object array.
CANONICALIZER = '''
import sys

import numpy as np
from pytest_npzcontract import add_transformation, create_metadata


def canonicalize(src, dst):
    with np.load(src) as data:
        arrays = {k: data[k] for k in data.files if k != "_metadata"}
    arrays["diffraction"] = arrays.pop("diff3d")
    meta = add_transformation(create_metadata({"nphotons": 1e9, "N": 64, "gridsize": 1},
                                              "canonicalizer.py"),
                              "canonicalizer", "canonicalize", {"renamed": "diff3d"})
    np.savez_compressed(dst, _metadata=np.array(meta, dtype=object), **arrays)


if __name__ == "__main__":
    canonicalize(sys.argv[1], sys.argv[2])
'''

REFERENCE_STYLE_TESTS = '''
import subprocess
import sys

import numpy as np
from pytest_npzcontract.physics.factory import write_dataset

from canonicalizer import canonicalize


def legacy_input(tmp_path):
    # the test's own input: legacy key, no _metadata, written on purpose
    return write_dataset(tmp_path / "input_no_metadata.npz", metadata=False,
                         legacy=["diff3d"], seed=1)


def test_canonicalize_without_metadata_in_process(tmp_path):
    out = tmp_path / "output.npz"
    canonicalize(legacy_input(tmp_path), out)
    with np.load(out) as data:
        assert "diffraction" in data.files


def test_canonicalize_without_metadata_as_a_script(tmp_path):
    out = tmp_path / "output.npz"
    subprocess.run([sys.executable, "canonicalizer.py", str(legacy_input(tmp_path)),
                    str(out)], check=True)
    with np.load(out) as data:
        assert "diffraction" in data.files
'''

# Three tools: one good, two with different violations; run in-process and as scripts.
TOOLS = '''
import sys

import numpy as np
from pytest_npzcontract import add_transformation, load_npz, save_npz


def good(src, dst):
    arrays, meta = load_npz(src)
    save_npz(dst, arrays, add_transformation(meta, "good_tool", "copy"))


def pickled(src, dst):
    arrays, meta = load_npz(src)
    meta = add_transformation(meta, "pickling_tool", "copy")
    np.savez(dst, _metadata=np.array(meta, dtype=object), **arrays)


def drop_nphotons(src, dst):
    arrays, meta = load_npz(src)
    meta = add_transformation(meta, "dose_dropping_tool", "copy")
    del meta["physics_parameters"]["nphotons"]
    save_npz(dst, arrays, meta)


if __name__ == "__main__":
    globals()[sys.argv[1]](sys.argv[2], sys.argv[3])
'''

THREE_TESTS = '''
import subprocess
import sys

from pytest_npzcontract import load_npz
from pytest_npzcontract.physics.factory import write_dataset

from tools import good


def test_good_tool_in_process(tmp_path):
    good(write_dataset(tmp_path / "in.npz", seed=1), tmp_path / "out.npz")
    assert load_npz(tmp_path / "out.npz")[1]["data_transformations"]


def test_pickling_tool_as_a_script(tmp_path):
    src = write_dataset(tmp_path / "in.npz", seed=2)
    subprocess.run([sys.executable, "tools.py", "pickled", str(src), str(tmp_path / "out.npz")],
                   check=True)
    assert (tmp_path / "out.npz").exists()


def test_dose_dropping_tool_as_a_module(npz_factory, tmp_path):
    subprocess.run([sys.executable, "-m", "tools", "drop_nphotons", str(npz_factory("in.npz")),
                    str(tmp_path / "out.npz")], check=True)
    assert (tmp_path / "out.npz").exists()
'''


@pytest.fixture
def suite(pytester: pytest.Pytester):
    def make(**files: str) -> pytest.Pytester:
        pytester.makepyfile(**files)
        pytester.syspathinsert()
        return pytester

    return make


def test_reference_style_tests_flag_the_pickled_output_not_the_legacy_input(suite):
    pytester = suite(canonicalizer=CANONICALIZER, test_canonicalizer=REFERENCE_STYLE_TESTS)
    assert pytester.runpytest().ret == 0  # the suite as it is: both pass
    result = pytester.runpytest("--npz-audit")
    result.assert_outcomes(failed=2)
    text = result.stdout.str()
    for name in ("in_process", "as_a_script"):
        result.stdout.fnmatch_lines([
            f"*_ test_canonicalize_without_metadata_{name} _*",
            "npz-audit: 1 NPZ file(s) written by this test break the data contract:",
            "  */output.npz: [[]_metadata] pickled-metadata: _metadata is a pickled object "
            "array: np.load(..., allow_pickle=False), NumPy's safe default, fails on it (fix: write _metadata "
            "as JSON text: *)",
        ])
    assert "input_no_metadata.npz:" not in text
    result.stdout.fnmatch_lines([
        "*= npz-audit =*",
        "2 test(s) audited, 2 NPZ output(s) judged, 2 test(s) with violations; 2 file(s) "
        "written before any NPZ was read, taken as prepared inputs",
        "tool * outputs  violating  violations by rule",
        "canonicalizer * 2          2  pickled-metadata 2",
    ])


def test_three_tools_the_audit_finds_exactly_the_two_bad_tests(suite, tmp_path):
    pytester = suite(tools=TOOLS, test_three=THREE_TESTS)
    pytester.runpytest().assert_outcomes(passed=3)
    report = tmp_path / "audit.json"
    result = pytester.runpytest("--npz-audit", "--npz-audit-report", str(report), "-rA")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "PASSED test_three.py::test_good_tool_in_process",
        "FAILED test_three.py::test_pickling_tool_as_a_script - Failed: npz-audit*",
        "FAILED test_three.py::test_dose_dropping_tool_as_a_module - Failed: npz-audit*",
    ], consecutive=False)
    result.stdout.fnmatch_lines([
        "  */test_pickling_tool_as_a_scr*/out.npz: [[]_metadata] pickled-metadata: *",
    ])
    result.stdout.fnmatch_lines([
        "  */test_dose_dropping_tool_as_*/out.npz: [[]physics_parameters.nphotons] "
        "parameter-missing: dropped nphotons=1e+09 that in.npz records (fix: copy the "
        "input's physics_parameters into the output's metadata)",
    ])
    result.stdout.fnmatch_lines([
        "3 test(s) audited, 3 NPZ output(s) judged, 2 test(s) with violations; *",
        "dose_dropping_tool * 1          1  parameter-missing 1",
        "good_tool * 1          0  -",
        "pickling_tool * 1          1  pickled-metadata 1",
    ])
    data = json.loads(report.read_text())
    assert data["mode"] == "fail" and data["tests_audited"] == 3 and data["outputs"] == 3
    assert {t["tool"]: t["violations"] for t in data["tools"]} == {
        "dose_dropping_tool": {"parameter-missing": 1}, "good_tool": {},
        "pickling_tool": {"pickled-metadata": 1}}
    writers = {t["test"].split("::")[1]: t["outputs"][0]["writer"] for t in data["tests"]}
    assert writers == {"test_good_tool_in_process": "test process",
                       "test_pickling_tool_as_a_script": "tools.py",
                       "test_dose_dropping_tool_as_a_module": "tools"}


def test_warn_mode_reports_without_failing(suite):
    pytester = suite(tools=TOOLS, test_three=THREE_TESTS)
    result = pytester.runpytest("--npz-audit=warn")
    result.assert_outcomes(passed=3, warnings=2)
    result.stdout.fnmatch_lines([
        "*NpzContractWarning: npz-audit: */out.npz: [[]_metadata] pickled-metadata: *",
        "*NpzContractWarning: npz-audit: */out.npz: [[]physics_parameters.nphotons] "
        "parameter-missing: *",
        "3 test(s) audited, 3 NPZ output(s) judged, 2 test(s) with violations; *",
    ], consecutive=False)


IN_PROCESS = """
from tools import good, pickled


def test_good(npz_factory, tmp_path):
    good(npz_factory("in.npz"), tmp_path / "out.npz")


def test_pickled(npz_factory, tmp_path):
    pickled(npz_factory("in.npz"), tmp_path / "out.npz")
"""


@pytest.mark.parametrize(("ini", "outcome"), [
    ("true", {"passed": 1, "failed": 1}), ("warn", {"passed": 2, "warnings": 1}),
    ("false", {"passed": 2})])
def test_ini_npz_audit(suite, ini, outcome):
    pytester = suite(tools=TOOLS, test_in_process=IN_PROCESS)
    pytester.makeini(f"[pytest]\nnpz_audit = {ini}\n")
    pytester.runpytest().assert_outcomes(**outcome)


def test_the_option_before_a_path_still_runs_that_path(suite):
    pytester = suite(tools=TOOLS, test_in_process=IN_PROCESS)
    pytester.makepyfile(test_other="def test_other():\n    pass\n")
    result = pytester.runpytest("--npz-audit", "test_in_process.py")
    result.assert_outcomes(passed=1, failed=1)


@pytest.mark.parametrize(("args", "ini", "message"), [
    (["--npz-audit=sometimes"], "", "--npz-audit takes fail or warn, not 'sometimes'"),
    ([], "npz_audit = maybe", "ini npz_audit: expected true, warn or false, not 'maybe'"),
])
def test_bad_audit_setting_is_a_usage_error(pytester, args, ini, message):
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_marker_and_ignore_exempt_files_written_on_purpose(suite):
    pytester = suite(tools=TOOLS, test_exempt='''
import numpy as np
import pytest
from pytest_npzcontract import load_npz
from tools import pickled


@pytest.mark.npz_audit_skip
def test_whole_test_exempt(npz_factory, tmp_path):
    pickled(npz_factory("in.npz"), tmp_path / "out.npz")


@pytest.mark.npz_audit_skip("legacy_*.npz")
def test_only_matching_files_exempt(npz_factory, tmp_path):
    load_npz(npz_factory("in.npz"))
    np.savez(tmp_path / "legacy_copy.npz", a=np.ones(3))
    np.savez(tmp_path / "other.npz", a=np.ones(3))


def test_ignored_through_the_fixture(npz_factory, npz_write_audit, tmp_path):
    load_npz(npz_factory("in.npz"))
    npz_write_audit.ignore(tmp_path / "legacy.npz")
    np.savez(tmp_path / "legacy.npz", a=np.ones(3))
''')
    result = pytester.runpytest("--npz-audit")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "FAILED test_exempt.py::test_only_matching_files_exempt - Failed: npz-audit*"])
    assert "legacy_copy.npz:" not in result.stdout.str()
    result.stdout.fnmatch_lines([
        "  */other.npz: [[]_metadata] metadata-missing: dropped _metadata that its input(s) "
        "had (in.npz) (fix: *)",
        "  */other.npz: [[]-] not-a-dataset: no key of any profile*",
    ])


def test_children_the_hook_cannot_see_are_found_by_comparing_tmp_path(suite):
    # an environment without our PYTHONPATH: the child's writes are found afterwards
    pytester = suite(tools=TOOLS, test_unseen='''
import os
import subprocess
import sys

import numpy as np


def test_scrubbed_environment(npz_factory, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = os.getcwd()
    code = ("import numpy as np, sys; d = np.load(sys.argv[1]); "
            "np.savez(sys.argv[2], a=d['xcoords'])")
    subprocess.run([sys.executable, "-c", code, str(npz_factory("in.npz")),
                    str(tmp_path / "sub" / "out.npz")], env=env, check=True)
''')
    (pytester.path / "sub").mkdir()
    pytester.makeconftest('''
import pytest

@pytest.fixture(autouse=True)
def _sub(tmp_path):
    (tmp_path / "sub").mkdir()
''')
    result = pytester.runpytest("--npz-audit", "--npz-audit-report", "r.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "  */sub/out.npz: [[]_metadata] metadata-missing: was written without _metadata*"])
    data = json.loads((pytester.path / "r.json").read_text())
    assert data["tests"][0]["outputs"][0]["writer"] == "-c"
    assert data["tests"][0]["children"] == ["-c"]


def test_a_sitecustomize_the_audit_shadows_still_runs_in_children(suite):
    pytester = suite(test_chain='''
import subprocess
import sys


def test_child_sees_its_sitecustomize():
    out = subprocess.run([sys.executable, "-c", "import os; print(os.environ['CHAINED'])"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "yes"
''')
    site = pytester.mkdir("site")
    (site / "sitecustomize.py").write_text("import os\nos.environ['CHAINED'] = 'yes'\n")
    pytester.monkeypatch = pytest.MonkeyPatch()
    try:
        pytester.monkeypatch.setenv("PYTHONPATH", str(site))
        pytester.runpytest("--npz-audit").assert_outcomes(passed=1)
    finally:
        pytester.monkeypatch.undo()


def test_the_audit_works_under_xdist(suite):
    pytester = suite(tools=TOOLS, test_three=THREE_TESTS)
    result = pytester.runpytest("--npz-audit", "-p", "xdist", "-n", "2")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "3 test(s) audited, 3 NPZ output(s) judged, 2 test(s) with violations; *"])


INERT = '''
import pytest

HOOKS = ("pytest_runtest_protocol", "pytest_runtest_setup", "pytest_runtest_call",
         "pytest_runtest_teardown", "pytest_runtest_makereport", "pytest_runtest_logreport")


def ours(config):
    return sorted(
        f"{name}:{impl.plugin_name}" for name in HOOKS
        for impl in getattr(config.pluginmanager.hook, name).get_hookimpls()
        if "npzcontract" in impl.plugin_name or "npzcontract" in repr(impl.plugin))


def test_nothing_of_ours_runs_per_test(request):
    assert ours(request.config) == []
'''


def test_the_plugin_is_inert_when_unused(pytester):
    pytester.makepyfile(test_inert=INERT)
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize(("args", "source", "expected"), [
    (["--npz-audit"], "", ["pytest_runtest_call:npzcontract-audit",
                           "pytest_runtest_logreport:npzcontract-audit",
                           "pytest_runtest_makereport:npzcontract-audit"]),
    ([], "@pytest.mark.npz_warn\n", ["pytest_runtest_protocol:npzcontract-marked-modes"]),
])
def test_per_test_hooks_come_only_when_asked(pytester, args, source, expected):
    pytester.makepyfile(test_inert=INERT.replace(
        "def test_nothing", source + "def test_nothing").replace("== []", f"== {expected!r}"))
    pytester.runpytest(*args).assert_outcomes(passed=1)


@pytest.mark.skipif(sys.platform != "linux", reason="the fork start method is Linux's")
def test_multiprocessing_workers_forked_or_spawned_are_seen(suite):
    pytester = suite(test_workers='''
import multiprocessing

import numpy as np
import pytest


def lossy(src, dst):
    with np.load(src) as data:
        np.savez(dst, **{k: data[k] for k in data.files if k != "_metadata"})


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_worker(npz_factory, tmp_path, method):
    worker = multiprocessing.get_context(method).Process(
        target=lossy, args=(str(npz_factory("in.npz")), str(tmp_path / "out.npz")))
    worker.start()
    worker.join()
    assert worker.exitcode == 0
''')
    result = pytester.runpytest("--npz-audit", "--npz-audit-report", "r.json")
    result.assert_outcomes(failed=2)
    data = json.loads((pytester.path / "r.json").read_text())
    writers = sorted(t["outputs"][0]["writer"].split(" ")[0] for t in data["tests"])
    assert writers == ["-c", "forked"]  # spawn runs `python -c ...`; fork reports its pid
    assert all(t["outputs"][0]["violations"][0]["rule"] == "metadata-missing"
               for t in data["tests"])


def test_a_test_requesting_the_fixture_fails_even_in_warn_mode(suite):
    pytester = suite(tools=TOOLS, test_fixture='''
from tools import pickled


def test_asks_for_the_audit(npz_factory, npz_write_audit, tmp_path):
    pickled(npz_factory("in.npz"), tmp_path / "out.npz")
''')
    result = pytester.runpytest("--npz-audit=warn")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["npz_write_audit: 1 NPZ file(s) written by this test break*"])
