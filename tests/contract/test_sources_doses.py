"""contract/sources.py where mutation testing found no test looking: a source's dose counts
as recorded from any positive value (below one photon too), and source labels are whole
source positions (a float label is cast to int64 as NumPy casts, toward zero)."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract import check_arrays, create_metadata
from pytest_npzcontract.contract.sources import source_groups, source_nphotons
from pytest_npzcontract.physics.simulate import simulate_dataset


@pytest.fixture(scope="module")
def data():
    return dict(simulate_dataset(n_images=6, N=64, nphotons=1e6, seed=5).arrays)


@pytest.mark.parametrize("dose", [1, 0.5, 1e-3])
def test_any_positive_source_dose_is_recorded(dose):
    assert source_nphotons({"nphotons": dose}) == float(dose)
    assert source_nphotons({"metadata": {"physics_parameters": {"nphotons": dose}}}) == dose


def test_a_source_dose_of_one_photon_is_judged_against_the_configuration(data):
    meta = create_metadata({"N": 64}, "merge")
    meta["source_datasets"] = [{"path": "a.npz", "nphotons": 1}, {"path": "b.npz",
                                                                  "nphotons": 2}]
    report = check_arrays(data, meta, mode="warn", config={"nphotons": 2})
    assert [(f.rule, f.message) for f in report.findings if f.rule == "parameter-mismatch"] \
        == [("parameter-mismatch", "source 0 (a.npz): nphotons: dataset=1.0, config=2 "
             "(relative tolerance 1e-06)")]


def test_float_labels_count_by_their_integer_part():
    meta = {"source_datasets": [{"nphotons": 1e4}, {"nphotons": 1e6}]}
    groups = source_groups(meta, np.array([0.9, 1.0, 1.5, 0.2]))
    assert groups[0][1].tolist() == [0, 3] and groups[1][1].tolist() == [1, 2]
