"""Profiles: complete, declarative contracts for each form the reference pipeline reads.

A profile is a :class:`~pytest_npzcontract.contract.keys.Contract` (keys, frame sizes, the
document it follows); the checker has no profile-specific branches. Users derive their own::

    >>> mine = derive_profile("fly64", {"extends": "train", "require": ["scan_index"],
    ...                                 "drop": ["Y"], "retype": {"xcoords": {"dtypes": ["float64"]}}})
    >>> mine.profile, mine.keys["scan_index"].required
    ('fly64', True)

The scaling pair recorded in metadata selects a profile when none is named
(:func:`profile_from_scale`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from ..base.echo import shown
from .keys import DATA_001, Contract, KeySpec

_COORD = ("float",)

TRAIN = replace(
    DATA_001, profile="train", single_dose=True,
    source="ptycho/workflows/components.py `load_data`",
    summary="canonical, plus what the training loader reads unconditionally: `xcoords_start`, "
            "`ycoords_start`; float32 amplitude `diff3d` accepted in place of `diffraction`",
    keys={**DATA_001.keys,
          "xcoords_start": replace(DATA_001.keys["xcoords_start"], required=True,
                                   description="start positions, read by the training loader"),
          "ycoords_start": replace(DATA_001.keys["ycoords_start"], required=True,
                                   description="start positions, read by the training loader"),
          "diff3d": replace(DATA_001.keys["diff3d"], dtypes=("float32",), legacy=False,
                            values="amplitude", normalized=True,
                            description="amplitude, accepted in place of diffraction")})

RAW = Contract("DATA-001", DATA_001.version, {
    "diff3d": KeySpec(
        "diff3d", ("float32",), (3,), required=True, per_image=True, frame=True,
        layout="(M, N, N)", description="amplitude sqrt(intensity), finite, >= 0",
        values="amplitude"),
    "xcoords": replace(DATA_001.keys["xcoords"]),
    "ycoords": replace(DATA_001.keys["ycoords"]),
    "probeGuess": replace(DATA_001.keys["probeGuess"]),
    "objectGuess": replace(DATA_001.keys["objectGuess"], required=False),
    "scan_index": replace(DATA_001.keys["scan_index"]),
    "xcoords_start": replace(DATA_001.keys["xcoords_start"], description="start positions"),
    "ycoords_start": replace(DATA_001.keys["ycoords_start"], description="start positions"),
    "Y": replace(DATA_001.keys["Y"]),
    **{k: v for k, v in DATA_001.keys.items() if k == "source_index"},
}, profile="raw", sizes=DATA_001.sizes, single_dose=True,
    source="docs/specs/spec-ptycho-core.md \"Raw NPZ\"; ptycho/raw_data.py `RawData.from_file`",
    summary="`diff3d` (M, N, N) float32 amplitude, `xcoords`, `ycoords`, `probeGuess` "
            "required; `objectGuess`, `scan_index`, `*_start` optional")

_COUNTS = ("integer", "float32")
COUNT_INTENSITY = replace(
    DATA_001, profile="count-intensity",
    source="docs/specs/spec-ptycho-core.md count-intensity ingestion (`ci_intensity_v2`)",
    summary="photon counts (integer or float32) under `diffraction` or `diff3d`; probe "
            "(N, N), (P, N, N) or (N, N, 1); `objectGuess` optional",
    keys={**DATA_001.keys,
          "diffraction": replace(DATA_001.keys["diffraction"], dtypes=_COUNTS, values="counts",
                                 description="photon counts, finite, >= 0"),
          "diff3d": replace(DATA_001.keys["diff3d"], dtypes=_COUNTS, legacy=False,
                            values="counts", description="photon counts, in place of "
                            "diffraction"),
          "probeGuess": replace(DATA_001.keys["probeGuess"], ndim=(2, 3), layout="",
                                layouts=("H W", "P H W", "H W 1")),
          "objectGuess": replace(DATA_001.keys["objectGuess"], required=False)})

#: The built-in profiles, by name. ``canonical`` is :data:`DATA_001` itself.
PROFILES: Mapping[str, Contract] = MappingProxyType({
    "canonical": DATA_001, "train": TRAIN, "raw": RAW, "count-intensity": COUNT_INTENSITY})

#: Supported ``(scale_contract_version, measurement_domain)`` pairs and the profile each selects.
SCALE_PAIRS = {("ci_intensity_v2", "count_intensity"): "count-intensity",
               ("legacy_v1", "normalized_amplitude"): "canonical"}
CUSTOM_FIELDS = ("extends", "require", "drop", "retype", "keys", "sizes", "description",
                 "single_dose")


def profile_from_scale(pair: tuple[object, object] | None) -> tuple[str | None, str | None]:
    """``(profile, problem)`` for a recorded scaling pair (``None``: nothing recorded).

    >>> profile_from_scale(("ci_intensity_v2", "count_intensity"))
    ('count-intensity', None)
    >>> profile_from_scale(("ci_intensity_v2", None))[1]
    'partial scaling pair: scale_contract_version is ci_intensity_v2 but measurement_domain is not recorded'
    """
    if pair is None:
        return None, None
    version, domain = pair
    if version is None or domain is None:
        given, absent = (("scale_contract_version", version), "measurement_domain") \
            if domain is None else (("measurement_domain", domain), "scale_contract_version")
        return None, f"partial scaling pair: {given[0]} is {given[1]} but {absent} is not recorded"
    if (version, domain) in SCALE_PAIRS:
        return SCALE_PAIRS[(version, domain)], None
    versions = {v for v, _ in SCALE_PAIRS}
    domains = {d for _, d in SCALE_PAIRS}
    if version in versions and domain in domains:
        return None, (f"contradictory scaling pair: {version} with {domain} "
                      f"(supported: {_pairs()})")
    return None, f"unknown scaling pair: {shown(version)} / {shown(domain)} (supported: {_pairs()})"


def _pairs() -> str:
    return ", ".join(f"{v}/{d}" for v, d in SCALE_PAIRS)


def derive_profile(name: str, spec: Mapping, known: Mapping[str, Contract] | None = None
                   ) -> Contract:
    """A custom profile from a configuration table: ``extends`` a known profile, then
    ``require`` (key names), ``drop`` (key names), ``retype`` (``{key: {dtypes, ndim}}``),
    ``keys`` (new or changed keys, any key field), ``sizes`` (frame sizes; ``[]``: any) and
    ``single_dose`` (the reader takes one nphotons per file; default: the base profile's).
    Raises ``ValueError`` naming the bad field."""
    known = PROFILES if known is None else known
    if not isinstance(spec, Mapping):
        raise ValueError(f"custom profile {shown(name)} must be a table")
    unknown = sorted(set(spec) - set(CUSTOM_FIELDS))
    if unknown:
        raise ValueError(f"unknown field {shown(unknown[0])} in custom profile {shown(name)} "
                         f"(allowed: {', '.join(CUSTOM_FIELDS)})")
    base_name = spec.get("extends")
    if base_name not in known:
        raise ValueError(f"custom profile {shown(name)}: extends must name a profile "
                         f"({', '.join(known)}), not {shown(base_name)}")
    retype = spec.get("retype") or {}
    if not isinstance(retype, Mapping) or not all(
            isinstance(v, Mapping) and set(v) <= {"dtypes", "ndim"} for v in retype.values()):
        raise ValueError(f"custom profile {shown(name)}: retype must be a table of "
                         "key = { dtypes = [...], ndim = ... }")
    base = known[base_name]
    for key in retype:
        if key not in base.keys:
            raise ValueError(f"custom profile {shown(name)}: cannot retype {shown(key)}, which "
                             f"{base_name} does not define")
    keys_spec = dict(spec.get("keys") or {})
    merged = {k: {**keys_spec.get(k, {}), **v} for k, v in retype.items()}
    contract = base.extended({"required": list(spec.get("require") or ()),
                              "keys": {**keys_spec, **merged}})
    keys = dict(contract.keys)
    for key in _names(spec.get("drop") or (), f"custom profile {shown(name)} drop"):
        if key not in keys:
            raise ValueError(f"custom profile {shown(name)}: cannot drop {shown(key)}, which "
                             f"{base_name} does not define")
        del keys[key]
    sizes = spec.get("sizes", base.sizes)
    if isinstance(sizes, (str, bytes)) or not all(
            isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise ValueError(f"custom profile {shown(name)}: sizes must be a list of positive integers")
    summary = str(spec.get("description") or f"{base_name}, customized")
    single_dose = spec.get("single_dose", base.single_dose)
    if not isinstance(single_dose, bool):
        raise ValueError(f"custom profile {name!r}: single_dose must be true or false")
    return replace(contract, keys=keys, profile=name, sizes=tuple(sizes),
                   source="configuration", summary=summary, single_dose=single_dose)


def _names(values: object, what: str) -> list[str]:
    if isinstance(values, str) or not isinstance(values, (list, tuple)) or not all(
            isinstance(v, str) and v for v in values):
        raise ValueError(f"{what} must be a list of key names")
    return list(values)


def resolve_profile(profile: str | Contract, known: Mapping[str, Contract] | None = None
                    ) -> Contract:
    """The contract for a profile name (or a Contract, returned as is); ``ValueError`` names
    the choices for an unknown name."""
    if isinstance(profile, Contract):
        return profile
    known = PROFILES if known is None else known
    if profile not in known:
        raise ValueError(f"unknown profile {shown(profile)} (choose from {', '.join(known)})")
    return known[profile]
