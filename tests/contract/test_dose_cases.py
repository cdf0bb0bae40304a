"""Rule nphotons-inconsistent in the cases no other test reaches: frames the estimator cannot
read (not 3-D, complex, Fortran order), doses that are not numbers, merged files with and
without ``source_index`` or per-source doses, and entries that are not objects."""

from __future__ import annotations

import numpy as np
import pytest
from rawnpz import write_members

from pytest_npzcontract import check_arrays, check_file, create_metadata
from pytest_npzcontract.contract.dose import DoseCheck, validate_factor
from pytest_npzcontract.contract.run import Run
from pytest_npzcontract.physics.simulate import simulate_dataset

RULE = "nphotons-inconsistent"


@pytest.fixture(scope="module")
def data():
    """Frames simulated at 1e6 photons."""
    return dict(simulate_dataset(n_images=16, N=64, nphotons=1e6, seed=2).arrays)


def meta(nphotons=None, sources=None):
    values = {"N": 64} if nphotons is None else {"N": 64, "nphotons": nphotons}
    out = create_metadata(values, "tests")
    if sources is not None:
        out["source_datasets"] = sources
    return out


def dose_findings(arrays, metadata, **kw):
    return [f for f in check_arrays(arrays, metadata, mode="warn", **kw).findings
            if f.rule == RULE]


def test_the_lie_is_found_on_the_frames(data):
    (f,) = dose_findings(data, meta(1e9))
    assert f.key == "diffraction" and f.message.startswith("metadata records nphotons=1e+09 ")
    assert f.message.endswith("apart (limit 2x)")
    assert dose_findings(data, meta(1e6)) == []


@pytest.mark.parametrize("frames", [
    lambda d: d[0],                            # one 2-D frame
    lambda d: d[None],                         # 4-D
    lambda d: d.astype(np.complex64),          # complex
])
def test_frames_the_estimator_cannot_read_give_no_dose_finding(data, frames):
    arrays = dict(data, diffraction=frames(data["diffraction"]))
    report = check_arrays(arrays, meta(1e9), mode="warn")
    assert RULE not in report.rules()
    assert not any("unexpected" in f.message for f in report.findings)


def test_fortran_order_frames_are_still_judged(tmp_path, data):
    members = dict(data, diffraction=np.asfortranarray(data["diffraction"]),
                   _metadata=np.array(__import__("json").dumps(meta(1e9))))
    path = write_members(tmp_path / "f.npz", members)
    assert [f.key for f in check_file(path, mode="warn").findings if f.rule == RULE] == \
        ["diffraction"]


@pytest.mark.parametrize("value", [True, "1e9", [1e9], 0, -1e9, float("nan")])
def test_a_dose_that_is_not_a_positive_number_is_not_compared(data, value):
    assert dose_findings(data, meta(value)) == []


def test_no_recorded_dose_gives_no_dose_finding_even_when_the_estimate_is_definite(data):
    report = check_arrays(data, meta(), mode="warn")
    assert RULE not in report.rules() and "parameter-missing" in report.rules()


def test_the_rule_switched_off_gives_nothing(data):
    assert dose_findings(data, meta(1e9), rule_levels={RULE: "off"}) == []
    assert [f.severity for f in dose_findings(data, meta(1e9),
                                              rule_levels={RULE: "info"})] == ["info"]


def test_a_merged_file_without_source_index_is_judged_by_its_file_dose(data):
    sources = [{"path": "a.npz", "nphotons": 1e6}, {"path": "b.npz", "nphotons": 1e6}]
    (f,) = dose_findings(data, meta(1e9, sources))
    assert f.message.startswith("metadata records nphotons=1e+09 ")
    assert dose_findings(data, meta(1e6, sources)) == []
    assert dose_findings(data, meta(None, sources)) == []   # no file dose: nothing to compare


def test_source_index_without_per_source_doses_uses_the_file_dose(data):
    arrays = dict(data, source_index=np.repeat(np.arange(2), 8))
    sources = [{"path": "a.npz"}, {"path": "b.npz"}]
    found = dose_findings(arrays, meta(1e9, sources))
    assert found and all("nphotons=1e+09 " in f.message for f in found)
    assert dose_findings(arrays, meta(1e6, sources)) == []


def test_per_source_doses_are_used_only_with_a_usable_source_index(data):
    sources = [{"path": "a.npz", "nphotons": 1e9}, {"path": "b.npz", "nphotons": 1e9}]
    good = dict(data, source_index=np.repeat(np.arange(2), 8))
    messages = sorted(f.message for f in dose_findings(good, meta(None, sources)))
    assert [m.split(" but ")[0] for m in messages] == [
        "source 0 (a.npz) records nphotons=1e+09", "source 1 (b.npz) records nphotons=1e+09"]
    for unusable in (np.repeat(np.arange(2.0), 8),          # not integers
                     np.repeat(np.arange(2), 4),            # not one per frame
                     np.repeat(np.arange(2), 8).reshape(2, 8),
                     np.repeat(np.arange(2), 8).reshape(16, 1)):   # one per frame, not 1-D
        arrays = dict(data, source_index=unusable)
        assert dose_findings(arrays, meta(None, sources)) == []
        (f,) = dose_findings(arrays, meta(1e9, sources))
        assert f.message.startswith("metadata records nphotons=1e+09 ")


def test_only_the_sources_present_in_source_index_are_judged(data):
    sources = [{"path": "a.npz", "nphotons": 1e6}, {"path": "b.npz", "nphotons": 1e9}]
    arrays = dict(data, source_index=np.zeros(16, np.int64))
    assert dose_findings(arrays, meta(None, sources)) == []


def test_an_entry_that_is_not_an_object_keeps_its_place(data):
    """source_index 1 means the second entry even when the first is not an object."""
    arrays = dict(data, source_index=np.repeat(np.arange(2), 8))
    sources = ["a.npz", {"path": "b.npz", "nphotons": 1e9}]
    report = check_arrays(arrays, meta(None, sources), mode="warn")
    found = [f.message for f in report.findings if f.rule == RULE]
    assert [m.split(" but ")[0] for m in found] == ["source 1 (b.npz) records nphotons=1e+09"]
    assert "n-images-mismatch" not in report.rules()
    assert "metadata-schema" in report.rules()
    right = check_arrays(arrays, meta(None, ["a.npz", {"path": "b.npz", "nphotons": 1e6}]),
                         mode="warn")
    assert RULE not in right.rules() and "n-images-mismatch" not in right.rules()
    nothing = check_arrays(arrays, meta(None, [None, None]), mode="warn")
    assert not any("lists no source_datasets" in f.message for f in nothing.findings)


def test_start_declines_what_it_cannot_judge(data):
    run = Run(None, "warn", None, "canonical", None, None)
    run.report.metadata = meta(1e9)
    assert DoseCheck.start(run, {}, "diffraction") is None
    assert DoseCheck.start(run, {}, None) is None
    run.report.metadata = meta()
    assert DoseCheck.start(run, {}, "diffraction") is None


@pytest.mark.parametrize("factor", [1, 0.5, -3, True, float("inf"), float("nan"), "2", None])
def test_bad_factors_are_refused_by_name(factor):
    with pytest.raises(ValueError, match=r"^nphotons_factor must be a finite number > 1, not "):
        validate_factor(factor)


def test_good_factors_become_floats():
    assert validate_factor(3) == 3.0 and type(validate_factor(3)) is float
    assert validate_factor(1.0001) == 1.0001


def test_a_source_without_a_path_is_named_by_its_index(data):
    arrays = dict(data, source_index=np.repeat(np.arange(2), 8))
    sources = [{"nphotons": 1e6}, {"nphotons": 1e9}]
    assert [f.message.split(" but ")[0] for f in dose_findings(arrays, meta(None, sources))] \
        == ["source 1 records nphotons=1e+09"]


def test_an_undetermined_source_does_not_stop_the_others_being_judged(data):
    frames = data["diffraction"].copy()
    frames[:8] = 0                       # source 0: no photons, no estimate
    arrays = dict(data, diffraction=frames, source_index=np.repeat(np.arange(2), 8))
    sources = [{"path": "dark.npz", "nphotons": 1e9}, {"path": "b.npz", "nphotons": 1e9}]
    assert [f.message.split(" but ")[0] for f in dose_findings(arrays, meta(None, sources))] \
        == ["source 1 (b.npz) records nphotons=1e+09"]


def test_a_dose_exactly_the_factor_away_passes(tmp_path, data):
    import json

    from pytest_npzcontract.physics.estimate import estimate_nphotons

    members = dict(data, _metadata=np.array(json.dumps(meta(1e6))))
    estimate = estimate_nphotons(write_members(tmp_path / "e.npz", members)).value
    assert estimate and 5e5 < estimate < 2e6
    assert dose_findings(data, meta(estimate / 2)) == []
    assert dose_findings(data, meta(estimate * 2)) == []
    assert dose_findings(data, meta(estimate / 2.001))
    assert dose_findings(data, meta(estimate * 2.001))
