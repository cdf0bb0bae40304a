"""The fast parser of NumPy-spelt ``.npy`` headers accepts only what ``ast.literal_eval``
accepts, with the same fields, on real headers and on seeded mutations of them."""

from __future__ import annotations

import ast
import io
import random

import numpy as np
import pytest

from pytest_npzcontract.io import npyheader
from pytest_npzcontract.io.npyheader import HeaderError, read_npy_header

DTYPES = ["<f4", ">f8", "|u1", "<i8", "<c8", "|b1", "<U7", "|S3", "<m8[s]"]
SHAPES = [(), (0,), (5,), (3, 4), (8000, 64, 64), (1, 2, 3, 4, 5), (2**40, 0)]


def numpy_header(dtype: str, shape: tuple[int, ...], fortran: bool = False) -> str:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": dtype, "fortran_order": fortran, "shape": shape})
    return buf.getvalue()[10:].decode("latin1")


def literal(text: str) -> object:
    try:
        return ast.literal_eval(text.strip())
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return "refused"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_numpy_headers_take_the_fast_path_with_the_same_fields(dtype, shape):
    text = numpy_header(dtype, shape, fortran=len(shape) == 2)
    fast = npyheader._parse_numpy_header(text.strip())
    assert fast is not None
    assert fast == literal(text)


def test_mutants_parse_the_same_or_fall_back():
    """Every mutant the fast path accepts is one literal_eval reads to the same dict; the
    rest go to literal_eval (so both paths accept and refuse the same headers)."""
    rng = random.Random(20)
    alphabet = "()[]{},: '\"\\\n\r\x00_-+0123456789TrueFalsNo<>|f4u8x#"
    accepted = 0
    for _ in range(20000):
        text = list(numpy_header(rng.choice(DTYPES), rng.choice(SHAPES)))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text))
            op = rng.random()
            if op < 0.4:
                text[at] = rng.choice(alphabet)
            elif op < 0.7:
                del text[at]
            else:
                text.insert(at, rng.choice(alphabet))
        mutant = "".join(text)
        fast = npyheader._parse_numpy_header(mutant.strip())
        if fast is not None:
            accepted += 1
            assert fast == literal(mutant), mutant
    assert accepted > 1000  # the mutants exercise the fast path, not only the fallback


@pytest.mark.parametrize("text, problem", [
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (5), }", "must be a tuple"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (05,), }", "not a Python literal"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "negative"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (" + "9" * 5000 + ",), }",
     "not a Python literal"),
    ("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
     "too large"),
    ("{'descr': '<f0', 'fortran_order': False, 'shape': (5,), }", "invalid dtype"),
    ("{'descr': '|V0', 'fortran_order': False, 'shape': (5,), }", "zero-size"),
])
def test_refusals_are_unchanged(text, problem):
    raw = text.encode("latin1")
    data = b"\x93NUMPY\x01\x00" + len(raw).to_bytes(2, "little") + raw
    with pytest.raises(HeaderError, match=problem):
        read_npy_header(io.BytesIO(data))
