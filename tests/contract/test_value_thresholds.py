"""The value advisories' cut-offs, pinned at and beside their values (mutation testing showed
no test noticed moving them): not-normalized fires from a maximum amplitude of exactly 10;
whole numbers look like counts from a maximum of exactly 3; integer frames always do; empty
frames say nothing and a one-element array is judged like any other.

The metadata records no nphotons, so the dose estimate has nothing to compare and the
shape-and-range heuristic alone speaks."""

from __future__ import annotations

import numpy as np
import pytest
from rawnpz import valid_arrays, valid_metadata, write_members

from pytest_npzcontract import check_arrays, check_file

INTENSITY, NORMALIZED = "intensity-not-amplitude", "not-normalized"


@pytest.fixture(scope="module")
def base():
    return valid_arrays()


@pytest.fixture(scope="module")
def meta():
    meta = valid_metadata()
    del meta["physics_parameters"]["nphotons"]
    return meta


@pytest.fixture(scope="module")
def unit(base):
    """The valid frames scaled to a maximum of 1 (not whole numbers)."""
    d = base["diffraction"]
    return (d / d.max()).astype(np.float32)


def findings(base, meta, frames, rule, mode="warn"):
    arrays = dict(base, diffraction=frames)
    return [f for f in check_arrays(arrays, meta, mode=mode).findings if f.rule == rule]


def with_max(frames, value):
    out = frames.copy()
    out[0, 0, 0] = value
    return out


@pytest.mark.parametrize("peak, fires", [(9.999, False), (10.0, True), (10.5, True)])
def test_not_normalized_fires_from_exactly_10(base, meta, unit, peak, fires):
    found = findings(base, meta, with_max(unit, peak), NORMALIZED)
    assert bool(found) is fires
    if fires:
        (f,) = found
        assert f.key == "diffraction" and f.severity == "warning"
        assert f.message.startswith(f"max amplitude {peak:g} >= 10; ")
        assert "normalized amplitudes" in f.message


def test_not_normalized_is_silent_for_normalized_data(base, meta, unit):
    assert findings(base, meta, unit, NORMALIZED) == []
    assert findings(base, meta, unit, INTENSITY) == []


def test_not_normalized_is_advisory_in_strict_and_info_in_permissive(base, meta, unit):
    frames = with_max(unit, 10.0)
    assert [f.severity for f in findings(base, meta, frames, NORMALIZED, "strict")] == ["warning"]
    assert [f.severity for f in findings(base, meta, frames, NORMALIZED, "permissive")] == ["info"]


def whole(peak, *others):
    frames = np.zeros((4, 64, 64), np.float32)
    frames[0, 0, :len(others) + 1] = [peak, *others]
    return frames


@pytest.mark.parametrize("frames, fires", [
    (whole(2.0, 1.0), False),          # whole numbers, max 2: could be amplitudes
    (whole(3.0, 1.0), True),           # max exactly 3: counts
    (whole(4.0, 2.0, 1.0), True),
    (whole(3.5, 1.0), False),          # not whole numbers
    (whole(3.0, 0.5), False),          # one fraction is enough
])
def test_whole_numbers_look_like_counts_from_a_maximum_of_3(base, meta, frames, fires):
    found = findings(base, meta, frames, INTENSITY)
    assert bool(found) is fires
    if fires:
        (f,) = found
        assert f.key == "diffraction" and f.severity == "warning"
        assert f.message == (f"values are whole numbers up to {frames.max():g}: this looks like "
                             "photon counts (intensity), not amplitude sqrt(intensity)")


def test_integer_frames_look_like_counts_whatever_their_values(base, meta):
    found = findings(base, meta, np.zeros((4, 64, 64), np.uint16), INTENSITY)
    assert [f.message.split(":")[0] for f in found] == ["values are whole numbers up to 0"]
    assert findings(base, meta, np.ones((4, 64, 64), np.int32), INTENSITY)


@pytest.mark.parametrize("dtype", [np.float32, np.uint16])
def test_empty_frames_give_no_value_advisory(base, meta, dtype):
    for rule in (INTENSITY, NORMALIZED, "non-finite", "negative-amplitude"):
        assert findings(base, meta, np.zeros((0, 64, 64), dtype), rule) == []


def test_one_element_array_is_judged_by_its_one_value(base, meta):
    assert [f.message.split(";")[0] for f in
            findings(base, meta, np.full((1, 1, 1), 10, np.float32), NORMALIZED)] == \
        ["max amplitude 10 >= 10"]
    assert findings(base, meta, np.full((1, 1, 1), 9.5, np.float32), NORMALIZED) == []
    assert findings(base, meta, np.full((1, 1, 1), 0.5, np.float32), INTENSITY) == []
    (neg,) = findings(base, meta, np.full((1, 1, 1), -2, np.float32), "negative-amplitude")
    assert neg.message == "1 negative value(s) (min -2); amplitudes and intensities are >= 0"


def test_thresholds_hold_in_files_too(tmp_path, base, meta, unit):
    import json
    members = dict(base, diffraction=with_max(unit, 10.0),
                   _metadata=np.array(json.dumps(meta)))
    report = check_file(write_members(tmp_path / "ten.npz", members), mode="warn")
    assert NORMALIZED in report.rules() and INTENSITY not in report.rules()
    members["diffraction"] = whole(3.0)
    report = check_file(write_members(tmp_path / "three.npz", members), mode="warn")
    assert INTENSITY in report.rules() and NORMALIZED not in report.rules()
