"""What counts as a recorded nphotons, and how values are said in messages: booleans and text
count as recorded (invalid: the schema says so) but never as a dose; huge integers are named
by their size; floats switch to %g outside 1e-3..1e5; every source must record a dose."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from pytest_npzcontract.metadata.parameters import (
    config_value,
    missing_message,
    missing_parameters,
    recorded_nphotons,
    scale_pair,
    section,
    validate_parameters,
)


def physics(**values):
    return {"physics_parameters": values}


@pytest.mark.parametrize("value", [True, False])
def test_a_boolean_nphotons_is_recorded_as_itself_not_as_a_number(value):
    recorded = recorded_nphotons(physics(nphotons=value))
    assert recorded is value
    assert missing_parameters(physics(nphotons=value)) == []


@pytest.mark.parametrize("value", ["1e6", [1e6], {"value": 1e6}])
def test_a_non_numeric_nphotons_counts_as_recorded(value):
    assert recorded_nphotons(physics(nphotons=value)) == value
    assert missing_parameters(physics(nphotons=value)) == []


def test_numbers_are_recorded_as_floats():
    for value in (1000000, 1e6):
        recorded = recorded_nphotons(physics(nphotons=value))
        assert recorded == 1e6 and type(recorded) is float


def source(nphotons=None, nested=None):
    entry = {"path": "s.npz"}
    if nphotons is not None:
        entry["nphotons"] = nphotons
    if nested is not None:
        entry["metadata"] = physics(nphotons=nested)
    return entry


@pytest.mark.parametrize("sources, expected", [
    ([source(1e6), source(nested=1e9)], [1e6, 1e9]),
    ([source(1e6, nested=5.0)], [1e6]),              # the entry's own wins over its metadata
    ([source(2, nested=None)], [2.0]),
    ([source(True)], [True]),                        # invalid, recorded as is
    ([source(1e6), source()], None),                 # every source must record one
    ([source(1e6), "a.npz"], None),                  # an entry that is not an object
    ([source(1e6), None], None),
    ([], None),
    ({"0": source(1e6)}, None),                      # not a list
])
def test_a_merged_file_records_a_dose_only_when_every_source_does(sources, expected):
    recorded = recorded_nphotons({"source_datasets": sources})
    assert recorded == expected
    if expected is not None:
        assert [type(v) for v in recorded] == [type(v) for v in expected]
    assert missing_parameters({"source_datasets": sources}) == \
        ([] if expected is not None else ["nphotons"])


def test_the_top_level_dose_wins_and_a_null_one_defers_to_the_sources():
    merged = {"physics_parameters": {"nphotons": 5.0}, "source_datasets": [source(1e6)]}
    assert recorded_nphotons(merged) == 5.0
    merged["physics_parameters"]["nphotons"] = None
    assert recorded_nphotons(merged) == [1e6]
    assert recorded_nphotons(None) is None and recorded_nphotons([1e6]) is None


def test_missing_parameters_names_what_the_configuration_asks_for():
    assert missing_parameters(physics(nphotons=1e6), {"N": 64, "gridsize": 1}) == \
        ["N", "gridsize"]
    assert missing_parameters(physics(nphotons=1e6, N=None), SimpleNamespace(N=64)) == ["N"]
    assert missing_parameters(physics(nphotons=1e6, N=64), {"N": 64, "gridsize": None}) == []
    assert missing_parameters({}, {"nphotons": 1e9}) == ["nphotons"]
    # physics_parameters not an object: a schema problem, not a missing parameter
    assert missing_parameters({"physics_parameters": [1e6]}, {"N": 64}) == []
    assert missing_parameters({"physics_parameters": None}, {"N": 64}) == []


def test_missing_messages_say_what_the_configuration_expects():
    assert missing_message("N", {"N": 64}) == \
        "metadata records no physics_parameters.N; the configuration expects 64"
    assert missing_message("gridsize") == "metadata records no physics_parameters.gridsize"
    assert missing_message("nphotons", {"nphotons": 1e9}) == (
        "metadata records no physics_parameters.nphotons; the configuration expects 1e+09 "
        "(readers that default it, e.g. to 1e9, would silently use the wrong dose)")
    assert missing_message("nphotons", {}) == (
        "metadata records no physics_parameters.nphotons (readers that default it, e.g. to "
        "1e9, would silently use the wrong dose)")


@pytest.mark.parametrize("stored, shown", [
    (10 ** 40, "an integer of 133 bits"),
    (10 ** 30, "an integer of 100 bits"),
    (10 ** 30 - 1, "9" * 30),
    (-(10 ** 30), "an integer of 100 bits"),
    (10 ** 400, "an integer of 1329 bits"),
])
def test_huge_integers_are_named_by_their_size(stored, shown):
    (m,) = validate_parameters(physics(N=stored), {"N": 64})
    assert m.message == f"N: dataset={shown}, config=64 (must match exactly)"
    assert m.dataset == stored


def test_a_huge_integer_dose_that_overflows_a_float_is_still_a_mismatch():
    (m,) = validate_parameters(physics(nphotons=10 ** 400), {"nphotons": 1e6})
    assert m.message == ("nphotons: dataset=an integer of 1329 bits, config=1e+06 "
                         "(relative tolerance 1e-06)")
    assert validate_parameters(physics(nphotons=10 ** 400), {"nphotons": 10 ** 400}) == []


@pytest.mark.parametrize("stored, shown", [
    (1e5, "100000"), (99999.5, "99999.5"), (-2e5, "-200000"), (123456.789, "123457"),
    (1.23456789e-4, "0.000123457"), (0.00123456789, "0.00123456789"), (0.0, "0.0"),
    (-1.23456789e-4, "-0.000123457"),
])
def test_floats_switch_to_g_outside_1e_minus_3_to_1e5(stored, shown):
    (m,) = validate_parameters(physics(N=stored), {"N": 7})
    assert m.message == f"N: dataset={shown}, config=7 (must match exactly)"


def test_long_values_are_cut_to_80_characters():
    (m,) = validate_parameters(physics(N="x" * 200), {"N": 64})
    assert m.message == f"N: dataset={'x' * 80}, config=64 (must match exactly)"


@pytest.mark.parametrize("stored, wanted, equal", [
    (1e-9, 2e-9, False),            # no absolute tolerance: tiny doses still compared
    (1e6, 1e6 * (1 + 2e-6), False),
    (1e6, 1e6 * (1 + 5e-7), True),
    ("1e6", 1e6, True),             # compared as numbers when both convert
    ("lots", "lots", True),         # else compared as they are
    ("lots", 1e6, False),
    (True, 1.0, True),
])
def test_nphotons_is_compared_with_relative_tolerance_only(stored, wanted, equal):
    found = validate_parameters(physics(nphotons=stored), {"nphotons": wanted})
    assert (found == []) is equal


@pytest.mark.parametrize("stored, wanted, equal", [
    (64, 64.0, True), (64, 64.0000001, False), ("64", 64, True), ([64], 64, False),
])
def test_n_and_gridsize_are_compared_exactly(stored, wanted, equal):
    for name in ("N", "gridsize"):
        found = validate_parameters(physics(**{name: stored}), {name: wanted})
        assert (found == []) is equal


def test_config_values_come_from_the_top_level_then_model():
    assert config_value({"N": 64, "model": {"N": 128}}, "N") == 64
    assert config_value({"N": None, "model": {"N": 128}}, "N") == 128
    assert config_value(SimpleNamespace(model=SimpleNamespace(gridsize=2)), "gridsize") == 2
    assert config_value(SimpleNamespace(model=None), "N") is None
    assert config_value({"model": {}}, "N") is None
    assert config_value(None, "N") is None


def test_section_and_scale_pair_never_trust_the_structure():
    assert section({"physics_parameters": [1]}, "physics_parameters") == {}
    assert section(["physics_parameters"], "physics_parameters") == {}
    assert scale_pair(physics(measurement_domain="count_intensity")) == \
        (None, "count_intensity")
    assert scale_pair(physics(scale_contract_version=None, measurement_domain=None)) is None
    assert scale_pair({}) is None


def _violation(metadata, config, **kw):
    from pytest_npzcontract import ContractViolation, check_parameters

    with pytest.raises(ContractViolation) as info:
        check_parameters(metadata, config, "strict", **kw)
    return [f.to_dict() for f in info.value.findings]


def test_strict_findings_are_complete():
    assert _violation(None, {"N": 64}, file="d.npz") == [{
        "file": "d.npz", "key": "_metadata", "rule": "metadata-missing", "severity": "error",
        "message": "dataset has no metadata to check the configuration against",
        "hint": "write datasets with save_npz(..., metadata=...)"}]
    found = _violation(physics(N=32, nphotons=1e6), {"N": 64, "gridsize": 2}, file="d.npz")
    assert found == [
        {"file": "d.npz", "key": "physics_parameters.gridsize", "rule": "parameter-missing",
         "severity": "error",
         "message": "metadata records no physics_parameters.gridsize; the configuration "
                    "expects 2",
         "hint": "record it when writing: create_metadata({'gridsize': ...}), or run "
                 "`npzcontract migrate --in-place --gridsize VALUE FILE`"},
        {"file": "d.npz", "key": "N", "rule": "parameter-mismatch", "severity": "error",
         "message": "N: dataset=32, config=64 (must match exactly)",
         "hint": "take parameters from the dataset (config_from_metadata)"}]


def test_the_tolerance_reaches_the_comparison():
    from pytest_npzcontract import check_parameters

    assert check_parameters(physics(nphotons=1e6), {"nphotons": 1.01e6}, "strict",
                            rtol=0.05) == []
    (f,) = _violation(physics(nphotons=1e6), {"nphotons": 1.01e6}, rtol=1e-3)
    assert f["message"].endswith("(relative tolerance 0.001)")


def test_warn_gives_one_warning_per_finding_as_its_line():
    import warnings

    from pytest_npzcontract import NpzContractWarning, check_parameters

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = check_parameters(physics(N=32), {"N": 64, "nphotons": 1e6}, "warn",
                                 file="d.npz")
    assert [m.name for m in found] == ["N"]
    assert [w.category for w in caught] == [NpzContractWarning] * 2
    assert [str(w.message) for w in caught] == [
        "d.npz: [physics_parameters.nphotons] warning parameter-missing: metadata records no "
        "physics_parameters.nphotons; the configuration expects 1e+06 (readers that default "
        "it, e.g. to 1e9, would silently use the wrong dose)",
        "d.npz: [N] warning parameter-mismatch: N: dataset=32, config=64 (must match exactly)"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert check_parameters(None, {}, "warn") == []
    assert [str(w.message) for w in caught] == [
        "<data>: [_metadata] warning metadata-missing: dataset has no metadata to check the "
        "configuration against"]


def test_warnings_point_away_from_the_parameter_module():
    """The stacklevel reaches warnings.warn (whatever frames wrap the call)."""
    import warnings

    from pytest_npzcontract import check_parameters
    from pytest_npzcontract.metadata import parameters

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_parameters(physics(N=32, nphotons=1.0), {"N": 64}, "warn")
    assert caught and all(w.filename != parameters.__file__ for w in caught)
