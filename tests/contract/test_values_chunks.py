"""array_chunks takes as many whole rows as fit in ``chunk_bytes``, down to rows of one byte
(a flat array of bytes comes in chunks of exactly ``chunk_bytes``)."""

from __future__ import annotations

import numpy as np

from pytest_npzcontract.contract.values import array_chunks


def test_rows_of_one_byte_fill_each_chunk():
    flat = np.arange(10, dtype=np.uint8)
    chunks = list(array_chunks(flat, 4))
    assert [c.tolist() for c in chunks] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [c.size for c in array_chunks(np.zeros((9, 1), np.int8), 3)] == [3, 3, 3]
