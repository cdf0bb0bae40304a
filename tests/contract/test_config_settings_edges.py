"""Settings at their edges: the JSON form of the settings (every key, and the two that appear
only when set), paths relative to the root (the root itself, the filesystem root, a sibling
sharing the root's name as a prefix), a file re-included inside an excluded directory (git's
rule: it stays excluded), ``search=False``, chained custom profiles, ``NAME=VALUE`` pairs whose
value holds ``=``, and a configuration file that cannot be read."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_npzcontract.contract.config import (
    ConfigError,
    Settings,
    _read_toml,
    load_settings,
    parse_pairs,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_json_form_names_every_setting(tmp_path: Path):
    config = write(tmp_path / "pyproject.toml", """
[tool.npzcontract]
mode = "warn"
profile = "raw"
include = ["data/**/*.npz"]
exclude = ["data/scratch"]
values = false
expect = { nphotons = 1e6, N = 64 }
rules = { not-normalized = "off" }
jobs = 3
rtol = 0.01
respect_gitignore = false
cache = false
cache_dir = "cachehere"
cache_strategy = "content"
cache_max_size = "2KiB"
cache_max_age = 7
nphotons_factor = 4
baseline = "known.json"
contract = { required = ["scan_index"] }
[tool.npzcontract.profiles]
"data/train/**" = "mine"
[tool.npzcontract.per-file-ignores]
"legacy/**" = ["legacy-key"]
[tool.npzcontract.custom-profiles.mine]
extends = "train"
""")
    assert load_settings(cwd=tmp_path).to_dict() == {
        "mode": "warn", "profile": "raw", "profiles": {"data/train/**": "mine"},
        "custom-profiles": ["mine"], "include": ["data/**/*.npz"], "exclude": ["data/scratch"],
        "values": False, "expect": {"nphotons": 1e6, "N": 64},
        "rules": {"not-normalized": "off"}, "contract": {"required": ["scan_index"]},
        "jobs": 3, "rtol": 0.01, "respect_gitignore": False, "cache": False,
        "cache_dir": "cachehere", "cache_strategy": "content", "cache_max_size": 2048,
        "cache_max_age": 7.0, "nphotons_factor": 4.0, "baseline": "known.json",
        "per-file-ignores": {"legacy/**": ["legacy-key"]}, "config": os.fspath(config)}


def test_the_json_form_leaves_out_an_unset_baseline_and_per_file_ignores(tmp_path: Path):
    shown = Settings(root=tmp_path).to_dict()
    assert "baseline" not in shown and "per-file-ignores" not in shown
    assert (shown["contract"], shown["config"]) == (None, None)
    assert Settings(root=tmp_path).baseline_path() is None


@pytest.mark.parametrize("root, path, rel", [
    ("r", "r", "."),
    ("r", "r/d/x.npz", "d/x.npz"),
    ("r", "rx/x.npz", "{tmp}/rx/x.npz"),  # shares the root's name as a prefix: outside it
])
def test_paths_relative_to_the_root(tmp_path: Path, root: str, path: str, rel: str):
    (tmp_path / root).mkdir()
    settings = Settings(root=tmp_path / root)
    assert settings.relative(tmp_path / path) == rel.format(tmp=tmp_path.resolve().as_posix())


def test_under_the_filesystem_root_paths_lose_only_the_leading_slash():
    assert Settings(root=Path("/")).relative("/srv/data/x.npz") == "srv/data/x.npz"


def test_a_file_cannot_be_re_included_inside_an_excluded_directory(tmp_path: Path):
    # as in .gitignore: once "scratch" excludes the directory, "!scratch/keep.npz" is moot
    settings = Settings(exclude=("scratch", "!scratch/keep.npz"), root=tmp_path)
    assert not settings.selects(tmp_path / "scratch" / "keep.npz")
    assert settings.excludes(tmp_path / "scratch")
    in_place = Settings(exclude=("scratch/*.npz", "!scratch/keep.npz"), root=tmp_path)
    assert in_place.selects(tmp_path / "scratch" / "keep.npz")
    assert not in_place.selects(tmp_path / "scratch" / "other.npz")


def test_search_false_ignores_the_configuration_in_the_cwd(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[tool.npzcontract]\nmode = "warn"\n')
    assert load_settings(cwd=tmp_path).mode == "warn"
    settings = load_settings(cwd=tmp_path, search=False)
    assert settings == Settings(root=tmp_path) and settings.source is None


def test_a_custom_profile_may_extend_another_custom_profile(tmp_path: Path):
    write(tmp_path / "pyproject.toml", """
[tool.npzcontract]
profile = "fly128"
[tool.npzcontract.custom-profiles.fly64]
extends = "train"
require = ["scan_index"]
[tool.npzcontract.custom-profiles.fly128]
extends = "fly64"
sizes = [128]
""")
    settings = load_settings(cwd=tmp_path)
    contract = settings.build_contract()
    assert (contract.profile, contract.sizes) == ("fly128", (128,))
    assert contract.keys["scan_index"].required and contract.keys["xcoords_start"].required
    assert settings.registry()["fly64"].profile == "fly64"


def test_pairs_split_at_the_first_equals_sign():
    assert parse_pairs(("label=a=b", "x==y"), "--expect") == {"label": "a=b", "x": "=y"}


def test_a_configuration_file_that_cannot_be_read_says_why(tmp_path: Path):
    # reading a directory fails like an unreadable file does (a permission test cannot run
    # as root)
    with pytest.raises(ConfigError) as info:
        _read_toml(tmp_path)
    assert str(info.value) == f"{tmp_path}: cannot read (Is a directory)"
