"""The .npy header parser at its edges: text encodings per version (version 3 is UTF-8, 1 and
2 latin-1), the header-size limit exactly at and one byte over its value, and the exact
wording of each refusal. Headers are written by NumPy where it can, else spelt by hand."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from rawnpz import npy_bytes, write_members

from pytest_npzcontract import check_file
from pytest_npzcontract.io.npyheader import MAGIC, HeaderError, read_exact, read_npy_header


def header(text: str | bytes, version=(1, 0), pad=True) -> bytes:
    """A .npy preamble and header with ``text`` as the header dict (padded like NumPy)."""
    body = text.encode("latin1") if isinstance(text, str) else text
    fmt = "<H" if version == (1, 0) else "<I"
    if pad:
        total = len(MAGIC) + 2 + struct.calcsize(fmt) + len(body) + 1
        body += b" " * (-total % 64) + b"\n"
    return MAGIC + bytes(version) + struct.pack(fmt, len(body)) + body


def parse(raw: bytes, **kw):
    return read_npy_header(io.BytesIO(raw), **kw)


def refusal(raw: bytes, **kw) -> HeaderError:
    with pytest.raises(HeaderError) as info:
        parse(raw, **kw)
    return info.value


NUMPY_STYLE = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"


def test_a_version_3_header_is_utf8_text():
    raw = npy_bytes(np.zeros(2, dtype=[("é", "<f4"), ("名前", "<i2")]), version=(3, 0))
    assert raw[6:8] == b"\x03\x00" and "é".encode() in raw
    parsed = parse(raw)
    assert parsed.version == (3, 0)
    assert parsed.dtype.names == ("é", "名前")
    assert parsed.shape == (2,) and parsed.data_offset == raw.index(b"\n") + 1


def test_versions_1_and_2_are_latin1_text():
    for version in ((1, 0), (2, 0)):
        text = "{'descr': [('\xe9', '<f4')], 'fortran_order': False, 'shape': (2,), }"
        parsed = parse(header(text, version))
        assert parsed.dtype.names == ("\xe9",) and parsed.version == version


def test_a_version_3_header_that_is_not_utf8_is_refused():
    text = "{'descr': [('\xe9', '<f4')], 'fortran_order': False, 'shape': (2,), }"
    err = refusal(header(text, (3, 0)))
    assert str(err) == ".npy header is not valid text (invalid continuation byte)"
    assert err.rule == "unreadable"


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_the_header_size_limit_is_inclusive(version):
    raw = header(NUMPY_STYLE, version)
    size = struct.unpack("<H" if version == (1, 0) else "<I",
                         raw[8:10] if version == (1, 0) else raw[8:12])[0]
    assert parse(raw, max_header_bytes=size).shape == (3, 4)
    err = refusal(raw, max_header_bytes=size - 1)
    assert str(err) == f".npy header of {size} bytes exceeds the {size - 1}-byte limit"
    assert err.rule == "resource-limit"


def test_the_default_limit_is_64_kib():
    padded = NUMPY_STYLE + " " * (65536 - len(NUMPY_STYLE) - 1)
    assert parse(header(padded + "\n", (2, 0), pad=False)).shape == (3, 4)
    err = refusal(header(padded + " \n", (2, 0), pad=False))
    assert str(err) == ".npy header of 65537 bytes exceeds the 65536-byte limit"


@pytest.mark.parametrize("version", [(1, 0), (2, 0), (3, 0)])
def test_data_starts_after_the_header(version):
    raw = npy_bytes(np.arange(12, dtype="<f4").reshape(3, 4), version=version)
    parsed = parse(raw)
    assert parsed.data_offset == len(raw) - 48
    assert parsed.count == 12 and parsed.data_bytes == 48
    assert parsed.fortran_order is False


@pytest.mark.parametrize("version, said", [
    ((4, 0), "4.0"), ((1, 1), "1.1"), ((0, 0), "0.0"), ((2, 5), "2.5"),
])
def test_unsupported_versions_are_named(version, said):
    raw = MAGIC + bytes(version) + b"\x76\x00" + NUMPY_STYLE.encode()
    err = refusal(raw)
    assert str(err) == f"unsupported .npy format version {said}" and err.rule == "unreadable"


@pytest.mark.parametrize("raw, said", [
    (b"\x93NUM", "truncated .npy preamble: expected 8 bytes, got 4"),
    (MAGIC + b"\x01\x00\x10", "truncated .npy header length: expected 2 bytes, got 1"),
    (MAGIC + b"\x02\x00\x10\x00", "truncated .npy header length: expected 4 bytes, got 2"),
    (MAGIC + b"\x01\x00\x10\x00{'descr'", "truncated .npy header: expected 16 bytes, got 8"),
    (b"\x93NUMPZ\x01\x00\x10\x00", "not a .npy array (bad magic bytes)"),
    (b"PK\x03\x04\x14\x00\x00\x00", "not a .npy array (bad magic bytes)"),
])
def test_broken_preambles_are_refused_in_words(raw, said):
    assert str(refusal(raw)) == said


@pytest.mark.parametrize("descr, said", [
    ("'<q9'", ".npy header has an invalid dtype '<q9' (TypeError)"),
    ("5", ".npy header has an invalid dtype 5 (TypeError)"),
    ("[('a', '<f4', (-1,))]",
     ".npy header has an invalid dtype [('a', '<f4', (-1,))] (ValueError)"),
    ("'" + "x" * 70 + "'", ".npy header has an invalid dtype '" + "x" * 56 + "... (TypeError)"),
    ("'" + "x" * 58 + "'", ".npy header has an invalid dtype '" + "x" * 58 + "' (TypeError)"),
    ("'|V0'", ".npy header has a zero-size dtype '|V0'; no data can be read"),
    ("'S0'", ".npy header has a zero-size dtype 'S0'; no data can be read"),
])
def test_bad_dtypes_are_refused_in_words(descr, said):
    text = f"{{'descr': {descr}, 'fortran_order': False, 'shape': (3,), }}"
    err = refusal(header(text))
    assert str(err) == said and err.rule == "unreadable"


@pytest.mark.parametrize("text, said", [
    ("[1, 2]", ".npy header must have keys descr, fortran_order, shape; found list"),
    ("{'descr': '<f4', 'shape': (3,)}",
     ".npy header must have keys descr, fortran_order, shape; found ['descr', 'shape']"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'extra': 1}",
     ".npy header must have keys descr, fortran_order, shape; found "
     "['descr', 'extra', 'fortran_order', 'shape']"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 1: 2}",
     ".npy header must have keys descr, fortran_order, shape; found "
     "['1', 'descr', 'fortran_order', 'shape']"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)",
     ".npy header is not a Python literal dict"),
    ("{'descr': __import__('os'), 'fortran_order': False, 'shape': (3,)}",
     ".npy header is not a Python literal dict"),
    ("{[1]: 2}", ".npy header is not a Python literal dict"),                  # TypeError
    ("-" * 3000 + "1", ".npy header is not a Python literal dict"),           # RecursionError
    ("-" * 20000 + "1", ".npy header is not a Python literal dict"),          # MemoryError
    ("{'descr': '<f4', 'fortran_order': 0, 'shape': (3,)}",
     "fortran_order must be True or False, not 0"),
    ("{'descr': '<f4', 'fortran_order': 'False', 'shape': (3,)}",
     "fortran_order must be True or False, not 'False'"),
])
def test_bad_dicts_are_refused_in_words(text, said):
    assert str(refusal(header(text))) == said


@pytest.mark.parametrize("shape, said", [
    ("[3, 4]", ".npy header shape must be a tuple of at most 64 ints"),
    ("3", ".npy header shape must be a tuple of at most 64 ints"),
    ("(" + "1, " * 65 + ")", ".npy header shape must be a tuple of at most 64 ints"),
    ("(3, 4.0)", ".npy header shape (3, 4.0) has a non-integer dimension"),
    ("(True, 4)", ".npy header shape (True, 4) has a non-integer dimension"),
    ("(3, -1)", ".npy header shape (3, -1) has a negative dimension"),
])
def test_bad_shapes_are_refused_in_words(shape, said):
    text = f"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}}}"
    assert str(refusal(header(text))) == said


def test_64_dimensions_and_zero_dimensions_are_fine():
    text = "{'descr': '<f4', 'fortran_order': True, 'shape': (" + "1, " * 64 + ")}"
    parsed = parse(header(text))
    assert parsed.shape == (1,) * 64 and parsed.fortran_order is True
    assert parse(header("{'descr': '<f4', 'fortran_order': False, 'shape': ()}")).count == 1
    empty = parse(header("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5)}"))
    assert empty.count == 0 and empty.data_bytes == 0


def test_shapes_too_large_to_index_are_refused():
    import sys
    big = f"({sys.maxsize + 1},)"
    err = refusal(header(f"{{'descr': '|u1', 'fortran_order': False, 'shape': {big}}}"))
    assert "too large" in str(err) and big in str(err)
    fits = parse(header(f"{{'descr': '|u1', 'fortran_order': False, 'shape': (0, {sys.maxsize})}}"))
    assert fits.count == 0


def test_read_exact_names_what_was_short():
    assert read_exact(io.BytesIO(b"abcdef"), 4, "x") == b"abcd"
    with pytest.raises(HeaderError, match=r"^truncated thing: expected 4 bytes, got 3$"):
        read_exact(io.BytesIO(b"abc"), 4, "thing")


def test_a_refused_header_is_one_finding_naming_the_member(tmp_path):
    members = {"diffraction": header("{'descr': '<q9', 'fortran_order': False, 'shape': (3,)}"),
               "extra": header(NUMPY_STYLE.replace("3, 4", "1,"), (4, 0))}
    report = check_file(write_members(tmp_path / "h.npz", members), mode="warn")
    said = {f.key: f.message for f in report.findings if f.rule == "unreadable"}
    assert "'<q9'" in said["diffraction"] and "invalid dtype" in said["diffraction"]
    assert "unsupported .npy format version 4.0" in said["extra"]
