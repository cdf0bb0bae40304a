"""How the .npy header parser shows what it refuses, at the cut-offs mutation testing found
unpinned: a dtype is shown up to 60 characters, a shape up to 80 (longer ones cut with
"..."); the size a shape may reach counts the item size; a descr is read as NumPy reads it
(``descr_to_dtype``: a dict is no descr, padding fields are no fields)."""

from __future__ import annotations

import io
import struct
import sys

import numpy as np
import pytest

from pytest_npzcontract.io.npyheader import MAGIC, HeaderError, read_npy_header


def header(text: str) -> bytes:
    body = text.encode("latin1") + b"\n"
    return MAGIC + bytes((1, 0)) + struct.pack("<H", len(body)) + body


def refusal(text: str) -> str:
    with pytest.raises(HeaderError) as caught:
        read_npy_header(io.BytesIO(header(text)))
    assert caught.value.rule == "unreadable"
    return str(caught.value)


def too_large(shape: tuple[int, ...], descr: str = "<f8") -> str:
    return refusal(f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape!r}}}")


def test_a_dtype_of_61_characters_is_cut():
    descr = "'" + "x" * 59 + "'"                                 # repr: 61 characters
    assert refusal(f"{{'descr': {descr}, 'fortran_order': False, 'shape': (3,)}}") == \
        ".npy header has an invalid dtype '" + "x" * 56 + "... (TypeError)"


def test_the_item_size_counts_towards_the_largest_shape():
    n = (sys.maxsize // 8) + 1                     # n items of one byte fit, of 8 bytes not
    assert too_large((n,)) == (f".npy header shape ({n},) of 8-byte items is too large for "
                               "NumPy to index")
    fits = read_npy_header(io.BytesIO(header(
        f"{{'descr': '|u1', 'fortran_order': False, 'shape': ({n},)}}")))
    assert fits.shape == (n,)


def shape_shown_in(length: int) -> tuple[int, ...]:
    """A shape too large to index whose repr has exactly ``length`` characters."""
    head = (2 ** 62, 2 ** 62)                       # repr "(4611686018427387904, 46...904"
    for tens in range(20):
        rest = length - len(repr(head)) - 4 * tens
        if rest >= 0 and rest % 3 == 0:
            shape = head + (10,) * tens + (1,) * (rest // 3)
            assert len(repr(shape)) == length
            return shape
    raise AssertionError(length)


def test_a_shape_is_shown_whole_up_to_80_characters():
    shape = shape_shown_in(80)
    assert too_large(shape) == (f".npy header shape {shape!r} of 8-byte items is too large "
                                "for NumPy to index")


def test_a_longer_shape_is_cut_at_77_characters():
    shape = shape_shown_in(81)
    assert too_large(shape) == (f".npy header shape {repr(shape)[:77]}... of 8-byte items is "
                                "too large for NumPy to index")


def test_a_dict_is_no_descr_as_for_numpy():
    descr = {"names": ["a"], "formats": ["<f4"]}         # np.dtype() would take it
    with pytest.raises(Exception) as numpy_says:  # noqa: B017 - NumPy's refusal, any type
        np.lib.format.descr_to_dtype(descr)
    assert refusal(f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': (3,)}}") == \
        f".npy header has an invalid dtype {descr!r} ({numpy_says.type.__name__})"


def test_padding_fields_of_a_structured_descr_are_dropped_as_numpy_does():
    descr = [("", "|V4"), ("a", "<f4")]
    parsed = read_npy_header(io.BytesIO(header(
        f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': (3,)}}")))
    assert parsed.dtype == np.lib.format.descr_to_dtype(descr)
    assert parsed.dtype.names == ("a",) and parsed.dtype.itemsize == 8
