"""Checking each ``[tool.npzcontract]`` value (and each CLI option carrying one): one function
per key, each returning the normalized value or raising :class:`ConfigError` naming the key.
:mod:`.config` reads the file and builds :class:`~.config.Settings` from these.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..base.echo import shown
from ..base.limits import DEFAULT_LIMITS, Limits
from ..base.modes import ValidationMode

TABLE = "tool.npzcontract"
#: Parameters ``expect`` may pin, with how each value is parsed.
EXPECT_KEYS = {"nphotons": "positive number", "N": "positive integer",
               "gridsize": "positive integer"}
_KEYS = ("mode", "profile", "profiles", "custom-profiles", "include", "exclude", "values",
         "expect", "rules", "contract", "limits", "jobs", "rtol", "respect_gitignore", "cache",
         "cache_dir", "cache_strategy", "cache_max_size", "cache_max_age", "nphotons_factor",
         "require_files", "baseline", "per-file-ignores", "executor", "scheduler")
#: Configuration keys whose Settings field is spelled differently.
#: How the lint cache recognizes an unchanged file: by its identity (size, mtime, inode) or
#: by a hash of its bytes (for CI, where a fresh checkout gives every file a new mtime).
CACHE_STRATEGIES = ("metadata", "content")
#: Where ``lint`` checks files: worker processes on this machine, or a Dask cluster.
EXECUTORS = ("local", "dask")


class ConfigError(ValueError):
    """A configuration or option value that cannot be used; the message names the culprit."""


def _unknown(key: str, known: tuple[str, ...] | list[str], where: str) -> ConfigError:
    import difflib

    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {shown(close[0])}?)" if close else f" (known: {', '.join(known)})"
    return ConfigError(f"unknown key {shown(key)} in {where}{hint}")


def _where(label: str, section: str) -> str:
    """``[tool.npzcontract.expect]`` for a configuration table, the option name for an option."""
    return f"[{TABLE}.{section}]" if label.startswith("[") else label


def _mode(value: Any, label: str) -> str:
    text = _string(value, label)
    try:
        return ValidationMode.coerce(text).value
    except ValueError as exc:
        raise ConfigError(f"{label}: {exc}") from None


def _profile(value: Any, label: str) -> str:
    text = _string(value, label)
    if not text:
        raise ConfigError(f"{label}: expected a profile name")
    return text  # names are checked against the registry once custom profiles are known


def _path_profiles(value: Any, label: str) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and k and isinstance(v, str) and v for k, v in value.items()):
        raise ConfigError(f"{label}: expected a table of \"glob\" = \"profile\"")
    return MappingProxyType(dict(value))


def _custom_profiles(value: Any, label: str) -> Mapping[str, Any]:
    from .profiles import PROFILES, derive_profile

    if not isinstance(value, Mapping):
        raise ConfigError(f"{label}: expected tables [{TABLE}.custom-profiles.NAME]")
    known: dict[str, Any] = dict(PROFILES)
    for name, spec in value.items():
        if name in PROFILES:
            raise ConfigError(f"{label}: {shown(name)} is a built-in profile; choose another name")
        try:
            known[name] = derive_profile(name, spec, known)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{label}: {exc}") from None
    return MappingProxyType({k: _plain(v) for k, v in value.items()})


def _globs(value: Any, label: str) -> tuple[str, ...]:
    if isinstance(value, str) and not _in_file(label):
        value = [value]
    if isinstance(value, str):
        raise ConfigError(f"{label}: expected a list of glob patterns, e.g. [{value!r}], "
                          f"not the string {value!r}")
    if not isinstance(value, (list, tuple)) or not all(
            isinstance(v, str) and v for v in value):
        raise ConfigError(f"{label}: expected a list of glob patterns, not {shown(value)}")
    return tuple(value)


def _in_file(label: str) -> bool:
    """Whether ``label`` names a configuration-file key (``[tool.npzcontract] x``), not an
    option: files must give values of the right type, options arrive as text."""
    return label.startswith("[")


def _per_file_ignores(value: Any, label: str) -> Mapping[str, tuple[str, ...]]:
    """``{"tests/fixtures/**" = ["not-a-dataset"], ...}``: globs to rule ids, as ruff's."""
    from .rules import check_rule_id

    if not isinstance(value, Mapping):
        raise ConfigError(f"{label}: expected a table of \"glob\" = [\"rule-id\", ...]")
    out: dict[str, tuple[str, ...]] = {}
    for pattern, rules in value.items():
        where = f"{_where(label, 'per-file-ignores')} {pattern!r}"
        if not isinstance(pattern, str) or not pattern:
            raise ConfigError(f"{label}: expected non-empty glob patterns, not {pattern!r}")
        if isinstance(rules, str) or not isinstance(rules, (list, tuple)):
            raise ConfigError(f"{where}: expected a list of rule ids, e.g. "
                              f"[{rules!r}], not {rules!r}")
        try:
            out[pattern] = tuple(check_rule_id(rule) for rule in rules)
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    return MappingProxyType(out)


def _baseline(value: Any, label: str) -> str:
    text = _string(value, label)
    if not text:
        raise ConfigError(f"{label}: expected a file name, not an empty string")
    return text


def _bool(value: Any, label: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{label}: expected true or false, not {shown(value)}")
    return value


def _expect(value: Any, label: str) -> Mapping[str, float | int]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{label}: expected a table like {{ nphotons = 1e6, N = 64 }}")
    out: dict[str, float | int] = {}
    for name, item in value.items():
        if name not in EXPECT_KEYS:
            raise _unknown(name, list(EXPECT_KEYS), _where(label, "expect"))
        out[name] = _parameter(name, item, label)
    return MappingProxyType(out)


def _parameter(name: str, value: Any, label: str) -> float | int:
    kind = EXPECT_KEYS[name]
    if _in_file(label) and not isinstance(value, (int, float)):
        raise ConfigError(f"{label}: {name} must be a {kind}, not {value!r}")
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    ok = math.isfinite(number) and number > 0
    if kind == "positive integer":
        ok = ok and number == int(number)
    if not ok:
        raise ConfigError(f"{label}: {name} must be a {kind}, not {shown(value)}")
    return int(number) if kind == "positive integer" else number


def _rules(value: Any, label: str) -> Mapping[str, str]:
    from .rules import validate_overrides

    if not isinstance(value, Mapping):
        raise ConfigError(f"{label}: expected a table of rule-id = level")
    try:
        return MappingProxyType(validate_overrides(value))
    except ValueError as exc:
        raise ConfigError(f"{label}: {exc}") from None


def _contract(value: Any, label: str) -> Mapping[str, Any]:
    from .keys import DATA_001

    if not isinstance(value, Mapping):
        raise ConfigError(f"{label}: expected a table (required = [...], keys.NAME = {{...}})")
    try:
        DATA_001.extended(value)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{label}: {exc}") from None
    return MappingProxyType(dict(value))


def _limits(value: Any, label: str) -> Limits:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{label}: expected a table of limit = number")
    names = [f.name for f in dataclasses.fields(Limits)]
    changes = {}
    for name, item in value.items():
        if name not in names:
            raise _unknown(name, names, _where(label, "limits"))
        if isinstance(item, bool) or not isinstance(item, (int, float)) or not item > 0:
            raise ConfigError(f"{label}: {name} must be a positive number, not {shown(item)}")
        changes[name] = item
    return DEFAULT_LIMITS.with_(**changes)


def _jobs(value: Any, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{label}: expected a whole number >= 0 (0: one per CPU), not {shown(value)}")
    return value or (os.cpu_count() or 1)


def _rtol(value: Any, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ConfigError(f"{label}: expected a number in [0, 1), not {shown(value)}")
    return float(value)


def _cache_strategy(value: Any, label: str) -> str:
    text = _string(value, label)
    if text not in CACHE_STRATEGIES:
        raise ConfigError(f"{label}: expected one of {', '.join(CACHE_STRATEGIES)}, not {shown(text)}")
    return text


_SIZE_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 1 << 10,
               "mib": 1 << 20, "gib": 1 << 30}


def _size(value: Any, label: str) -> int:
    """Bytes: a whole number, or a string such as ``"256MiB"``, ``"1 GB"``, ``"500kb"``."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        number = text.rstrip("kmgib")
        unit = text[len(number):]
        try:
            amount = float(number)
        except ValueError:
            amount = -1.0
        if unit in _SIZE_UNITS and math.isfinite(amount) and amount >= 0:
            return int(amount * _SIZE_UNITS[unit])
    raise ConfigError(f"{label}: expected a size such as 268435456, \"256MiB\" or \"1GB\", "
                      f"not {value!r}")


def _days(value: Any, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise ConfigError(f"{label}: expected a number of days >= 0, not {value!r}")
    return float(value)


def _executor(value: Any, label: str) -> str:
    text = _string(value, label)
    if text not in EXECUTORS:
        raise ConfigError(f"{label}: expected one of {', '.join(EXECUTORS)}, not {text!r}")
    return text


def _address(value: Any, label: str) -> str:
    text = _string(value, label).strip()
    if not text:
        raise ConfigError(f"{label}: expected a scheduler address such as "
                          f"tcp://host:8786, not an empty string")
    return text


def _nonempty(value: Any, label: str) -> str:
    text = _string(value, label)
    if not text:
        raise ConfigError(f"{label}: expected a directory name, not an empty string")
    return text


def _factor(value: Any, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 < value < math.inf:
        raise ConfigError(f"{label}: expected a number > 1 (e.g. 2 for a factor of two), "
                          f"not {shown(value)}")
    return float(value)


def _string(value: Any, label: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{label}: expected a string, not {shown(value)}")
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


_CHECKS = {"mode": _mode, "profile": _profile, "profiles": _path_profiles,
           "custom-profiles": _custom_profiles, "include": _globs, "exclude": _globs,
           "values": _bool, "expect": _expect, "rules": _rules, "contract": _contract,
           "limits": _limits, "jobs": _jobs, "rtol": _rtol, "respect_gitignore": _bool,
           "cache": _bool, "cache_dir": _nonempty, "cache_strategy": _cache_strategy,
           "cache_max_size": _size, "cache_max_age": _days,
           "nphotons_factor": _factor, "require_files": _bool, "baseline": _baseline,
           "per-file-ignores": _per_file_ignores, "executor": _executor,
           "scheduler": _address}
