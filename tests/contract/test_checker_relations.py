"""Relations between keys where the usual anchor is missing or shaped otherwise: no
diffraction (the first per-image key counts the images), no per-image key at all, frames with
an extra trailing axis (allowed by the contract), a profile accepting any frame size, and
(H, W, n)-looking frames that are not square (not taken for a transposed layout)."""

from __future__ import annotations

import numpy as np
from rawnpz import valid_arrays, valid_metadata

from pytest_npzcontract import check_arrays
from pytest_npzcontract.contract.profiles import PROFILES, derive_profile

BASE = valid_arrays()                   # n = 4 frames of 64 x 64


def findings(arrays, meta=None, **kwargs) -> list[tuple]:
    report = check_arrays(arrays, meta or valid_metadata(), mode="warn", values=False, **kwargs)
    return [(f.key, f.rule, f.message) for f in report.findings]


def without(*keys) -> dict:
    return {k: v for k, v in BASE.items() if k not in keys}


def test_without_diffraction_the_first_per_image_key_counts_the_images():
    arrays = dict(without("diffraction"), ycoords=BASE["ycoords"][:3])
    assert findings(arrays)[1:] == [
        ("ycoords", "n-images-mismatch", "ycoords has 3 entries but xcoords has 4 images")]


def test_no_per_image_key_at_all_is_only_missing_keys():
    arrays = {"objectGuess": BASE["objectGuess"], "probeGuess": BASE["probeGuess"]}
    assert [(key, rule) for key, rule, _ in findings(arrays)] == [
        ("diffraction", "missing-key"), ("xcoords", "missing-key"), ("ycoords", "missing-key")]


def test_frames_with_a_trailing_axis_compare_by_their_height_and_width():
    # ground_truth_patches may be (n, N, N, 1); a custom profile may allow 4-D diffraction
    assert findings(dict(BASE, ground_truth_patches=BASE["Y"][..., None])) == []
    small = BASE["Y"][:, :32, :32, None]
    assert findings(dict(BASE, ground_truth_patches=small)) == [
        ("ground_truth_patches", "shape-mismatch", "ground_truth_patches frames are 32x32 but "
         "diffraction frames are 64x64")]
    four = derive_profile("four", {"extends": "canonical",
                                   "keys": {"diffraction": {"ndim": [3, 4]}}})
    arrays = dict(BASE, diffraction=BASE["diffraction"][..., None])
    assert findings(arrays, profile="four", profiles={**PROFILES, "four": four}) == []


def test_a_profile_with_no_sizes_accepts_any_frame_size():
    arrays = dict(BASE, diffraction=BASE["diffraction"][:, :32, :32],
                  probeGuess=BASE["probeGuess"][:32, :32], Y=BASE["Y"][:, :32, :32])
    anyn = derive_profile("anyn", {"extends": "canonical", "sizes": []})
    assert findings(arrays, valid_metadata(N=32), profile="anyn",
                    profiles={**PROFILES, "anyn": anyn}) == []
    assert [rule for _, rule, _ in findings(arrays, valid_metadata(N=32))] == [
        "unsupported-size"]


def test_non_square_frames_with_n_last_are_not_taken_for_transposed():
    arrays = dict(BASE, diffraction=np.transpose(BASE["diffraction"], (1, 2, 0))[:, :32, :])
    rules = [rule for _, rule, _ in findings(arrays)]
    assert "transposed-layout" not in rules
    assert ("diffraction", "shape-mismatch", "diffraction frames are 32x4; frames must be "
            "square N x N") in findings(arrays)


def test_diffraction_that_is_not_per_image_does_not_count_the_images():
    mean = derive_profile("mean", {"extends": "canonical",
                                   "keys": {"diffraction": {"per_image": False}}})
    arrays = dict(BASE, diffraction=BASE["diffraction"][:1])      # one averaged pattern
    assert findings(arrays, profile="mean", profiles={**PROFILES, "mean": mean}) == []
    assert ("xcoords", "n-images-mismatch", "xcoords has 4 entries but diffraction has 1 "
            "images") in findings(arrays)                  # canonical: one image per frame
