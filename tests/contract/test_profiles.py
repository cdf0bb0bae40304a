"""Profiles as data, their selection, and the rules issue 9 added, each alone in each mode."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pytest_npzcontract import ContractViolation, NpzContractWarning, check_file, check_parameters
from pytest_npzcontract.contract.profiles import PROFILES, derive_profile, profile_from_scale
from pytest_npzcontract.metadata.parameters import missing_parameters, recorded_nphotons
from pytest_npzcontract.physics.factory import write_dataset

MODES = ("strict", "warn", "permissive")
POLICY = {"strict": "error", "warn": "warning", "permissive": None}


def _findings(report):
    return [(f.key, f.rule, f.severity) for f in report.findings]


@pytest.mark.parametrize("profile", list(PROFILES))
def test_the_factory_writes_each_profile_clean_under_it_and_the_report_names_it(
        tmp_path, profile):
    path = write_dataset(tmp_path / f"{profile}.npz", profile=profile, seed=3)
    report = check_file(path, profile=profile, config={"nphotons": 1e9, "N": 64})
    assert report.findings == [], [f.line() for f in report.findings]
    assert report.profile == profile and report.to_dict()["profile"] == profile


def test_raw_and_count_files_break_the_canonical_profile(tmp_path):
    raw = write_dataset(tmp_path / "raw.npz", profile="raw")
    assert {f.rule for f in check_file(raw, profile="canonical").findings} == {"legacy-key"}
    train = check_file(raw, profile="train")
    assert train.ok  # diff3d amplitude stands in for diffraction in train
    canonical = write_dataset(tmp_path / "canonical.npz")
    missing = {f.key for f in check_file(canonical, profile="train").findings
               if f.rule == "missing-key"}
    assert missing == {"xcoords_start", "ycoords_start"}
    counts = write_dataset(tmp_path / "counts.npz", profile="count-intensity", nphotons=1e6)
    judged = check_file(counts, profile="canonical")
    # the lattice proves counts (a policy error in STRICT); the range stays an advisory
    assert judged.rules("error") >= {"intensity-not-amplitude"}
    assert judged.rules("warning") == {"not-normalized"}


def test_the_scaling_pair_selects_the_profile_unless_one_is_named(tmp_path):
    counts = write_dataset(tmp_path / "counts.npz", profile="count-intensity", nphotons=1e6)
    auto = check_file(counts)
    assert auto.profile == "count-intensity" and auto.findings == []
    assert check_file(counts, profile="canonical").profile == "canonical"
    legacy = write_dataset(tmp_path / "amp.npz", metadata={"physics_parameters": {
        "scale_contract_version": "legacy_v1", "measurement_domain": "normalized_amplitude"}})
    assert check_file(legacy).profile == "canonical" and check_file(legacy).findings == []
    assert check_file(write_dataset(tmp_path / "plain.npz")).profile == "canonical"


@pytest.mark.parametrize(("pair", "problem"), [
    (("ci_intensity_v2", None), "partial"),
    ((None, "count_intensity"), "partial"),
    (("legacy_v1", "count_intensity"), "contradictory"),
    (("ci_intensity_v3", "count_intensity"), "unknown"),
])
def test_scale_pairs_that_are_not_supported(pair, problem):
    selected, message = profile_from_scale(pair)
    assert selected is None and message.startswith(problem)


@pytest.mark.parametrize("mode", MODES)
def test_scale_contract_alone_in_each_mode(tmp_path, mode):
    path = write_dataset(tmp_path / "x.npz", metadata={"physics_parameters": {
        "scale_contract_version": "ci_intensity_v2"}})
    expected = [("_metadata", "scale-contract", POLICY[mode])] if POLICY[mode] else []
    assert _findings(check_file(path, mode=mode)) == expected


def test_count_intensity_accepts_the_three_probe_layouts(tmp_path):
    base = write_dataset(tmp_path / "c.npz", profile="count-intensity")
    from pytest_npzcontract import load_npz

    arrays, meta = load_npz(base)
    probe = arrays["probeGuess"]
    for layout in (probe, probe[None], np.stack([probe, probe]), probe[..., None]):
        report = check_file(write_dataset(tmp_path / "p.npz", profile="count-intensity",
                                          overrides={"probeGuess": layout}))
        assert report.findings == [], (layout.shape, [f.line() for f in report.findings])
    bad = check_file(write_dataset(tmp_path / "b.npz", profile="count-intensity",
                                   overrides={"probeGuess": probe[..., None, None]}))
    assert bad.rules() == {"bad-ndim"}
    small = check_file(write_dataset(tmp_path / "s.npz", profile="count-intensity",
                                     overrides={"probeGuess": probe[None, :32, :32]}))
    assert small.rules() == {"shape-mismatch"}
    # canonical keeps one layout
    assert check_file(write_dataset(tmp_path / "k.npz", overrides={
        "probeGuess": probe[None]})).rules() == {"bad-ndim"}


# ---- parameter-missing ----------------------------------------------------------------------

def _no_nphotons(tmp_path, value=...):
    path = write_dataset(tmp_path / "nophot.npz")
    from pytest_npzcontract import load_npz, save_npz

    arrays, meta = load_npz(path)
    del meta["physics_parameters"]["nphotons"]
    if value is not ...:
        meta["physics_parameters"]["nphotons"] = value
    save_npz(path, arrays, meta)
    return path


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("value", [..., None], ids=["absent", "null"])
def test_parameter_missing_alone_in_each_mode(tmp_path, mode, value):
    path = _no_nphotons(tmp_path, value)
    for config in (None, {"nphotons": 1e9}):
        report = check_file(path, mode=mode, config=config)
        expected = [("physics_parameters.nphotons", "parameter-missing", POLICY[mode])] \
            if POLICY[mode] else []
        assert _findings(report) == expected
    if POLICY[mode]:
        message = check_file(path, mode=mode, config={"nphotons": 1e9}).findings[0].message
        assert "configuration expects 1e+09" in message


def test_a_parameter_the_configuration_names_must_be_recorded(tmp_path):
    path = write_dataset(tmp_path / "x.npz", metadata={"physics_parameters": {"gridsize": None}})
    assert check_file(path).findings == []
    report = check_file(path, config={"gridsize": 1, "N": 64})
    assert _findings(report) == [("physics_parameters.gridsize", "parameter-missing", "error")]


def test_merged_files_record_nphotons_per_source():
    sources = [{"metadata": {"physics_parameters": {"nphotons": n}}} for n in (1e6, 1e9)]
    merged = {"physics_parameters": {"N": 64}, "source_datasets": sources}
    assert recorded_nphotons(merged) == [1e6, 1e9]
    assert missing_parameters(merged) == []
    sources.append({"metadata": {"physics_parameters": {}}})
    assert recorded_nphotons(merged) is None
    assert missing_parameters(merged) == ["nphotons"]
    assert recorded_nphotons({"physics_parameters": {"nphotons": 5}}) == 5.0
    assert recorded_nphotons(None) is None and recorded_nphotons({"source_datasets": []}) is None


def test_check_parameters_reports_missing_parameters_by_mode():
    meta = {"physics_parameters": {"N": 64}}
    with pytest.raises(ContractViolation) as info:
        check_parameters(meta, {"nphotons": 1e9})
    assert info.value.rules == {"parameter-missing"}
    with pytest.warns(NpzContractWarning, match="parameter-missing"):
        assert check_parameters(meta, {"nphotons": 1e9}, "warn") == []
    assert check_parameters(meta, {"nphotons": 1e9}, "permissive") == []


# ---- dtype-precision, unsupported-size, transposed-layout ----------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_dtype_precision_alone_in_each_mode(tmp_path, mode):
    from pytest_npzcontract import load_npz

    arrays, _ = load_npz(write_dataset(tmp_path / "a.npz"))
    path = write_dataset(tmp_path / "wide.npz", overrides={
        "objectGuess": arrays["objectGuess"].astype(np.complex128),
        "probeGuess": arrays["probeGuess"].astype(np.complex128),
        "diffraction": arrays["diffraction"].astype(np.float64)})
    expected = sorted((k, "dtype-precision", POLICY[mode])
                      for k in ("objectGuess", "probeGuess", "diffraction")) if POLICY[mode] else []
    assert sorted(_findings(check_file(path, mode=mode))) == expected


@pytest.mark.parametrize("mode", MODES)
def test_unsupported_size_alone_in_each_mode(tmp_path, mode):
    path = write_dataset(tmp_path / "n32.npz", N=32)
    expected = [("diffraction", "unsupported-size", POLICY[mode])] if POLICY[mode] else []
    assert _findings(check_file(path, mode=mode)) == expected
    assert check_file(write_dataset(tmp_path / "n128.npz", N=128), mode=mode).findings == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("profile", ["canonical", "raw"])
def test_transposed_frames_are_one_finding_without_cascade(tmp_path, mode, profile):
    from pytest_npzcontract import load_npz

    key = "diff3d" if profile == "raw" else "diffraction"
    arrays, _ = load_npz(write_dataset(tmp_path / "a.npz", profile=profile, n_images=5))
    frames = np.ascontiguousarray(np.transpose(arrays[key], (1, 2, 0)))
    path = write_dataset(tmp_path / "t.npz", profile=profile, n_images=5,
                         overrides={key: frames})
    report = check_file(path, mode=mode, profile=profile)
    expected = [(key, "transposed-layout", POLICY[mode])] if POLICY[mode] else []
    assert _findings(report) == expected
    if POLICY[mode]:
        assert "np.transpose" in report.findings[0].hint


# ---- custom profiles ------------------------------------------------------------------------

def test_custom_profiles_extend_require_drop_and_retype(tmp_path):
    mine = derive_profile("mine", {"extends": "count-intensity", "require": ["scan_index"],
                                   "drop": ["Y"], "retype": {"diffraction": {"dtypes": ["uint16"]}},
                                   "sizes": []})
    assert mine.profile == "mine" and mine.keys["scan_index"].required
    assert "Y" not in mine.keys and mine.keys["diffraction"].dtypes == ("uint16",)
    assert mine.keys["diffraction"].values == "counts"  # retyping keeps the rest of the key
    path = write_dataset(tmp_path / "x.npz", N=32, profile="count-intensity",
                         overrides={"Y": np.zeros((8, 32, 32), np.float32)})
    report = check_file(path, profile=mine)
    assert report.profile == "mine"
    assert {(f.key, f.rule) for f in report.findings} == {("diffraction", "bad-dtype")}


@pytest.mark.parametrize(("spec", "message"), [
    ({"extends": "nope"}, "extends must name a profile"),
    ({"extends": "raw", "drop": ["mask"]}, "cannot drop 'mask'"),
    ({"extends": "raw", "retype": {"diffraction": {"dtypes": ["float32"]}}},
     "cannot retype 'diffraction'"),
    ({"extends": "raw", "colour": 1}, "unknown field 'colour'"),
    ({"extends": "raw", "sizes": [0]}, "sizes must be a list of positive integers"),
    ({"extends": "raw", "keys": {"m": {"values": "volts"}}}, "values must be"),
])
def test_bad_custom_profiles_name_the_problem(spec, message):
    with pytest.raises(ValueError, match=message):
        derive_profile("mine", spec)


def test_unknown_profile_names_are_argument_errors(tmp_path):
    path = write_dataset(tmp_path / "x.npz")
    with pytest.raises(ValueError, match="unknown profile 'fancy' .choose from canonical, train"):
        check_file(path, profile="fancy")


def test_profiles_pickle_for_worker_processes():
    import pickle

    for contract in PROFILES.values():
        assert pickle.loads(pickle.dumps(contract)) == contract  # noqa: S301 - our own bytes


def test_metadata_json_with_nulls_is_schema_valid():
    from pytest_npzcontract.metadata.schema import validate_metadata_schema

    meta = json.loads(json.dumps({
        "creation_info": {"ptychopinn_version": "2.0.0", "hostname": None},
        "physics_parameters": {"nphotons": 1e9, "nll_weight": None, "model_type": None},
        "training_parameters": {"n_images": None, "batch_size": None}}))
    assert validate_metadata_schema(meta) == []
