"""The dataset factory: valid and physically plausible by default, any defect on request."""

from __future__ import annotations

import numpy as np
import pytest

from pytest_npzcontract import check_file, load_npz
from pytest_npzcontract.physics.factory import LEGACY_FORMS, write_dataset


def _rules(path, **kwargs) -> set[str]:
    return {f.rule for f in check_file(path, **kwargs).findings}


def test_default_dataset_is_canonical_and_passes_strict(tmp_path):
    path = write_dataset(tmp_path / "train.npz")
    assert path == tmp_path / "train.npz"
    arrays, metadata = load_npz(path)
    assert {k: (v.shape, v.dtype.name) for k, v in arrays.items()} == {
        "diffraction": ((8, 64, 64), "float32"),
        "Y": ((8, 64, 64), "complex64"),
        "objectGuess": ((128, 128), "complex64"),
        "probeGuess": ((64, 64), "complex64"),
        "xcoords": ((8,), "float64"),
        "ycoords": ((8,), "float64"),
        "scan_index": ((8,), "int64"),
    }
    assert metadata["physics_parameters"] == {"nphotons": 1e9, "N": 64, "gridsize": 1}
    assert metadata["simulation_parameters"]["n_images"] == 8
    assert check_file(path, mode="strict").findings == []


@pytest.mark.parametrize("nphotons", [1e4, 1e6, 1e9])
def test_photons_per_pattern_match_the_requested_nphotons(tmp_path, nphotons):
    path = write_dataset(tmp_path / "d.npz", n_images=16, N=32, nphotons=nphotons)
    arrays, metadata = load_npz(path)
    measured = metadata["simulation_parameters"]["photons_per_pattern"]
    assert measured == pytest.approx(nphotons, rel=0.01)
    # The stored amplitude is sqrt(counts)/s: its energy matches the exit waves' (Parseval),
    # up to Poisson noise, so the diffraction really comes from this object and probe.
    exit_energy = np.sum(np.abs(arrays["Y"] * arrays["probeGuess"]) ** 2, axis=(1, 2))
    diff_energy = np.sum(arrays["diffraction"].astype(np.float64) ** 2, axis=(1, 2))
    assert diff_energy.mean() == pytest.approx(exit_energy.mean(), rel=0.02)


def test_coordinates_are_inside_the_object_and_Y_is_the_patch_there(tmp_path):
    arrays, _ = load_npz(write_dataset(tmp_path / "d.npz", n_images=9, N=32, seed=5))
    size, n = arrays["objectGuess"].shape[0], 32
    for i, (x, y) in enumerate(zip(arrays["xcoords"], arrays["ycoords"], strict=True)):
        assert n // 2 <= x <= size - n // 2 and n // 2 <= y <= size - n // 2
        x0, y0 = int(x) - n // 2, int(y) - n // 2
        np.testing.assert_array_equal(arrays["Y"][i], arrays["objectGuess"][y0:y0 + n, x0:x0 + n])


@pytest.mark.parametrize(("legacy", "key", "shape", "dtype", "rules"), [
    ("diff3d", "diff3d", (8, 64, 64), "float32", {"legacy-key"}),
    ("uint16", "diffraction", (8, 64, 64), "uint16",
     {"bad-dtype", "intensity-not-amplitude", "not-normalized"}),
    ("4d-Y", "Y", (8, 64, 64, 1), "complex64", {"legacy-key"}),
    ("pickled-metadata", "diffraction", (8, 64, 64), "float32", {"pickled-metadata"}),
])
def test_each_legacy_form(tmp_path, legacy, key, shape, dtype, rules):
    path = write_dataset(tmp_path / "old.npz", nphotons=1e4, legacy=[legacy])
    arrays, metadata = load_npz(path)
    assert (arrays[key].shape, arrays[key].dtype.name) == (shape, dtype)
    assert metadata["physics_parameters"]["nphotons"] == 1e4
    assert _rules(path) == rules


def test_uint16_counts_are_the_rounded_photon_counts(tmp_path):
    amplitude, _ = load_npz(write_dataset(tmp_path / "a.npz", nphotons=1e4, seed=2))
    counts, _ = load_npz(write_dataset(tmp_path / "c.npz", nphotons=1e4, seed=2,
                                       legacy="uint16"))
    photons = counts["diffraction"].astype(np.float64).sum(axis=(1, 2)).mean()
    assert photons == pytest.approx(1e4, rel=0.02)
    ratio = counts["diffraction"].astype(np.float64) / np.maximum(
        amplitude["diffraction"].astype(np.float64) ** 2, 1e-30)
    scale2 = np.median(ratio[counts["diffraction"] > 0])  # s^2, the same for every pixel
    np.testing.assert_allclose(amplitude["diffraction"] ** 2 * scale2, counts["diffraction"],
                               rtol=1e-4, atol=1e-3)


def test_pickled_metadata_is_written_as_the_reference_did(tmp_path):
    path = write_dataset(tmp_path / "p.npz", legacy="pickled-metadata")
    with np.load(path) as data, pytest.raises(ValueError, match="Object arrays cannot be loaded"):
        data["_metadata"]
    _, metadata = load_npz(path)
    assert metadata["physics_parameters"]["nphotons"] == 1e9


def test_all_legacy_forms_at_once_is_the_raw_reference_layout(tmp_path):
    arrays, metadata = load_npz(write_dataset(tmp_path / "raw.npz", nphotons=1e4,
                                              legacy=LEGACY_FORMS))
    assert arrays["diff3d"].dtype == np.uint16 and "diffraction" not in arrays
    assert arrays["Y"].ndim == 4 and metadata is not None


@pytest.mark.parametrize(("kwargs", "rule"), [
    ({"drop": ["probeGuess"]}, "missing-key"),
    ({"overrides": {"diffraction": np.ones((8, 64, 64))}}, "dtype-precision"),
    ({"overrides": {"diffraction": np.ones((8, 64, 64), np.float16)}}, "bad-dtype"),
    ({"overrides": {"objectGuess": np.ones((2, 128, 128), np.complex64)}}, "bad-ndim"),
    ({"overrides": {"probeGuess": np.ones((32, 32), np.complex64)}}, "shape-mismatch"),
    ({"overrides": {"xcoords": np.zeros(7)}}, "n-images-mismatch"),
    ({"overrides": {"diffraction": np.full((8, 64, 64), np.nan, np.float32)}}, "non-finite"),
    ({"overrides": {"diffraction": -np.ones((8, 64, 64), np.float32)}}, "negative-amplitude"),
    ({"overrides": {"junk": np.array([{"a": 1}], dtype=object)}}, "unsafe-object-array"),
    ({"overrides": {"_metadata": np.array("not json")}}, "metadata-invalid"),
    ({"metadata": {"physics_parameters": {"nll_weight": float("nan")}}}, "metadata-invalid"),
    ({"metadata": {"physics_parameters": {"nphotons": -1}}}, "metadata-schema"),
    ({"metadata": {"physics_parameters": {"N": 128}}}, "parameter-mismatch"),
    ({"metadata": False}, "metadata-missing"),
    ({"drop": ["_metadata"]}, "metadata-missing"),
    ({"metadata": False, "nphotons": 1e6, "overrides": {"nphotons": np.array(1e6)}},
     "legacy-key"),
])
def test_overrides_and_drop_produce_exactly_one_violation(tmp_path, kwargs, rule):
    assert _rules(write_dataset(tmp_path / "bad.npz", **kwargs)) == {rule}


def test_metadata_dict_is_deep_merged(tmp_path):
    path = write_dataset(tmp_path / "m.npz", metadata={
        "physics_parameters": {"probe_trainable": True}, "additional_parameters": {"run": 7}})
    _, metadata = load_npz(path)
    assert metadata["physics_parameters"] == {"nphotons": 1e9, "N": 64, "gridsize": 1,
                                              "probe_trainable": True}
    assert metadata["additional_parameters"] == {"run": 7}


def test_deterministic_for_a_seed(tmp_path):
    a, _ = load_npz(write_dataset(tmp_path / "a.npz", seed=11))
    b, _ = load_npz(write_dataset(tmp_path / "b.npz", seed=11))
    c, _ = load_npz(write_dataset(tmp_path / "c.npz", seed=12))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["diffraction"], c["diffraction"])


def test_with_Y_false_and_shape_options(tmp_path):
    arrays, metadata = load_npz(write_dataset(tmp_path / "d.npz", n_images=3, N=32,
                                              gridsize=2, with_Y=False))
    assert "Y" not in arrays and arrays["diffraction"].shape == (3, 32, 32)
    assert metadata["physics_parameters"]["gridsize"] == 2


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"legacy": ["diff4d"]}, "unknown legacy form(s) 'diff4d' (choose from diff3d, uint16, "
                             "pickled-metadata, 4d-Y)"),
    ({"legacy": "uint16"}, "legacy 'uint16' stores photon counts: at nphotons=1e+09 the "
                           "brightest pixel holds"),
    ({"legacy": ["4d-Y"], "with_Y": False}, "legacy '4d-Y' needs Y"),
    ({"legacy": ["pickled-metadata"], "metadata": False}, "legacy 'pickled-metadata' needs"),
    ({"n_images": 0}, "n_images must be an integer >= 1, not 0"),
    ({"N": 2.5}, "N must be an integer >= 4, not 2.5"),
    ({"nphotons": -1}, "nphotons must be a finite number > 0, not -1"),
    ({"metadata": "yes"}, "metadata must be True, False or a mapping"),
    ({"drop": ["nope"]}, "drop: the dataset has no key 'nope'"),
    ({"drop": ["Y"], "overrides": {"Y": np.zeros(1)}}, "keys both overridden and dropped: Y"),
])
def test_bad_arguments_raise_a_clear_value_error(tmp_path, kwargs, message):
    with pytest.raises(ValueError) as excinfo:
        write_dataset(tmp_path / "x.npz", **kwargs)
    assert str(excinfo.value).startswith(message)
    assert not (tmp_path / "x.npz").exists()


def test_fixture_names_paths_and_seeds_per_test(npz_factory, tmp_path, request):
    first, second = npz_factory(), npz_factory()
    named = npz_factory("sub/train")
    assert (first, second, named) == (tmp_path / "dataset.npz", tmp_path / "dataset_2.npz",
                                      tmp_path / "sub" / "train.npz")
    a, _ = load_npz(first)
    b, _ = load_npz(second)
    assert not np.array_equal(a["diffraction"], b["diffraction"])
    with pytest.raises(ValueError, match="relative path inside tmp_path"):
        npz_factory("../escape.npz")


def test_fixture_is_deterministic_per_test(pytester):
    pytester.makepyfile("""
        import hashlib
        from pytest_npzcontract import load_npz

        def test_digest(npz_factory):
            arrays, _ = load_npz(npz_factory(n_images=2, N=16))
            print("DIGEST", hashlib.sha256(arrays["diffraction"].tobytes()).hexdigest())
    """)
    digests = [[line for line in pytester.runpytest("-s").outlines if "DIGEST" in line]
               for _ in range(2)]
    assert len(digests[0]) == 1 and digests[0] == digests[1]
