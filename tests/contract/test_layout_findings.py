"""The structural findings of the checker (dtype, ndim, layout, relations between keys), each
with its exact message and hint, on valid arrays broken in one place."""

from __future__ import annotations

import numpy as np
import pytest
from rawnpz import valid_arrays, valid_metadata

from pytest_npzcontract import check_arrays

VALUE_RULES = {"nphotons-inconsistent", "intensity-not-amplitude", "not-normalized"}
MIGRATE = "`npzcontract migrate --in-place FILE`"
SAME_N = "make diffraction frames, probe and patches the same N x N"


@pytest.fixture(scope="module")
def base():
    return valid_arrays()


def findings(base, **changes):
    arrays = dict(base)
    for key, value in changes.items():
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = value(base) if callable(value) else value
    report = check_arrays(arrays, valid_metadata(), mode="warn")
    return [(f.rule, f.key, f.severity, f.message, f.hint) for f in report.findings
            if f.rule not in VALUE_RULES]


CASES = {
    "wider float": (dict(diffraction=lambda b: b["diffraction"].astype(np.float64)), [
        ("dtype-precision", "diffraction", "warning", "dtype float64 where the contract expects "
         "float32: the same kind at a wider precision",
         f"cast when writing: arr.astype('float32'), or run {MIGRATE}")]),
    "wider complex": (dict(probeGuess=lambda b: b["probeGuess"].astype(np.complex128)), [
        ("dtype-precision", "probeGuess", "warning", "dtype complex128 where the contract "
         "expects complex64: the same kind at a wider precision",
         f"cast when writing: arr.astype('complex64'), or run {MIGRATE}")]),
    "integer amplitude": (dict(diffraction=lambda b: b["diffraction"].astype(np.uint16)), [
        ("bad-dtype", "diffraction", "error", "dtype uint16 where the contract expects float32",
         "run `npzcontract migrate --in-place --sqrt FILE` (stores sqrt(counts)), or use "
         "profile count-intensity")]),
    "wrong kind": (dict(Y=np.zeros((4, 64, 64), np.int32)), [
        ("bad-dtype", "Y", "error", "dtype int32 where the contract expects complex64",
         "cast when writing: arr.astype('complex64')")]),
    "2-D frames": (dict(diffraction=lambda b: b["diffraction"][0]), [
        ("bad-ndim", "diffraction", "error", "diffraction is 2-D (64, 64); expected (n, N, N)",
         "reshape to the documented layout")]),
    "legacy 4-D Y": (dict(Y=lambda b: b["Y"][..., None]), [
        ("legacy-key", "Y", "warning", "Y is 4-D (4, 64, 64, 1) with a trailing axis of 1 "
         "(legacy layout); expected (n, N, N)",
         f"run {MIGRATE} (squeezes the last axis)")]),
    "4-D Y": (dict(Y=lambda b: np.repeat(b["Y"][..., None], 2, axis=-1)), [
        ("bad-ndim", "Y", "error", "Y is 4-D (4, 64, 64, 2); expected (n, N, N)",
         "reshape to the documented layout")]),
    "transposed": (dict(diffraction=lambda b: np.ascontiguousarray(
            np.transpose(b["diffraction"], (1, 2, 0)))), [
        ("transposed-layout", "diffraction", "warning", "diffraction is 64x64x4: frames stored "
         "(H, W, n) with n=4 last; expected (n, N, N)",
         f"np.transpose(diffraction, (2, 0, 1)) when writing, or run {MIGRATE}")]),
    "not square": (dict(diffraction=lambda b: b["diffraction"][:, :, :32].copy()), [
        ("shape-mismatch", "diffraction", "error", "diffraction frames are 64x32; frames must "
         "be square N x N", SAME_N),
        ("shape-mismatch", "probeGuess", "error", "probeGuess is 64x64 but diffraction frames "
         "are 64x32; they must be equal (the model's N)", SAME_N),
        ("shape-mismatch", "Y", "error", "Y frames are 64x64 but diffraction frames are 64x32",
         SAME_N)]),
    "small object": (dict(objectGuess=lambda b: b["objectGuess"][:64, :63].copy()), [
        ("shape-mismatch", "objectGuess", "error", "objectGuess is 64x63, smaller than one "
         "64x64 frame; patches cannot be cut from it", SAME_N)]),
    "object one frame": (dict(objectGuess=lambda b: b["objectGuess"][:64, :64].copy()), []),
    "short coordinates": (dict(xcoords=lambda b: b["xcoords"][:3].copy()), [
        ("n-images-mismatch", "xcoords", "error", "xcoords has 3 entries but diffraction has 4 "
         "images", "slice every per-image array with the same index")]),
    "top-level nphotons": (dict(nphotons=np.array(1e6)), [
        ("legacy-key", "nphotons", "warning", "top-level 'nphotons' array is the legacy way to "
         "record the dose", f"run {MIGRATE} (moves it to _metadata.physics_parameters.nphotons)")]),
    "no frames": (dict(diffraction=None), [
        ("missing-key", "diffraction", "error", "required key 'diffraction' is missing "
         "(amplitude sqrt(intensity), finite, >= 0)",
         "write 'diffraction' with layout (n, N, N)")]),
    "legacy frames key": (dict(diffraction=None, diff3d=lambda b: b["diffraction"]), [
        ("legacy-key", "diff3d", "warning", "legacy key 'diff3d' (raw diffraction, often uint16 "
         "intensity); the canonical key is 'diffraction'",
         f"run {MIGRATE} (renames it to 'diffraction')")]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_structural_finding_is_said_exactly(base, case):
    changes, expected = CASES[case]
    assert findings(base, **changes) == expected


def test_an_unsupported_frame_size_names_the_profiles_sizes(base):
    small = {k: (v[:, :32, :32].copy() if k in ("diffraction", "Y") else v)
             for k, v in base.items()}
    small["probeGuess"] = base["probeGuess"][:32, :32].copy()
    found = findings(small)
    assert ("unsupported-size", "diffraction", "warning", "N=32 is not one of (64, 128, 256), "
            "the sizes the canonical profile's model accepts",
            "resample or crop to a supported N, or use a profile with other sizes") in found
    assert ("parameter-mismatch", "N", "warning", "metadata says N=64 but the diffraction "
            "frames are 32x32", "fix physics_parameters.N") in found


def test_a_cube_with_as_many_frames_as_pixels_is_not_called_transposed(base):
    square = {k: v for k, v in base.items() if k not in ("xcoords", "ycoords", "scan_index")}
    cube = np.ascontiguousarray(np.transpose(base["diffraction"], (1, 2, 0)))
    assert not any(f[0] == "transposed-layout" for f in findings(square, diffraction=cube))
