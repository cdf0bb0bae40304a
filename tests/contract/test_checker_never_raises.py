"""check_file turns every error into a finding, worded for the reader: running out of memory,
nesting too deep, and any other exception (named, with its message cut at 200 characters).
The errors here come from the caller's own code that a check runs (an ``on_progress``
callback, a configuration object); floating-point traps the caller set do not reach the
value scan."""

from __future__ import annotations

import numpy as np
import pytest
from rawnpz import metadata_json, valid_arrays, write_members

from pytest_npzcontract import check_file
from pytest_npzcontract.contract.checker import UNEXPECTED


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("raises") / "d.npz"
    return write_members(path, dict(valid_arrays(), _metadata=np.array(metadata_json())))


def raising(exc: BaseException):
    def on_progress(nbytes: int) -> None:
        raise exc
    return on_progress


def one_finding(report) -> tuple:
    (f,) = report.findings
    return f.rule, f.key, f.severity, f.message


def test_running_out_of_memory_is_a_resource_limit_finding(dataset):
    report = check_file(dataset, on_progress=raising(MemoryError()))
    assert one_finding(report) == ("resource-limit", None, "error",
                                   "ran out of memory while checking this file")
    assert report.profile == "canonical" and not report.ok


class EndlessConfig:
    """A configuration object whose attribute lookup recurses forever."""

    def __getattr__(self, name):
        return getattr(self, name)


def test_too_deep_a_recursion_is_a_resource_limit_finding(dataset):
    report = check_file(dataset, config=EndlessConfig())
    assert one_finding(report) == ("resource-limit", None, "error",
                                   "nesting too deep to check this file")


def test_any_other_error_is_named_with_its_message(dataset):
    report = check_file(dataset, on_progress=raising(KeyError("gone")))
    assert one_finding(report) == ("unreadable", None, "error",
                                   f"{UNEXPECTED}: KeyError: 'gone'")
    assert UNEXPECTED == "unexpected error while checking (please report it)"


def test_the_error_message_is_cut_at_200_characters(dataset):
    report = check_file(dataset, on_progress=raising(TypeError("x" * 250)))
    (_, _, _, message) = one_finding(report)
    assert message == f"{UNEXPECTED}: TypeError: " + "x" * 200


def test_floating_point_traps_of_the_caller_do_not_break_the_value_scan(tmp_path):
    arrays = valid_arrays()
    big = arrays["diffraction"].copy()
    big[0, 0, :2] = np.finfo(np.float32).max        # squaring it overflows float32
    big[1, 0, 0] = np.inf
    path = write_members(tmp_path / "f.npz", dict(arrays, diffraction=big,
                                                  _metadata=np.array(metadata_json())))
    quiet = check_file(path, mode="warn")
    with np.errstate(all="raise"):
        trapped = check_file(path, mode="warn")
    assert [f.line() for f in trapped.findings] == [f.line() for f in quiet.findings]
    assert "non-finite" in trapped.rules()
    assert not any(UNEXPECTED in f.message for f in trapped.findings)
