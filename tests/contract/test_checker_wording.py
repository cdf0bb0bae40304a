"""The exact wording (message and fix hint) of every structural finding the checker itself
writes: keys, dtypes, layouts and the relations between keys, one broken thing per case.
Users act on these lines (and ``lint --fix`` lines quote the hints), so they are pinned."""

from __future__ import annotations

import numpy as np
import pytest
from rawnpz import valid_arrays, valid_metadata

from pytest_npzcontract import check_arrays

BASE = valid_arrays()                   # diffraction (4, 64, 64), objectGuess 128x128, ...
MIGRATE = "run `npzcontract migrate --in-place FILE`"
RESHAPE = "reshape to the documented layout"
SAME_N = "make diffraction frames, probe and patches the same N x N"


def changed(**arrays) -> dict:
    out = dict(BASE, **{k: v for k, v in arrays.items() if v is not None})
    return {k: v for k, v in out.items() if arrays.get(k, 0) is not None}


d, probe, y = BASE["diffraction"], BASE["probeGuess"], BASE["Y"]

CASES = {
    "legacy diff3d": (changed(diffraction=None, diff3d=(d ** 2).astype(np.uint16)), [(
        "diff3d", "legacy-key", "legacy key 'diff3d' (raw diffraction, often uint16 "
        "intensity); the canonical key is 'diffraction'",
        f"{MIGRATE} (renames it to 'diffraction')")]),
    "missing probe": (changed(probeGuess=None), [(
        "probeGuess", "missing-key", "required key 'probeGuess' is missing (probe, same H x W "
        "as diffraction frames)", "write 'probeGuess' with layout (N, N)")]),
    "top-level nphotons": (changed(nphotons=np.array(1e6)), [(
        "nphotons", "legacy-key", "top-level 'nphotons' array is the legacy way to record the "
        "dose", f"{MIGRATE} (moves it to _metadata.physics_parameters.nphotons)")]),
    "float64 amplitude": (changed(diffraction=d.astype(np.float64)), [(
        "diffraction", "dtype-precision", "dtype float64 where the contract expects float32: "
        "the same kind at a wider precision",
        f"cast when writing: arr.astype('float32'), or {MIGRATE}")]),
    "integer amplitude": (changed(diffraction=d.astype(np.int32)), [(
        "diffraction", "bad-dtype", "dtype int32 where the contract expects float32",
        "run `npzcontract migrate --in-place --sqrt FILE` (stores sqrt(counts)), or use "
        "profile count-intensity")]),
    "real object": (changed(objectGuess=BASE["objectGuess"].real.astype(np.float32)), [(
        "objectGuess", "bad-dtype", "dtype float32 where the contract expects complex64",
        "cast when writing: arr.astype('complex64')")]),
    "integer object": (changed(objectGuess=np.ones((128, 128), np.int32)), [(
        "objectGuess", "bad-dtype", "dtype int32 where the contract expects complex64",
        "cast when writing: arr.astype('complex64')")]),       # the sqrt fix is for amplitudes
    "3-D probe": (changed(probeGuess=probe[None]), [(
        "probeGuess", "bad-ndim", "probeGuess is 3-D (1, 64, 64); expected (N, N)", RESHAPE)]),
    "4-D Y": (changed(Y=y[..., None]), [(
        "Y", "legacy-key", "Y is 4-D (4, 64, 64, 1) with a trailing axis of 1 (legacy "
        "layout); expected (n, N, N)", f"{MIGRATE} (squeezes the last axis)")]),
    "4-D Y of small frames": (changed(Y=y[:, :32, :32, None]), [
        ("Y", "legacy-key", "Y is 4-D (4, 32, 32, 1) with a trailing axis of 1 (legacy "
         "layout); expected (n, N, N)", f"{MIGRATE} (squeezes the last axis)"),
        ("Y", "shape-mismatch", "Y frames are 32x32 but diffraction frames are 64x64", SAME_N)]),
    "4-D Y, last axis 2": (changed(Y=np.repeat(y[..., None], 2, -1)), [(
        "Y", "bad-ndim", "Y is 4-D (4, 64, 64, 2); expected (n, N, N)", RESHAPE)]),
    "2-D xcoords": (changed(xcoords=BASE["xcoords"][:, None]), [(
        "xcoords", "bad-ndim", "xcoords is 2-D (4, 1); expected (n,)", RESHAPE)]),
    "(H, W, n) frames": (changed(diffraction=np.transpose(d, (1, 2, 0))), [(
        "diffraction", "transposed-layout", "diffraction is 64x64x4: frames stored (H, W, n) "
        "with n=4 last; expected (n, N, N)",
        f"np.transpose(diffraction, (2, 0, 1)) when writing, or {MIGRATE}")]),
    "short xcoords": (changed(xcoords=BASE["xcoords"][:3]), [(
        "xcoords", "n-images-mismatch", "xcoords has 3 entries but diffraction has 4 images",
        "slice every per-image array with the same index")]),
    "non-square frames": (changed(diffraction=d[:, :, :32]), [
        ("diffraction", "shape-mismatch", "diffraction frames are 64x32; frames must be "
         "square N x N", SAME_N),
        ("probeGuess", "shape-mismatch", "probeGuess is 64x64 but diffraction frames are "
         "64x32; they must be equal (the model's N)", SAME_N),
        ("Y", "shape-mismatch", "Y frames are 64x64 but diffraction frames are 64x32", SAME_N)]),
    "small Y": (changed(Y=y[:, :32, :32]), [(
        "Y", "shape-mismatch", "Y frames are 32x32 but diffraction frames are 64x64", SAME_N)]),
    "small object": (changed(objectGuess=BASE["objectGuess"][:40, :40]), [(
        "objectGuess", "shape-mismatch", "objectGuess is 40x40, smaller than one 64x64 frame; "
        "patches cannot be cut from it", SAME_N)]),
}


@pytest.mark.parametrize("case", CASES)
def test_each_finding_is_worded_and_hinted(case):
    arrays, expected = CASES[case]
    report = check_arrays(arrays, valid_metadata(), mode="warn", values=False)
    assert [(f.key, f.rule, f.message, f.hint) for f in report.findings] == expected


def test_an_unsupported_frame_size_names_the_profiles_sizes():
    arrays = changed(diffraction=d[:, :32, :32], probeGuess=probe[:32, :32], Y=y[:, :32, :32])
    report = check_arrays(arrays, valid_metadata(N=32), mode="warn", values=False)
    assert [(f.key, f.rule, f.message, f.hint) for f in report.findings] == [(
        "diffraction", "unsupported-size", "N=32 is not one of (64, 128, 256), the sizes the "
        "canonical profile's model accepts",
        "resample or crop to a supported N, or use a profile with other sizes")]


@pytest.mark.parametrize("rows, cols, refused", [
    (64, 64, False), (63, 64, True), (64, 63, True), (64, 200, False)])
def test_the_object_must_hold_one_whole_frame(rows, cols, refused):
    obj = np.ones((rows, cols), np.complex64)
    report = check_arrays(changed(objectGuess=obj), valid_metadata(), values=False)
    assert ("shape-mismatch" in report.rules()) is refused


def test_a_key_outside_the_contract_does_not_end_the_layout_checks():
    arrays = {"notes": np.ones(3), **changed(probeGuess=probe[None])}   # the unknown key first
    report = check_arrays(arrays, valid_metadata(), mode="warn", values=False)
    assert [(f.key, f.rule) for f in report.findings] == [("probeGuess", "bad-ndim")]


def test_every_key_with_the_wrong_ndim_gets_its_finding():
    arrays = changed(probeGuess=probe[None], xcoords=BASE["xcoords"][:, None],
                     Y=np.repeat(y[..., None], 2, -1))
    report = check_arrays(arrays, valid_metadata(), mode="warn", values=False)
    assert [(f.key, f.rule) for f in report.findings] == [
        ("probeGuess", "bad-ndim"), ("xcoords", "bad-ndim"), ("Y", "bad-ndim")]


def test_the_image_count_comes_from_a_contract_key_not_any_1d_array():
    # "weights" (3 entries, no contract key) comes first; n = 4 is still xcoords' length
    arrays = {"weights": np.ones(3), **changed(diffraction=np.transpose(d, (1, 2, 0)))}
    report = check_arrays(arrays, valid_metadata(), mode="warn", values=False)
    assert [(f.key, f.rule) for f in report.findings] == [("diffraction", "transposed-layout")]
