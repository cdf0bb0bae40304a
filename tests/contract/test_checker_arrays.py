"""check_arrays's own arguments and inputs: the contract and custom profiles it is given, a
``_metadata`` entry anywhere among the arrays, and each in-memory form of that entry (JSON
text, UTF-8 bytes, a boxed dict or text, an object array of several items)."""

from __future__ import annotations

import numpy as np
import pytest
from rawnpz import metadata_json, valid_arrays, valid_metadata

from pytest_npzcontract import check_arrays
from pytest_npzcontract.contract.profiles import PROFILES, derive_profile

META = valid_metadata()
TEXT = metadata_json(META)


@pytest.fixture(scope="module")
def base():
    return valid_arrays()


def boxed(*items) -> np.ndarray:
    array = np.empty(len(items) if len(items) > 1 else (), dtype=object)
    if len(items) > 1:
        array[:] = items
    else:
        array[()] = items[0]
    return array


def test_a_contract_given_is_the_one_in_force(base):
    report = check_arrays(base, valid_metadata(), contract=PROFILES["train"])
    assert report.profile == "train"
    assert check_arrays(base, valid_metadata()).profile == "canonical"


def test_custom_profiles_can_be_named(base):
    mine = derive_profile("mine", {"extends": "canonical", "keys": {"w": {"ndim": 2}}})
    report = check_arrays(dict(base, w=np.ones(3)), valid_metadata(), profile="mine",
                          profiles={**PROFILES, "mine": mine})
    assert report.profile == "mine"
    assert [(f.key, f.rule) for f in report.findings] == [("w", "bad-ndim")]


def test_metadata_given_as_a_mapping_is_said_to_be_in_memory(base):
    report = check_arrays(base, META)
    assert report.metadata_encoding == "in-memory"
    assert report.metadata == META


def test_a_metadata_entry_first_among_the_arrays_hides_none_of_them(base):
    report = check_arrays({"_metadata": np.array(metadata_json()), **base})
    assert report.findings == [] and report.metadata_encoding == "json-unicode"
    assert set(report.keys) == set(base)


@pytest.mark.parametrize("entry, encoding", [
    (np.array(TEXT), "json-unicode"),
    (np.frombuffer(TEXT.encode(), np.uint8), "json-uint8"),
    (boxed(META), "pickled-dict"),
    (boxed(TEXT), "pickled-json"),
    (np.array([TEXT], dtype=object), "pickled-json"),   # one item, 1-D
])
def test_each_in_memory_metadata_form_is_decoded_and_named(base, entry, encoding):
    report = check_arrays(dict(base, _metadata=entry), mode="warn")
    assert report.metadata_encoding == encoding
    assert report.metadata == META
    pickled = [f for f in report.findings if f.rule == "pickled-metadata"]
    if encoding.startswith("pickled"):
        (f,) = pickled
        assert f.message.startswith(f"_metadata is a pickled object array ({encoding}); ")
    else:
        assert report.findings == []


def test_an_object_array_of_several_items_is_refused(base):
    report = check_arrays(dict(base, _metadata=boxed(TEXT, 1)), mode="warn")
    assert report.metadata is None and report.metadata_encoding is None
    assert [(f.key, f.rule, f.message) for f in report.findings] == [
        ("_metadata", "pickled-metadata", "_metadata is an object array; store JSON text "
         "instead")]
