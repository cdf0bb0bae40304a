"""Custom profiles and contract extensions from configuration tables: what each field
does, what is inherited, and the exact words of each refusal."""

from __future__ import annotations

import pytest

from pytest_npzcontract.contract.keys import DATA_001
from pytest_npzcontract.contract.profiles import PROFILES, derive_profile

ALLOWED = "extends, require, drop, retype, keys, sizes, description, single_dose"


def test_a_bare_extension_inherits_everything_but_its_name():
    mine = derive_profile("mine", {"extends": "train"})
    train = PROFILES["train"]
    assert (mine.profile, mine.source, mine.summary) == ("mine", "configuration",
                                                        "train, customized")
    assert mine.sizes == train.sizes == (64, 128, 256) and type(mine.sizes) is tuple
    assert mine.keys == train.keys
    described = derive_profile("mine", {"extends": "train", "description": "fly data"})
    assert described.summary == "fly data"


def test_the_known_profiles_are_the_ones_given():
    other = derive_profile("base2", {"extends": "raw"})
    known = {"base2": other}
    mine = derive_profile("mine", {"extends": "base2", "require": ["mask"]}, known)
    assert mine.keys["mask"].required and mine.summary == "base2, customized"
    with pytest.raises(ValueError, match=r"extends must name a profile \(base2\), not 'raw'"):
        derive_profile("mine", {"extends": "raw"}, known)
    assert derive_profile("mine", {"extends": "raw"}).summary == "raw, customized"


def test_retype_merges_with_keys_and_keeps_the_rest():
    mine = derive_profile("mine", {
        "extends": "canonical",
        "keys": {"diffraction": {"description": "mine"}, "mask": {"dtypes": ["bool"]}},
        "retype": {"diffraction": {"dtypes": ["float64"], "ndim": 3}}})
    spec = mine.keys["diffraction"]
    assert spec.dtypes == ("float64",) and spec.ndim == (3,) and spec.description == "mine"
    assert spec.values == "amplitude" and spec.required
    assert mine.keys["mask"].dtypes == ("bool",)
    only_ndim = derive_profile("m", {"extends": "canonical",
                                     "retype": {"diffraction": {"ndim": [3]}}})
    assert only_ndim.keys["diffraction"].dtypes == DATA_001.keys["diffraction"].dtypes


def test_require_drop_and_sizes():
    mine = derive_profile("mine", {"extends": "canonical", "require": ["scan_index"],
                                   "drop": ["Y", "objectGuess"], "sizes": [32, 64]})
    assert mine.keys["scan_index"].required
    assert "Y" not in mine.keys and "objectGuess" not in mine.keys
    assert mine.sizes == (32, 64)
    assert derive_profile("m", {"extends": "canonical", "sizes": []}).sizes == ()
    assert derive_profile("m", {"extends": "canonical", "sizes": [1]}).sizes == (1,)


@pytest.mark.parametrize("spec, said", [
    (3, "custom profile 'mine' must be a table"),
    ({"extends": "raw", "colour": 1, "age": 2},
     f"unknown field 'age' in custom profile 'mine' (allowed: {ALLOWED})"),
    ({}, "custom profile 'mine': extends must name a profile (canonical, train, raw, "
         "count-intensity), not None"),
    ({"extends": "raw", "retype": 3}, "custom profile 'mine': retype must be a table of "
     "key = { dtypes = [...], ndim = ... }"),
    ({"extends": "raw", "retype": {"diff3d": 3}}, "custom profile 'mine': retype must be a "
     "table of key = { dtypes = [...], ndim = ... }"),
    ({"extends": "raw", "retype": {"diff3d": {"dtypes": ["uint16"], "values": "counts"}}},
     "custom profile 'mine': retype must be a table of key = { dtypes = [...], ndim = ... }"),
    ({"extends": "raw", "retype": {"mask": {"ndim": 2}}},
     "custom profile 'mine': cannot retype 'mask', which raw does not define"),
    ({"extends": "raw", "drop": ["mask"]},
     "custom profile 'mine': cannot drop 'mask', which raw does not define"),
    ({"extends": "raw", "drop": "diff3d"}, "custom profile 'mine' drop must be a list of key "
     "names"),
    ({"extends": "raw", "drop": [""]}, "custom profile 'mine' drop must be a list of key names"),
    ({"extends": "raw", "drop": [3]}, "custom profile 'mine' drop must be a list of key names"),
    ({"extends": "raw", "drop": {"a": 1}},
     "custom profile 'mine' drop must be a list of key names"),
    ({"extends": "raw", "sizes": [0]},
     "custom profile 'mine': sizes must be a list of positive integers"),
    ({"extends": "raw", "sizes": [True]},
     "custom profile 'mine': sizes must be a list of positive integers"),
    ({"extends": "raw", "sizes": [64.0]},
     "custom profile 'mine': sizes must be a list of positive integers"),
    ({"extends": "raw", "sizes": "64"},
     "custom profile 'mine': sizes must be a list of positive integers"),
])
def test_bad_custom_profiles_are_refused_in_words(spec, said):
    with pytest.raises(ValueError) as info:
        derive_profile("mine", spec)
    assert str(info.value) == said


def test_retype_keys_may_hold_both_fields_or_one():
    for fields in ({"dtypes": ["uint16"]}, {"ndim": 3}, {"dtypes": ["uint16"], "ndim": 3}, {}):
        derive_profile("mine", {"extends": "raw", "retype": {"diff3d": fields}})


@pytest.mark.parametrize("fields, said", [
    ({"dtypes": ["float33"]}, "contract key 'mask': unknown dtype 'float33'"),
    ({"dtypes": "bool"}, "contract key 'mask' dtypes must be a list of key names"),
    ({"ndim": []}, "contract key 'mask': ndim must be an int or list of ints"),
    ({"ndim": [True]}, "contract key 'mask': ndim must be an int or list of ints"),
    ({"ndim": [33]}, "contract key 'mask': ndim must be an int or list of ints"),
    ({"ndim": [-1]}, "contract key 'mask': ndim must be an int or list of ints"),
    ({"ndim": ["2"]}, "contract key 'mask': ndim must be an int or list of ints"),
    ({"layouts": ["n H"]}, "contract key 'mask': layout 'n H' must name the frame axes H and "
     "W, e.g. 'P H W'"),
    ({"layouts": ["n W"]}, "contract key 'mask': layout 'n W' must name the frame axes H and "
     "W, e.g. 'P H W'"),
    ({"layouts": "H W"}, "contract key 'mask' layouts must be a list of key names"),
    ({"values": "volts"}, "contract key 'mask': values must be 'amplitude', 'counts' or '', "
     "not 'volts'"),
    ({"replaces": ""}, "contract key 'mask': replaces must be a key name"),
    ({"replaces": 3}, "contract key 'mask': replaces must be a key name"),
    ({"required": 1}, "contract key 'mask': required must be true or false"),
    ({"per_image": "yes"}, "contract key 'mask': per_image must be true or false"),
    ({"frame": None}, "contract key 'mask': frame must be true or false"),
    ({"legacy": 0}, "contract key 'mask': legacy must be true or false"),
    ({"colour": "red"}, "unknown field 'colour' in contract key 'mask' (allowed: "),
    (3, "contract key 'mask' must be a table of fields"),
])
def test_bad_key_fields_are_refused_in_words(fields, said):
    with pytest.raises(ValueError) as info:
        DATA_001.extended({"keys": {"mask": fields}})
    assert str(info.value).startswith(said)


def test_key_fields_are_applied():
    c = DATA_001.extended({"keys": {"mask": {
        "dtypes": ["bool", "uint8", "integer"], "ndim": [2, 3], "required": True,
        "per_image": True, "frame": True, "legacy": True, "values": "counts",
        "replaces": "Y", "description": 7}}})
    m = c.keys["mask"]
    assert m.dtypes == ("bool", "uint8", "integer") and m.ndim == (2, 3)
    assert (m.required, m.per_image, m.frame, m.legacy) == (True, True, True, True)
    assert (m.values, m.replaces, m.description) == ("counts", "Y", "7")
    assert c.version == DATA_001.version + "+ext"
    one = DATA_001.extended({"keys": {"mask": {"ndim": 2}}}).keys["mask"]
    assert one.ndim == (2,) and one.layout == "" and one.layouts == ()
    laid = DATA_001.extended({"keys": {"diffraction": {"layouts": ["n H W", "H W"]}}})
    spec = laid.keys["diffraction"]
    assert spec.layouts == ("n H W", "H W") and spec.ndim == (2, 3) and spec.layout == ""
    flags = DATA_001.extended({"keys": {"diffraction": {"required": False}}})
    assert flags.keys["diffraction"].required is False
    assert flags.keys["diffraction"].per_image is True


def test_required_names_are_checked():
    assert DATA_001.extended({"required": ["mask"]}).keys["mask"].required
    for bad in ("mask", [""], [1]):
        with pytest.raises(ValueError, match=r"^required must be a list of key names$"):
            DATA_001.extended({"required": bad})
    with pytest.raises(ValueError, match=r"^unknown field 'colour' in contract extension"):
        DATA_001.extended({"colour": 1})
    with pytest.raises(ValueError, match=r"^contract extension must be a table, not list$"):
        DATA_001.extended([1])
