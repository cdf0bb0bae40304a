"""``[tool.npzcontract]`` discovery, validation and CLI-style overrides."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pytest_npzcontract.base.limits import DEFAULT_LIMITS
from pytest_npzcontract.contract.config import ConfigError, Settings, find_config, load_settings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_nearest_pyproject_with_the_table_wins(tmp_path: Path):
    outer = write(tmp_path / "pyproject.toml", '[tool.npzcontract]\nmode = "warn"\n')
    write(tmp_path / "pkg" / "pyproject.toml", '[project]\nname = "pkg"\n')
    deep = tmp_path / "pkg" / "data" / "raw"
    deep.mkdir(parents=True)
    assert find_config(deep) == outer
    settings = load_settings(cwd=deep)
    assert (settings.source, settings.root, settings.mode) == (outer, tmp_path, "warn")
    inner = write(tmp_path / "pkg" / "pyproject.toml", "[tool.npzcontract]\nvalues = false\n")
    assert load_settings(cwd=deep).source == inner


def test_no_configuration_gives_defaults_rooted_at_the_cwd(tmp_path: Path):
    settings = load_settings(cwd=tmp_path, search=False)
    assert settings == Settings(root=tmp_path)
    assert (settings.mode, settings.profile, settings.values, settings.jobs) == (
        "strict", None, True, 1)
    assert settings.include == ("*.npz",) and settings.exclude == ()


def test_every_key_is_read_and_normalized(tmp_path: Path):
    config = write(tmp_path / "pyproject.toml", """
[tool.npzcontract]
mode = "PERMISSIVE"
profile = "count-intensity"
include = ["data/**/*.npz"]
exclude = ["data/scratch"]
values = false
expect = { nphotons = 1e6, N = 64.0, gridsize = 2 }
jobs = 0
rtol = 1e-3
[tool.npzcontract.rules]
not-normalized = "OFF"
[tool.npzcontract.limits]
max_metadata_bytes = 1024
[tool.npzcontract.contract]
required = ["scan_index"]
""")
    s = load_settings(config)
    assert s.mode == "permissive" and s.profile == "count-intensity"
    assert s.include == ("data/**/*.npz",) and s.exclude == ("data/scratch",)
    assert s.values is False
    assert dict(s.expect) == {"nphotons": 1e6, "N": 64, "gridsize": 2}
    assert isinstance(s.expect["N"], int)
    assert s.jobs == (os.cpu_count() or 1) and s.rtol == 1e-3
    assert dict(s.rules) == {"not-normalized": "off"}
    assert s.limits == DEFAULT_LIMITS.with_(max_metadata_bytes=1024)
    assert s.build_contract().keys["scan_index"].required
    assert s.check_options()["profiles"]["count-intensity"].keys["scan_index"].required
    assert s.build_contract().profile == "count-intensity"


@pytest.mark.parametrize("body, message", [
    ('mdoe = "warn"', "unknown key 'mdoe' in [tool.npzcontract] (did you mean 'mode'?)"),
    ("colour = 1", "unknown key 'colour' in [tool.npzcontract] (known: mode, profile,"),
    ('mode = "loud"', "[tool.npzcontract] mode: unknown validation mode 'loud'"),
    ("mode = 3", "[tool.npzcontract] mode: expected a string, not 3"),
    ('profile = "fast"', "[tool.npzcontract] profile: unknown profile 'fast'"),
    ("values = 1", "[tool.npzcontract] values: expected true or false, not 1"),
    ("include = [1]", "[tool.npzcontract] include: expected a list of glob patterns"),
    ("expect = { nphoton = 1 }",
     "unknown key 'nphoton' in [tool.npzcontract.expect] (did you mean 'nphotons'?)"),
    ("expect = { nphotons = -1 }", "expect: nphotons must be a positive number, not -1"),
    ("expect = { N = 64.5 }", "expect: N must be a positive integer, not 64.5"),
    ('expect = "N=64"', "expect: expected a table like"),
    ('rules = { not-normalised = "off" }', "rules: unknown rule id 'not-normalised'"),
    ('rules = { non-finite = "loud" }', "rules: rule 'non-finite': level must be one of"),
    ("limits = { max_members = 0 }", "limits: max_members must be a positive number, not 0"),
    ("limits = { max_member = 5 }",
     "unknown key 'max_member' in [tool.npzcontract.limits] (did you mean 'max_members'?)"),
    ('contract = { keys = { mask = { colour = "red" } } }',
     "[tool.npzcontract] contract: unknown field 'colour' in contract key 'mask'"),
    ("jobs = -2", "jobs: expected a whole number >= 0"),
    ("rtol = 2", "rtol: expected a number in [0, 1), not 2"),
    ('include = "*.npz"', "include: expected a list of glob patterns, e.g. ['*.npz'], not "
     "the string '*.npz'"),
    ('exclude = "data/scratch"', "exclude: expected a list of glob patterns"),
    ('expect = { nphotons = "1e6" }', "expect: nphotons must be a positive number, not '1e6'"),
    ('rules = { legacy-keys = "off" }',
     "rules: unknown rule id 'legacy-keys' (did you mean 'legacy-key'?)"),
    ('baseline = ""', "baseline: expected a file name"),
    ("baseline = 1", "baseline: expected a string, not 1"),
    ('per-file-ignores = { "tests/**" = "not-a-dataset" }',
     "[tool.npzcontract.per-file-ignores] 'tests/**': expected a list of rule ids"),
    ('per-file-ignores = { "tests/**" = ["not-a-datset"] }',
     "'tests/**': unknown rule id 'not-a-datset' (did you mean 'not-a-dataset'?)"),
    ('per-file-ignores = ["x"]', "per-file-ignores: expected a table of"),
])
def test_bad_configuration_names_the_key(tmp_path: Path, body: str, message: str):
    config = write(tmp_path / "pyproject.toml", f"[tool.npzcontract]\n{body}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cwd=tmp_path)
    assert str(info.value).startswith("pyproject.toml: ")
    assert message in str(info.value)
    with pytest.raises(ConfigError, match="pyproject.toml: "):
        load_settings(config)


@pytest.mark.parametrize("body", ["mode = 3", 'mode = "loud"', "values = 1", "cache_dir = 2"])
def test_a_bad_value_names_its_key_once(tmp_path: Path, body: str):
    write(tmp_path / "pyproject.toml", f"[tool.npzcontract]\n{body}\n")
    with pytest.raises(ConfigError) as info:
        load_settings(cwd=tmp_path)
    key = body.split(" =")[0]
    assert str(info.value).count(f"[tool.npzcontract] {key}") == 1, str(info.value)


def test_per_file_ignores_and_baseline_are_read(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[tool.npzcontract]\nbaseline = "known.json"\n'
          '[tool.npzcontract.per-file-ignores]\n"tests/fixtures/**" = ["not-a-dataset"]\n'
          '"legacy/*.npz" = ["legacy-key", "metadata-missing"]\n"*.npz" = ["not-normalized"]\n')
    s = load_settings(cwd=tmp_path)
    assert s.baseline_path() == tmp_path / "known.json"
    assert s.ignored_rules(tmp_path / "tests/fixtures/w.npz") == {"not-a-dataset",
                                                                  "not-normalized"}
    assert s.ignored_rules(tmp_path / "legacy/a.npz") == {"legacy-key", "metadata-missing",
                                                          "not-normalized"}
    assert s.ignored_rules(tmp_path / "legacy/sub/a.npz") == {"not-normalized"}
    assert s.to_dict()["per-file-ignores"]["legacy/*.npz"] == ["legacy-key", "metadata-missing"]
    assert load_settings(search=False).ignored_rules("x.npz") == set()


def test_unusable_files_are_configuration_errors(tmp_path: Path):
    with pytest.raises(ConfigError, match="nothere.toml: configuration file not found"):
        load_settings("nothere.toml", cwd=tmp_path)
    plain = write(tmp_path / "plain.toml", "[tool.other]\nx = 1\n")
    with pytest.raises(ConfigError, match=r"no \[tool.npzcontract\] table"):
        load_settings(plain)
    broken = write(tmp_path / "sub" / "pyproject.toml", "[tool.npzcontract\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_settings(cwd=broken.parent)
    write(tmp_path / "bad" / "pyproject.toml", "[tool]\nnpzcontract = 3\n")
    with pytest.raises(ConfigError, match=r"\[tool.npzcontract\] must be a table"):
        load_settings(cwd=tmp_path / "bad")


def test_options_override_configuration_and_merge_rule_levels(tmp_path: Path):
    write(tmp_path / "pyproject.toml", '[tool.npzcontract]\nmode = "warn"\nexclude = ["a"]\n'
          '[tool.npzcontract.rules]\nnot-normalized = "off"\n')
    base = load_settings(cwd=tmp_path)
    s = base.override(mode="strict", exclude=("b",), rules={"non-finite": "warning"},
                      expect={"nphotons": "1e6"}, values=None, jobs=None)
    assert (s.mode, s.exclude, s.values, s.jobs) == ("strict", ("b",), True, 1)
    assert dict(s.rules) == {"not-normalized": "off", "non-finite": "warning"}
    assert dict(s.expect) == {"nphotons": 1e6}
    assert base.mode == "warn"
    with pytest.raises(ConfigError, match="--rule: unknown rule id 'nope'"):
        base.override(rules={"nope": "off"})
    with pytest.raises(ConfigError, match="unknown key 'N2' in --expect"):
        base.override(expect={"N2": "3"})


@pytest.mark.parametrize("include, exclude, path, selected", [
    (("*.npz",), (), "a/b/c.npz", True),
    (("*.npz",), (), "a/b/c.npy", False),
    (("data/*.npz",), (), "data/x.npz", True),
    (("data/*.npz",), (), "data/sub/x.npz", False),
    (("data/**/*.npz",), (), "data/sub/deep/x.npz", True),
    (("data/**/*.npz",), (), "data/x.npz", True),
    (("**/train*.npz",), (), "a/train_1.npz", True),
    (("sim_?.npz",), (), "sim_1.npz", True),
    (("sim_[0-9].npz",), (), "sim_x.npz", False),
    (("sim_[!0-9].npz",), (), "sim_x.npz", True),
    (("*.npz",), ("scratch",), "data/scratch/x.npz", False),
    (("*.npz",), ("data/scratch/**",), "data/scratch/x.npz", False),
    (("*.npz",), ("data/scratch/**",), "data/scratchy/x.npz", True),
    (("*.npz",), ("./data/*_test.npz",), "data/a_test.npz", False),
    (("*.npz",), ("*_test.npz",), "data/a_train.npz", True),
])
def test_glob_selection(tmp_path: Path, include, exclude, path, selected):
    settings = Settings(include=include, exclude=exclude, root=tmp_path)
    assert settings.selects(tmp_path / path) is selected


def test_paths_outside_the_root_match_by_absolute_path(tmp_path: Path):
    settings = Settings(exclude=(f"{tmp_path.parent.as_posix()}/elsewhere/**",),
                        root=tmp_path / "project")
    assert settings.excludes(tmp_path.parent / "elsewhere" / "x.npz")
    assert settings.relative(tmp_path / "project" / "d" / "x.npz") == "d/x.npz"


def test_the_documented_example_configuration_loads(tmp_path: Path):
    text = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    write(tmp_path / "pyproject.toml", re.search(r"```toml\n(.+?)```", text, re.S).group(1))
    settings = load_settings(cwd=tmp_path)
    assert settings.mode == "warn" and dict(settings.rules)["legacy-key"] == "error"
    assert settings.build_contract().keys["mask"].dtypes == ("bool",)
