"""Corrupt data met during the value scan: one ``unreadable`` finding for that key (a CRC
mismatch said in words), and the scan goes on with the other keys.

Members of a file are read through io/members.py, whose errors are ``HeaderError``s; the
other corruption errors (zlib, zipfile, OS errors from a stream) reach the value scan from
other readers, so the scan is driven here at its unit, with arrays whose chunks fail."""

from __future__ import annotations

import zipfile
import zlib

import numpy as np
import pytest

from pytest_npzcontract.contract.run import Array, Run
from pytest_npzcontract.contract.value_checks import check_values, corruption
from pytest_npzcontract.io.npyheader import HeaderError

CRC_TEXT = "CRC mismatch: the bytes changed after writing"


@pytest.mark.parametrize("exc, said", [
    (zipfile.BadZipFile("Bad CRC-32 for file 'diffraction.npy'"), CRC_TEXT),
    (OSError("CRC check failed 0x1 != 0x2"), CRC_TEXT),
    (zlib.error("Error -3 while decompressing data: invalid block type"),
     "error: Error -3 while decompressing data: invalid block type"),
    (EOFError("Compressed file ended before the end-of-stream marker was reached"),
     "EOFError: Compressed file ended before the end-of-stream marker was reached"),
    (zipfile.BadZipFile("crc"), "BadZipFile: crc"),   # the test is case-sensitive
])
def test_corruption_says_a_crc_mismatch_in_words(exc, said):
    assert corruption(exc) == said


def _array(key, values, fail=None):
    values = np.asarray(values)

    def chunks():
        yield values.ravel()[:1]
        if fail is not None:
            raise fail
        yield values.ravel()[1:]

    return Array(key, values.shape, values.dtype, values.nbytes, chunks)


def _run():
    return Run(None, "strict", None, "canonical", None, None)


def _scan(arrays):
    run = _run()
    check_values(run, {a.key: a for a in arrays}, None)
    return [(f.rule, f.key, f.message) for f in run.report.findings]


@pytest.mark.parametrize("exc, said", [
    (zipfile.BadZipFile("Bad CRC-32 for file 'diffraction.npy'"), CRC_TEXT),
    (zlib.error("invalid stored block lengths"), "error: invalid stored block lengths"),
])
def test_a_corrupt_key_is_one_unreadable_finding_and_the_scan_goes_on(exc, said):
    frames = np.full((2, 64, 64), 50.0, np.float32)      # would be not-normalized if read
    coords = np.array([0.0, np.nan])
    found = _scan([_array("diffraction", frames, exc), _array("xcoords", coords)])
    assert found == [
        ("unreadable", "diffraction", f"corrupt data ({said})"),
        ("non-finite", "xcoords", "1 NaN and 0 infinite value(s) among 2"),
    ]


def test_a_header_error_while_reading_keeps_its_rule():
    exc = HeaderError("member 'diffraction.npy' inflates to more than 8 bytes",
                      rule="resource-limit")
    frames = np.full((2, 64, 64), 50.0, np.float32)
    found = _scan([_array("diffraction", frames, exc), _array("ycoords", [np.inf, 1.0])])
    assert found == [
        ("resource-limit", "diffraction",
         "while reading values: member 'diffraction.npy' inflates to more than 8 bytes"),
        ("non-finite", "ycoords", "0 NaN and 1 infinite value(s) among 2"),
    ]


def test_keys_outside_the_contract_and_non_numeric_keys_are_not_scanned():
    found = _scan([_array("extra_key", [np.nan, 1.0]),
                   _array("diffraction", np.full((1, 64, 64), np.nan, np.float32)),
                   _array("xcoords", np.array(["a", "b"]))])
    assert found == [("non-finite", "diffraction", "4,096 NaN and 0 infinite value(s) among "
                      "4,096")]


def test_counts_are_grouped_with_thousands_separators():
    frames = np.full((2, 64, 64), -1.0, np.float32)
    found = _scan([_array("diffraction", frames)])
    assert found[0] == ("negative-amplitude", "diffraction",
                        "8,192 negative value(s) (min -1); amplitudes and intensities are >= 0")
