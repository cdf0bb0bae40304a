"""Every rule fires on a minimal file that breaks only it, and stays silent on valid files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rawnpz import metadata_json, valid_arrays, valid_metadata, write_members

from pytest_npzcontract import RULES, check_arrays, check_file, save_npz
from pytest_npzcontract.physics.simulate import simulate_dataset

MODES = ["strict", "warn", "permissive"]


def _write(tmp_path, arrays, meta="default", name="data.npz", **kw):
    members = dict(arrays)
    if isinstance(meta, str) and meta == "default":
        members["_metadata"] = np.array(metadata_json())
    elif meta is not None:
        members["_metadata"] = meta
    return write_members(tmp_path / name, members, **kw)


def _rules(report, severity=None):
    return {f.rule for f in report.findings if severity is None or f.severity == severity}


@pytest.fixture(scope="module")
def base():
    return valid_arrays()


def test_valid_file_has_no_findings_in_every_mode(tmp_path, base):
    path = _write(tmp_path, base)
    for mode in MODES:
        report = check_file(path, mode=mode)
        assert report.findings == [], [f.line() for f in report.findings]
        assert report.ok


# Each case: (description, mutate(arrays) -> (arrays, metadata member or "default" or None), rule)
def _drop(key):
    return lambda a: ({k: v for k, v in a.items() if k != key}, "default")


def _set(key, fn):
    return lambda a: ({**a, key: fn(a)}, "default")


def _with_nan(a):
    d = a["diffraction"].copy()
    d[1, 2, 3] = np.nan
    return d


def _without_nphotons(*value):
    meta = valid_metadata()
    del meta["physics_parameters"]["nphotons"]
    if value:
        meta["physics_parameters"]["nphotons"] = value[0]
    return meta


def _scaled(version, domain):
    meta = valid_metadata()
    meta["physics_parameters"].update(scale_contract_version=version, measurement_domain=domain)
    return meta


CASES = [
    ("missing probe", _drop("probeGuess"), "missing-key"),
    ("diff3d legacy key", lambda a: ({**{k: v for k, v in a.items() if k != "diffraction"},
                                       "diff3d": a["diffraction"]}, "default"), "legacy-key"),
    ("4-D Y", _set("Y", lambda a: a["Y"][..., None]), "legacy-key"),
    ("legacy nphotons", lambda a: ({**a, "nphotons": np.array(1e6)}, None), "legacy-key"),
    ("float64 diffraction", _set("diffraction", lambda a: a["diffraction"].astype(np.float64)),
     "dtype-precision"),
    ("complex128 object", _set("objectGuess", lambda a: a["objectGuess"].astype(np.complex128)),
     "dtype-precision"),
    ("real probe", _set("probeGuess", lambda a: np.abs(a["probeGuess"]).astype(np.float32)),
     "bad-dtype"),
    ("no nphotons", lambda a: (a, np.array(json.dumps(_without_nphotons()))),
     "parameter-missing"),
    ("null nphotons", lambda a: (a, np.array(json.dumps(_without_nphotons(None)))),
     "parameter-missing"),
    ("N=32", lambda a: (valid_arrays(N=32), np.array(json.dumps(valid_metadata(N=32)))),
     "unsupported-size"),
    ("(H, W, n) frames", _set("diffraction", lambda a: np.ascontiguousarray(
        np.transpose(a["diffraction"], (1, 2, 0)))), "transposed-layout"),
    ("partial scaling pair", lambda a: (a, np.array(json.dumps(_scaled("ci_intensity_v2", None)))),
     "scale-contract"),
    ("contradictory scaling pair", lambda a: (a, np.array(json.dumps(
        _scaled("legacy_v1", "count_intensity")))), "scale-contract"),
    ("unknown scaling pair", lambda a: (a, np.array(json.dumps(_scaled("v9", "photons")))),
     "scale-contract"),
    ("2-D xcoords", _set("xcoords", lambda a: a["xcoords"][:, None]), "bad-ndim"),
    ("probe size", _set("probeGuess", lambda a: np.ones((32, 32), np.complex64)),
     "shape-mismatch"),
    ("short coords", _set("ycoords", lambda a: a["ycoords"][:-1]), "n-images-mismatch"),
    ("NaN", _set("diffraction", _with_nan), "non-finite"),
    ("negative", _set("diffraction", lambda a: a["diffraction"] - 0.01), "negative-amplitude"),
    ("unnormalized", _set("diffraction", lambda a: a["diffraction"] * 1000), "not-normalized"),
    ("intensity", _set("diffraction", lambda a: np.round(a["diffraction"] ** 2 * 4000)
                       .astype(np.float32) + 3), "intensity-not-amplitude"),
    ("no metadata", lambda a: (a, None), "metadata-missing"),
    ("bad json", lambda a: (a, np.array("{nope")), "metadata-invalid"),
    ("schema", lambda a: (a, np.array(json.dumps({"physics_parameters": {"nphotons": -1}}))),
     "metadata-schema"),
    ("pickled", lambda a: (a, np.array(metadata_json(), dtype=object)), "pickled-metadata"),
    ("N disagrees", lambda a: (a, np.array(json.dumps(valid_metadata(N=128)))),
     "parameter-mismatch"),
    ("dose lie", lambda a: (a, np.array(json.dumps(valid_metadata(nphotons=1e9)))),
     "nphotons-inconsistent"),
    ("object data", _set("scan_index", lambda a: np.array([None] * 4, dtype=object)),
     "unsafe-object-array"),
]


@pytest.mark.parametrize(("what", "mutate", "rule"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_fires_alone(tmp_path, base, what, mutate, rule):
    arrays, meta = mutate(dict(base))
    path = _write(tmp_path, arrays, meta)
    report = check_file(path, mode="strict")
    found = _rules(report)
    assert rule in found, [f.line() for f in report.findings]
    extra = found - {rule}
    # The intensity case also trips the normalization heuristic; that is the same defect.
    assert extra <= {"not-normalized"}, [f.line() for f in report.findings]
    for f in report.findings:
        assert "\n" not in f.message and f.message
        assert f.file == str(path)


def test_every_rule_id_is_exercised_somewhere():
    # mixed-dose needs a single-dose profile: tests/contract/test_mixed_dose.py
    covered = {c[2] for c in CASES} | {"unreadable", "resource-limit", "mixed-dose"}
    assert covered == set(RULES)


def test_unreadable_and_resource_limit(tmp_path):
    text = tmp_path / "notes.npz"
    text.write_text("not an archive")
    assert _rules(check_file(text)) == {"unreadable"}
    bomb = tmp_path / "meta.npz"
    write_members(bomb, {"_metadata": np.array('{"a": ' + "[" * 100 + "]" * 100 + "}")})
    assert "resource-limit" in _rules(check_file(bomb))


@pytest.mark.parametrize("mode", MODES)
def test_severity_follows_the_mode(tmp_path, base, mode):
    arrays = {**base, "Y": base["Y"][..., None]}
    path = _write(tmp_path, arrays, np.array(metadata_json(), dtype=object))
    arrays_nan = {**base, "probeGuess": base["probeGuess"] * np.nan}
    nan_path = _write(tmp_path, arrays_nan, name="nan.npz")
    policy = {"strict": "error", "warn": "warning", "permissive": None}[mode]
    report = check_file(path, mode=mode)
    levels = {f.rule: f.severity for f in report.findings}
    assert levels.get("legacy-key") == policy
    assert levels.get("pickled-metadata") == policy
    assert report.ok is (mode != "strict")
    structural = check_file(nan_path, mode=mode)
    assert {f.rule: f.severity for f in structural.findings} == {"non-finite": "error"}


def test_advisory_rules_are_warnings_and_count_intensity_turns_them_off(tmp_path, base):
    arrays = {**base, "diffraction": base["diffraction"] * 1000}
    path = _write(tmp_path, arrays)
    assert {f.severity for f in check_file(path).findings} == {"warning"}
    assert check_file(path).ok
    assert check_file(path, mode="permissive").findings[0].severity == "info"
    assert check_file(path, profile="count-intensity").findings == []


def test_rule_level_overrides(tmp_path, base):
    path = _write(tmp_path, base, None)
    assert check_file(path, rule_levels={"metadata-missing": "off"}).findings == []
    report = check_file(path, rule_levels={"metadata-missing": "warning"})
    assert [(f.rule, f.severity) for f in report.findings] == [("metadata-missing", "warning")]
    with pytest.raises(ValueError, match="unknown rule id 'metadata-gone'"):
        check_file(path, rule_levels={"metadata-gone": "off"})
    with pytest.raises(ValueError, match="level must be one of"):
        check_file(path, rule_levels={"metadata-missing": "loud"})


def test_raw_profile_takes_diff3d_amplitude_and_count_intensity_takes_counts(tmp_path, base):
    amplitude = {k: v for k, v in base.items() if k != "diffraction"} | {
        "diff3d": base["diffraction"]}
    path = _write(tmp_path, amplitude)
    assert _rules(check_file(path)) == {"legacy-key"}
    assert check_file(path, profile="raw").findings == []
    assert check_file(path, profile="raw").profile == "raw"
    # the photon counts behind base (recorded nphotons 1e6), as a raw detector stores them
    counts = {**amplitude, "diff3d": np.rint(simulate_dataset(
        n_images=4, N=64, nphotons=1e6, seed=0).counts).astype(np.uint16)}
    counts_path = _write(tmp_path, counts, name="counts.npz")
    raw = check_file(counts_path, profile="raw")
    assert ("diff3d", "bad-dtype") in {(f.key, f.rule) for f in raw.findings}
    assert check_file(counts_path, profile="count-intensity").findings == []


def test_all_findings_are_collected_not_just_the_first(tmp_path, base):
    arrays = {k: v for k, v in base.items() if k != "probeGuess"}
    arrays["xcoords"] = arrays["xcoords"][:2]
    arrays["diffraction"] = _with_nan(base)
    path = _write(tmp_path, arrays, None)
    assert _rules(check_file(path)) == {"missing-key", "n-images-mismatch", "non-finite",
                                        "metadata-missing"}


def test_config_mismatch_names_both_values(tmp_path, base):
    path = _write(tmp_path, base)
    report = check_file(path, config={"nphotons": 1e9, "model": {"N": 64}})
    (finding,) = report.findings
    assert finding.rule == "parameter-mismatch" and finding.key == "nphotons"
    assert "dataset=1e+06" in finding.message and "config=1e+09" in finding.message


def test_values_false_skips_value_rules(tmp_path, base):
    path = _write(tmp_path, {**base, "diffraction": _with_nan(base)})
    assert check_file(path, values=False).findings == []


# ---- valid edge cases stay silent ------------------------------------------------------------

def _edge_cases(base):
    single = {k: (v[:1] if k in ("diffraction", "Y", "xcoords", "ycoords", "scan_index") else v)
              for k, v in base.items()}
    return {
        "fortran order": ({**base, "objectGuess": np.asfortranarray(base["objectGuess"]),
                           "diffraction": np.asfortranarray(base["diffraction"])}, {}),
        "npy format 2.0": (base, {"version": (2, 0)}),
        "npy format 3.0": (base, {"version": (3, 0)}),
        "float32 coordinates": ({**base, "xcoords": base["xcoords"].astype(np.float32),
                                 "ycoords": base["ycoords"].astype(np.float32)}, {}),
        "non-square object": ({**base, "objectGuess": base["objectGuess"][:, :-7]}, {}),
        "single image": (single, {}),
        "extra keys": ({**base, "notes": np.array("hello"), "mask": np.ones((3, 3), bool)}, {}),
        "uncompressed": (base, {"compressed": False}),
        "big-endian": ({**base, "xcoords": base["xcoords"].astype(">f8")}, {}),
    }


@pytest.mark.parametrize("case", list(_edge_cases(valid_arrays())))
def test_valid_edge_cases_are_silent(tmp_path, base, case):
    arrays, kw = _edge_cases(base)[case]
    path = _write(tmp_path, arrays, **kw)
    report = check_file(path)
    assert report.findings == [], [f.line() for f in report.findings]


@pytest.mark.parametrize("encoding", ["unicode", "bytes", "uint8"])
def test_metadata_encodings_are_accepted(tmp_path, base, encoding):
    text = metadata_json()
    member = {"unicode": np.array(text), "bytes": np.array(text.encode()),
              "uint8": np.frombuffer(text.encode(), np.uint8)}[encoding]
    report = check_file(_write(tmp_path, base, member))
    assert report.findings == []
    assert report.metadata_encoding == f"json-{encoding}"
    assert report.metadata["physics_parameters"]["nphotons"] == 1e6


def test_check_arrays_matches_check_file(tmp_path, base):
    arrays = {**base, "xcoords": base["xcoords"][:3]}
    arrays.pop("objectGuess")
    path = tmp_path / "x.npz"
    save_npz(path, arrays, valid_metadata())
    from_file = {(f.key, f.rule, f.severity, f.message) for f in check_file(path).findings}
    in_memory = {(f.key, f.rule, f.severity, f.message)
                 for f in check_arrays(arrays, valid_metadata()).findings}
    assert from_file == in_memory and from_file


def test_contract_extension_from_configuration(tmp_path, base):
    from pytest_npzcontract import DATA_001

    contract = DATA_001.extended({"required": ["mask"],
                                  "keys": {"scan_index": {"dtypes": ["int32"]}}})
    path = _write(tmp_path, base)
    rules = {(f.key, f.rule) for f in check_file(path, contract=contract).findings}
    assert rules == {("mask", "missing-key"), ("scan_index", "bad-dtype")}
    with pytest.raises(ValueError, match="unknown field 'dtype'"):
        DATA_001.extended({"keys": {"mask": {"dtype": ["bool"]}}})
    with pytest.raises(ValueError, match="unknown dtype 'float33'"):
        DATA_001.extended({"keys": {"mask": {"dtypes": ["float33"]}}})


@pytest.mark.parametrize("physics", [["x"], "1e6", 5, None])
def test_malformed_metadata_sections_are_findings_not_crashes(tmp_path, base, physics):
    meta = np.array(json.dumps({"physics_parameters": physics, "training_parameters": "abc"}))
    path = _write(tmp_path, base, meta)
    report = check_file(path, config={"nphotons": 1e6, "N": 64})
    assert _rules(report) == {"metadata-schema"}  # and no AttributeError from the config check
    assert report.metadata["training_parameters"] == "abc"
