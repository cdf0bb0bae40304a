"""The generated metadata validator (the fast path) never accepts what jsonschema rejects, and
it is up to date with metadata.schema.json."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_npzcontract.metadata import schema as schema_module
from pytest_npzcontract.metadata.model import add_transformation, create_metadata
from pytest_npzcontract.metadata.schema import is_valid_fast, validate_metadata_schema

SCHEMA = json.loads(schema_module.schema_text())
FULL = jsonschema.Draft202012Validator(SCHEMA)

scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-2, 2),
                    st.just(64.0), st.just(1e6), st.text(max_size=4),
                    st.just("1.0.0"), st.just("1.0.0\n"), st.just("a" * 64), st.just("0" * 64))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
    max_leaves=6)


def section(names: list[str]) -> st.SearchStrategy:
    return st.dictionaries(st.sampled_from(names), values, max_size=len(names))


transformation = st.fixed_dictionaries({}, optional={
    "tool": values, "operation": values, "timestamp": values, "parameters": values,
    "inputs": st.lists(st.fixed_dictionaries({}, optional={"name": values, "sha256": values}),
                       max_size=2)})
metadata = st.fixed_dictionaries({}, optional={
    "schema_version": values,
    "creation_info": st.one_of(values, section(["timestamp", "script", "hostname", "version"])),
    "physics_parameters": st.one_of(values, section(
        ["nphotons", "N", "gridsize", "probe_trainable", "nll_weight", "model_type"])),
    "training_parameters": section(["n_images", "batch_size", "nepochs"]),
    "data_transformations": st.one_of(values, st.lists(transformation, max_size=2)),
    "merge_info": section(["strategy", "n_sources", "timestamp"]),
    "source_datasets": st.lists(section(["index", "path", "sha256", "n_images", "metadata"]),
                                max_size=2),
    "extra": values,
})


@settings(max_examples=400, deadline=None)
@given(metadata)
def test_fast_path_accepts_only_what_jsonschema_accepts(document):
    fast = is_valid_fast(document)
    full = FULL.is_valid(document)
    if fast:
        assert full
    assert (validate_metadata_schema(document) == []) == full


@pytest.mark.parametrize("document", [
    create_metadata({"nphotons": 1e6, "N": 64, "gridsize": 1}, "script.py"),
    add_transformation(create_metadata({"nphotons": 1e9, "N": 128}, "s.py"), "tool", "crop",
                       {"size": 64}),
    {"physics_parameters": {"nphotons": 1e6}, "custom": {"anything": [1, 2]}},
])
def test_real_metadata_takes_the_fast_path(document):
    assert is_valid_fast(document)


def test_invalid_metadata_is_explained_by_jsonschema():
    assert validate_metadata_schema({"physics_parameters": {"nphotons": -1, "N": True}}) == [
        "physics_parameters.N: True is not of type 'integer', 'null'",
        "physics_parameters.nphotons: -1 is less than or equal to the minimum of 0"]


def test_the_generated_validator_is_up_to_date():
    pytest.importorskip("fastjsonschema")
    generated = Path(schema_module.__file__).with_name("_fast_validator.py").read_text()
    assert generated == schema_module.fast_validator_source(), (
        "rebuild: python -m pytest_npzcontract.metadata.schema --write-fast-validator")
