"""``[tool.npzcontract]`` values at their bounds: cache sizes with and without units, cache
ages from 0 to just below infinity, the executor and scheduler, values of the wrong type where
a number is compared, per-file-ignores with an empty glob or a non-list, and option values
that arrive as text (one glob, an unparsable expected parameter)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_npzcontract.contract.config import ConfigError, Settings, load_settings

PREFIX = "[tool.npzcontract]"


def loaded(tmp_path: Path, body: str) -> Settings:
    (tmp_path / "pyproject.toml").write_text(f"{PREFIX}\n{body}\n")
    return load_settings(cwd=tmp_path)


def refusal(tmp_path: Path, body: str) -> str:
    with pytest.raises(ConfigError) as info:
        loaded(tmp_path, body)
    return str(info.value).removeprefix("pyproject.toml: ")


@pytest.mark.parametrize("value, size", [
    ("0", 0), ("1000", 1000), ('"0MB"', 0), ('"0.5 GB"', 500_000_000), ('"2KiB"', 2048),
    ('"1 GB"', 10**9), ('" 256 MiB "', 256 << 20), ('"500kb"', 500_000), ('"7"', 7),
    ('"3b"', 3), ('"1 000 kB"', 10**6),  # spaces are ignored anywhere, as in digit groups
])
def test_cache_sizes_in_bytes_or_with_a_unit(tmp_path, value, size):
    assert loaded(tmp_path, f"cache_max_size = {value}").cache_max_size == size


@pytest.mark.parametrize("value, shown", [
    ("-1", "-1"), ("true", "True"), ("1.5", "1.5"), ('"lots"', "'lots'"), ('"2iB"', "'2iB'"),
    ('"-5MB"', "'-5MB'"), ('"inf"', "'inf'"), ('"nanMB"', "'nanMB'"),
])
def test_cache_sizes_that_are_not_sizes_are_refused_in_words(tmp_path, value, shown):
    assert refusal(tmp_path, f"cache_max_size = {value}") == (
        f'{PREFIX} cache_max_size: expected a size such as 268435456, "256MiB" or "1GB", '
        f"not {shown}")


def test_a_size_option_names_the_option(tmp_path):
    with pytest.raises(ConfigError, match=r'^--max-size: expected a size such as 268435456, '
                                          r'"256MiB" or "1GB", not \'big\'$'):
        Settings(root=tmp_path).override(cache_max_size="big")
    assert Settings(root=tmp_path).override(cache_max_size="1KB").cache_max_size == 1000


@pytest.mark.parametrize("value, days", [("0", 0.0), ("0.5", 0.5), ("30", 30.0),
                                         ("1e300", 1e300)])
def test_cache_ages_from_zero_days(tmp_path, value, days):
    age = loaded(tmp_path, f"cache_max_age = {value}").cache_max_age
    assert age == days and type(age) is float


@pytest.mark.parametrize("value, shown", [("-1", "-1"), ("inf", "inf"), ("true", "True"),
                                          ('"7"', "'7'")])
def test_cache_ages_that_are_not_days_are_refused_in_words(tmp_path, value, shown):
    assert refusal(tmp_path, f"cache_max_age = {value}") == \
        f"{PREFIX} cache_max_age: expected a number of days >= 0, not {shown}"


def test_the_executor_and_scheduler(tmp_path):
    s = loaded(tmp_path, 'executor = "dask"\nscheduler = "  tcp://head:8786 "')
    assert (s.executor, s.scheduler) == ("dask", "tcp://head:8786")
    assert loaded(tmp_path, 'executor = "local"').executor == "local"
    for body, said in [
        ('executor = "ray"', f"{PREFIX} executor: expected one of local, dask, not 'ray'"),
        ("executor = 2", f"{PREFIX} executor: expected a string, not 2"),
        ('scheduler = "   "', f"{PREFIX} scheduler: expected a scheduler address such as "
                               "tcp://host:8786, not an empty string"),
        ("scheduler = 8786", f"{PREFIX} scheduler: expected a string, not 8786"),
    ]:
        assert refusal(tmp_path, body) == said, body


@pytest.mark.parametrize("body, said", [
    ('rtol = false', f"{PREFIX} rtol: expected a number in [0, 1), not False"),
    ('rtol = "0.1"', f"{PREFIX} rtol: expected a number in [0, 1), not '0.1'"),
    ('nphotons_factor = "3"', f"{PREFIX} nphotons_factor: expected a number > 1 (e.g. 2 for a "
                              "factor of two), not '3'"),
    ("cache_strategy = 5", f"{PREFIX} cache_strategy: expected a string, not 5"),
    ('per-file-ignores = { "" = ["legacy-key"] }',
     f"{PREFIX} per-file-ignores: expected non-empty glob patterns, not ''"),
    ('per-file-ignores = { "legacy/**" = 3 }',
     "[tool.npzcontract.per-file-ignores] 'legacy/**': expected a list of rule ids, e.g. [3], "
     "not 3"),
])
def test_wrong_types_are_refused_in_words(tmp_path, body, said):
    assert refusal(tmp_path, body) == said


def test_a_limit_may_be_one_or_a_fraction(tmp_path):
    s = loaded(tmp_path, "limits = { max_compression_ratio = 1, remote_connect_seconds = 0.5 }")
    assert (s.limits.max_compression_ratio, s.limits.remote_connect_seconds) == (1, 0.5)


def test_a_glob_option_may_be_one_string(tmp_path):
    s = Settings(root=tmp_path).override(include="*.h5", exclude="scratch/**")
    assert (s.include, s.exclude) == (("*.h5",), ("scratch/**",))


def test_an_expected_parameter_option_that_is_no_number(tmp_path):
    with pytest.raises(ConfigError) as info:
        Settings(root=tmp_path).override(expect={"nphotons": "many"})
    assert str(info.value) == "--expect: nphotons must be a positive number, not 'many'"
