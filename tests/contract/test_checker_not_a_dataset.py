"""The ``not-a-dataset`` finding's wording: the first five array names (sorted), ``...`` only
beyond five, its own text for an archive with no arrays; a top-level ``nphotons`` (the legacy
dose record) is a dataset key."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract import check_arrays


def said(arrays) -> list[tuple]:
    return [(f.key, f.rule, f.message) for f in check_arrays(arrays).findings]


@pytest.mark.parametrize("count, listed", [
    (0, " (it holds no arrays)"),
    (1, " (its arrays: w0)"),
    (5, " (its arrays: w0, w1, w2, w3, w4)"),
    (6, " (its arrays: w0, w1, w2, w3, w4, ...)"),
    (7, " (its arrays: w0, w1, w2, w3, w4, ...)"),
])
def test_the_finding_names_at_most_five_arrays(count, listed):
    arrays = {f"w{i}": np.ones(2) for i in reversed(range(count))}
    assert said(arrays) == [(None, "not-a-dataset",
                             f"no key of any profile{listed}: this is not a dataset")]


def test_a_top_level_nphotons_makes_it_a_dataset():
    report = check_arrays({"nphotons": np.array(1e6), "w": np.ones(2)}, mode="warn")
    assert "not-a-dataset" not in report.rules()
    assert {"missing-key", "legacy-key"} <= report.rules()
