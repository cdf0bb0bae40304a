"""Each ``[tool.npzcontract]`` value and its CLI option: what is accepted, how it is
normalized, and the exact words of each refusal (the configuration file names the key
``[tool.npzcontract] key``, an option names itself ``--key``). Settings survive pickling
(worker processes) with their read-only tables."""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from types import MappingProxyType

import pytest

from pytest_npzcontract.contract.config import (
    ConfigError,
    Settings,
    _glob_match,
    load_settings,
    parse_pairs,
)

PREFIX = "[tool.npzcontract]"


def loaded(tmp_path: Path, body: str) -> Settings:
    (tmp_path / "pyproject.toml").write_text(f"{PREFIX}\n{body}\n")
    return load_settings(cwd=tmp_path)


def refused(tmp_path: Path, body: str) -> str:
    with pytest.raises(ConfigError) as info:
        loaded(tmp_path, body)
    text = str(info.value)
    assert text.startswith("pyproject.toml: ")
    return text[len("pyproject.toml: "):]


@pytest.mark.parametrize("body, said", [
    ('profile = ""', f"{PREFIX} profile: expected a profile name"),
    ("profile = 3", f"{PREFIX} profile: expected a string, not 3"),
    ("profiles = 3", f'{PREFIX} profiles: expected a table of "glob" = "profile"'),
    ('profiles = { "a/**" = 3 }', f'{PREFIX} profiles: expected a table of "glob" = "profile"'),
    ('profiles = { "a/**" = "" }', f'{PREFIX} profiles: expected a table of "glob" = "profile"'),
    ('profiles = { "" = "raw" }', f'{PREFIX} profiles: expected a table of "glob" = "profile"'),
    ('profiles = { "a/**" = "nope" }',
     "[tool.npzcontract.profiles] 'a/**': unknown profile 'nope' (choose from canonical,"),
    ('custom-profiles = 3',
     f"{PREFIX} custom-profiles: expected tables [tool.npzcontract.custom-profiles.NAME]"),
    ('custom-profiles = { raw = { extends = "canonical" } }',
     f"{PREFIX} custom-profiles: 'raw' is a built-in profile; choose another name"),
    ('custom-profiles = { mine = { extends = "nope" } }',
     f"{PREFIX} custom-profiles: custom profile 'mine': extends must name a profile"),
    ('custom-profiles = { mine = 3 }',
     f"{PREFIX} custom-profiles: custom profile 'mine' must be a table"),
    ('custom-profiles = { mine = { extends = "canonical", retype = 3 } }',
     f"{PREFIX} custom-profiles: custom profile 'mine': retype must be a table of "
     "key = { dtypes = [...], ndim = ... }"),
    ("include = 3", f"{PREFIX} include: expected a list of glob patterns, not 3"),
    ('exclude = [""]', f"{PREFIX} exclude: expected a list of glob patterns, not ['']"),
    ("respect_gitignore = 1", f"{PREFIX} respect_gitignore: expected true or false, not 1"),
    ('cache = "yes"', f"{PREFIX} cache: expected true or false, not 'yes'"),
    ("require_files = 0", f"{PREFIX} require_files: expected true or false, not 0"),
    ('cache_dir = ""', f"{PREFIX} cache_dir: expected a directory name, not an empty string"),
    ("cache_dir = 5", f"{PREFIX} cache_dir: expected a string, not 5"),
    ('cache_strategy = "mtime"',
     f"{PREFIX} cache_strategy: expected one of metadata, content, not 'mtime'"),
    ("nphotons_factor = 1", f"{PREFIX} nphotons_factor: expected a number > 1 (e.g. 2 for a "
     "factor of two), not 1"),
    ("nphotons_factor = inf", f"{PREFIX} nphotons_factor: expected a number > 1 (e.g. 2 for "
     "a factor of two), not inf"),
    ("nphotons_factor = true", f"{PREFIX} nphotons_factor: expected a number > 1"),
    ("rtol = -0.1", f"{PREFIX} rtol: expected a number in [0, 1), not -0.1"),
    ("rtol = 1", f"{PREFIX} rtol: expected a number in [0, 1), not 1"),
    ("rtol = true", f"{PREFIX} rtol: expected a number in [0, 1), not True"),
    ("jobs = 1.5", f"{PREFIX} jobs: expected a whole number >= 0 (0: one per CPU), not 1.5"),
    ("jobs = true", f"{PREFIX} jobs: expected a whole number >= 0 (0: one per CPU), not True"),
    ("expect = { N = true }", f"{PREFIX} expect: N must be a positive integer, not True"),
    ('expect = { nphotons = "many" }',
     f"{PREFIX} expect: nphotons must be a positive number, not 'many'"),
    ("expect = { nphotons = inf }", f"{PREFIX} expect: nphotons must be a positive number, not inf"),
    ("expect = { gridsize = 0 }", f"{PREFIX} expect: gridsize must be a positive integer, not 0"),
    ("rules = 3", f"{PREFIX} rules: expected a table of rule-id = level"),
    ("limits = 3", f"{PREFIX} limits: expected a table of limit = number"),
    ("limits = { max_members = true }",
     f"{PREFIX} limits: max_members must be a positive number, not True"),
    ('limits = { max_members = "9" }',
     f"{PREFIX} limits: max_members must be a positive number, not '9'"),
    ("contract = 3",
     f"{PREFIX} contract: expected a table (required = [...], keys.NAME = {{...}})"),
    ("mode = true", f"{PREFIX} mode: expected a string, not True"),
])
def test_each_bad_value_is_refused_in_words(tmp_path, body, said):
    assert refused(tmp_path, body).startswith(said)


def test_every_value_is_normalized(tmp_path):
    s = loaded(tmp_path, """
include = ["*.npz"]
respect_gitignore = false
cache = false
require_files = true
cache_dir = "~/npzcache"
cache_strategy = "content"
nphotons_factor = 3
rtol = 0
jobs = 3
expect = { nphotons = 2, N = 64 }
[tool.npzcontract.profiles]
"data/raw/**" = "raw"
"data/raw/fly/**" = "fly64"
[tool.npzcontract.custom-profiles.fly64]
extends = "train"
require = ["scan_index"]
""")
    assert s.include == ("*.npz",)
    assert (s.respect_gitignore, s.cache, s.require_files) == (False, False, True)
    assert s.cache_strategy == "content" and s.jobs == 3
    assert s.nphotons_factor == 3.0 and type(s.nphotons_factor) is float
    assert s.rtol == 0.0 and type(s.rtol) is float
    assert dict(s.expect) == {"nphotons": 2.0, "N": 64}
    assert type(s.expect["nphotons"]) is float and type(s.expect["N"]) is int
    assert s.cache_path() == tmp_path / os.path.expanduser("~/npzcache")
    assert isinstance(s.profiles, MappingProxyType) and isinstance(s.custom_profiles,
                                                                   MappingProxyType)
    assert s.profile_for(tmp_path / "data" / "raw" / "a.npz") == "raw"
    assert s.profile_for(tmp_path / "data" / "raw" / "fly" / "a.npz") == "fly64"
    assert s.profile_for(tmp_path / "data" / "b.npz") is None
    assert s.build_contract(tmp_path / "data" / "raw" / "fly" / "a.npz").keys[
        "scan_index"].required
    assert s.to_dict()["custom-profiles"] == ["fly64"]
    assert s.to_dict()["config"] == os.fspath(tmp_path / "pyproject.toml")
    assert s.check_options()["nphotons_factor"] == 3.0
    assert s.check_options()["config"] == {"nphotons": 2.0, "N": 64}


def test_a_relative_cache_dir_is_under_the_root(tmp_path):
    assert Settings(root=tmp_path).cache_path() == tmp_path / ".npzcontract_cache"
    assert Settings(root=tmp_path, cache_dir="/abs/c").cache_path() == Path("/abs/c")


def test_settings_survive_pickling_with_read_only_tables(tmp_path):
    s = loaded(tmp_path, """
rules = { not-normalized = "off" }
expect = { N = 64 }
contract = { required = ["scan_index"] }
[tool.npzcontract.profiles]
"raw/**" = "raw"
[tool.npzcontract.custom-profiles.mine]
extends = "canonical"
""")
    copy = pickle.loads(pickle.dumps(s))  # noqa: S301 - our own bytes
    assert copy == s
    for name in ("rules", "expect", "profiles", "custom_profiles"):
        assert isinstance(getattr(copy, name), MappingProxyType), name
    assert type(copy.contract) is dict and copy.contract == {"required": ["scan_index"]}
    assert copy.root == tmp_path and copy.source == s.source
    assert copy.build_contract().keys["scan_index"].required


def test_options_name_themselves(tmp_path):
    base = Settings(root=tmp_path)
    for options, said in [
        ({"nphotons_factor": 0.5}, "--nphotons-factor: expected a number > 1"),
        ({"cache_dir": ""}, "--cache-dir: expected a directory name"),
        ({"rules": {"x": "off"}}, "--rule: unknown rule id 'x'"),
        ({"mode": "loud"}, "--mode: unknown validation mode 'loud'"),
        ({"profile": "nope"}, "--profile: unknown profile 'nope' (choose from canonical,"),
        ({"colour": 1, "size": 2}, "unknown option(s) colour, size"),
    ]:
        with pytest.raises(ConfigError) as info:
            base.override(**options)
        assert str(info.value).startswith(said), (options, str(info.value))


def test_a_profile_option_drops_the_per_path_table(tmp_path):
    s = loaded(tmp_path, '[tool.npzcontract.profiles]\n"raw/**" = "raw"\n')
    assert s.profile_for(tmp_path / "raw" / "a.npz") == "raw"
    forced = s.override(profile="train")
    assert dict(forced.profiles) == {} and forced.profile_for(tmp_path / "raw" / "a.npz") == \
        "train"
    both = s.override(profile="train", profiles={"x/**": "raw"})
    assert dict(both.profiles) == {"x/**": "raw"}


def test_unknown_keys_suggest_the_closest(tmp_path):
    assert refused(tmp_path, "cache_dri = 'x'") == \
        "unknown key 'cache_dri' in [tool.npzcontract] (did you mean 'cache_dir'?)"
    assert refused(tmp_path, "limits = { zzz = 1 }").startswith(
        "unknown key 'zzz' in [tool.npzcontract.limits] (known: ")


def test_pairs_and_the_old_glob_helper():
    assert parse_pairs(("nphotons=1e6 N=64", "gridsize=1"), "--expect") == \
        {"nphotons": "1e6", "N": "64", "gridsize": "1"}
    for bad in ("N", "=64", "N="):
        with pytest.raises(ConfigError, match=rf"^--expect: expected NAME=VALUE, not '{bad}'$"):
            parse_pairs((bad,), "--expect")
    assert _glob_match("data/**/*.npz", "data/a/b.npz") is True
    assert _glob_match("data/*.npz", "data/a/b.npz") is False
