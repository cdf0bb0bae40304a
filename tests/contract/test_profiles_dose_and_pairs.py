"""Custom profiles' ``single_dose`` (given, inherited, refused) and the exact wording of an
unknown scaling pair, which lists the supported pairs."""

from __future__ import annotations

import pytest

from pytest_npzcontract.contract.profiles import (
    PROFILES,
    derive_profile,
    profile_from_scale,
    resolve_profile,
)


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


def test_a_partial_scaling_pair_names_what_is_recorded_and_what_is_not():
    assert profile_from_scale(("ci_intensity_v2", None)) == (
        None, "partial scaling pair: scale_contract_version is ci_intensity_v2 but "
              "measurement_domain is not recorded")
    assert profile_from_scale((None, "count_intensity")) == (
        None, "partial scaling pair: measurement_domain is count_intensity but "
              "scale_contract_version is not recorded")


def test_profiles_resolve_from_the_registry_given():
    mine = derive_profile("mine", {"extends": "raw"})
    assert resolve_profile("mine", {**PROFILES, "mine": mine}) is mine
    assert resolve_profile("raw") is PROFILES["raw"]
    with pytest.raises(ValueError) as info:
        resolve_profile("mine")
    assert str(info.value) == ("unknown profile 'mine' (choose from canonical, train, raw, "
                               "count-intensity)")
