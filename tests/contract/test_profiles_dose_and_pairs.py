"""Custom profiles' ``single_dose`` (given, inherited, refused) and the exact wording of an
unknown scaling pair, which lists the supported pairs."""

from __future__ import annotations

import pytest

from pytest_npzcontract.contract.profiles import derive_profile, profile_from_scale


@pytest.mark.parametrize("base, given, single", [
    ("canonical", True, True), ("train", False, False),
    ("canonical", None, False), ("train", None, True), ("raw", None, True),
])
def test_single_dose_is_given_or_inherited(base, given, single):
    spec = {"extends": base, **({} if given is None else {"single_dose": given})}
    assert derive_profile("mine", spec).single_dose is single


def test_a_single_dose_that_is_not_a_flag_is_refused_in_words():
    with pytest.raises(ValueError) as info:
        derive_profile("mine", {"extends": "canonical", "single_dose": "yes"})
    assert str(info.value) == "custom profile 'mine': single_dose must be true or false"


def test_an_unknown_scaling_pair_lists_the_supported_ones():
    assert profile_from_scale(("ci_intensity_v3", "count_intensity")) == (
        None, "unknown scaling pair: 'ci_intensity_v3' / 'count_intensity' (supported: "
              "ci_intensity_v2/count_intensity, legacy_v1/normalized_amplitude)")
    assert profile_from_scale(("legacy_v1", "count_intensity")) == (
        None, "contradictory scaling pair: legacy_v1 with count_intensity (supported: "
              "ci_intensity_v2/count_intensity, legacy_v1/normalized_amplitude)")
