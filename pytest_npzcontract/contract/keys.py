"""DATA-001 as data: which keys exist, their dtypes and ndims, and how keys relate.

>>> DATA_001.keys["diffraction"].dtypes
('float32',)
>>> strict = DATA_001.extended({"required": ["scan_index"],
...                             "keys": {"mask": {"dtypes": ["bool"], "ndim": 2}}})
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # NumPy loads only when a dtype is judged: a cached lint never needs it
    import numpy as np

from ..base.echo import shown

#: Dtype groups usable in ``dtypes`` besides concrete NumPy names.
DTYPE_GROUPS = {"integer": "iu", "float": "f", "complex": "c", "bool": "b"}


@dataclass(frozen=True)
class KeySpec:
    """What the contract says about one key.

    ``per_image``: axis 0 is the image count n, shared by every per-image key.
    ``frame``: axes 1 and 2 are the N x N diffraction frame.
    ``legacy_ndim``: an ndim that is tolerated as a legacy layout (reported, not broken).
    ``replaces``: a key this one may stand in for (``diff3d`` in place of ``diffraction``).
    ``values``: ``"amplitude"`` (>= 0, amplitude advisories apply) or ``"counts"`` (>= 0
    only); empty for keys whose values are not diffraction data.
    ``layouts``: accepted shapes as symbol strings (``"H W"``, ``"P H W"``, ``"H W 1"``):
    ``H``/``W`` are the frame, digits must match exactly, other letters are free.
    """

    name: str
    dtypes: tuple[str, ...] = ()
    ndim: tuple[int, ...] = ()
    required: bool = False
    per_image: bool = False
    frame: bool = False
    legacy: bool = False
    legacy_ndim: tuple[int, ...] = ()
    replaces: str | None = None
    description: str = ""
    #: Human form of the expected shape, e.g. ``(n, N, N)``.
    layout: str = ""
    values: str = ""
    layouts: tuple[str, ...] = ()
    #: amplitudes the reader expects normalized (``not-normalized``): canonical and train
    #: ``diffraction``; the raw form's sqrt(counts) are not.
    normalized: bool = False

    def dtype_ok(self, dtype: np.dtype) -> bool:
        """Whether ``dtype`` is allowed (byte order ignored; no list means any non-object)."""
        if dtype.hasobject:
            return False
        if not self.dtypes:
            return True
        import numpy as np

        native = dtype.newbyteorder("=")
        for allowed in self.dtypes:
            kinds = DTYPE_GROUPS.get(allowed)
            if kinds is not None and native.kind in kinds:
                return True
            if kinds is None and native == np.dtype(allowed):
                return True
        return False

    def wider_than_allowed(self, dtype: np.dtype) -> bool:
        """Same float or complex kind as an allowed concrete dtype but more bytes (complex128
        for complex64, float64 for float32)."""
        native = dtype.newbyteorder("=") if dtype.byteorder not in "|" else dtype
        if native.kind not in "fc":
            return False
        import numpy as np

        for allowed in self.dtypes:
            if allowed in DTYPE_GROUPS:
                continue
            want = np.dtype(allowed)
            if want.kind == native.kind and native.itemsize > want.itemsize:
                return True
        return False

    def frame_of(self, shape: tuple[int, ...]) -> tuple[int, int] | None:
        """The (H, W) frame of ``shape`` under :attr:`layouts`; None when no layout matches.
        Layouts with a fixed axis (``H W 1``) are tried first, so (64, 64, 1) is not P=64."""
        fixed_first = sorted(self.layouts, key=lambda x: not any(s.isdigit() for s in x.split()))
        for layout in fixed_first:
            symbols = layout.split()
            if len(symbols) != len(shape):
                continue
            if all(s == str(d) for s, d in zip(symbols, shape, strict=True) if s.isdigit()):
                dims = dict(zip(symbols, shape, strict=True))
                return dims["H"], dims["W"]
        return None

    def expected_dtype(self) -> str:
        return " or ".join(self.dtypes) if self.dtypes else "any numeric dtype"

    def expected_layout(self) -> str:
        if self.layout:
            return self.layout
        if self.layouts:
            return " or ".join("(" + ", ".join(s.split()) + ")" for s in self.layouts)
        return " or ".join(f"{d}-D" for d in self.ndim) or "any shape"


@dataclass(frozen=True)
class Contract:
    """A complete contract: its keys, and (as a profile) its name, frame sizes and source.

    ``sizes``: the frame sizes N the profile's model accepts (empty: any; ``unsupported-size``).
    ``single_dose``: the profile's reader takes one nphotons per file (raw, train), so frames
    of several doses are ``mixed-dose``; otherwise each source keeps its own dose
    (``source_index``, canonical).
    """

    name: str
    version: str
    keys: Mapping[str, KeySpec] = field(default_factory=dict)
    profile: str = "canonical"
    sizes: tuple[int, ...] = ()
    source: str = ""
    summary: str = ""
    single_dose: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", MappingProxyType(dict(self.keys)))

    def __reduce__(self) -> tuple:
        # A read-only mapping proxy cannot be pickled; rebuild from a plain dict (multiprocessing).
        return (Contract, (self.name, self.version, dict(self.keys), self.profile, self.sizes,
                           self.source, self.summary, self.single_dose))

    def value_keys(self) -> list[str]:
        """Keys holding diffraction data (``values`` set), in contract order."""
        return [k for k, s in self.keys.items() if s.values]

    @property
    def required(self) -> list[str]:
        return [k for k, s in self.keys.items() if s.required]

    def extended(self, spec: Mapping) -> Contract:
        """A copy with extra required keys or per-key overrides, e.g. from configuration.

        ``spec``: ``{"required": [names], "keys": {name: {"dtypes": [...], "ndim": int | [ints],
        "required": bool, "per_image": bool, "frame": bool}}}``. Unknown fields raise ValueError.
        """
        _only(spec, {"required", "keys"}, "contract extension")
        keys = dict(self.keys)
        for name, fields in (spec.get("keys") or {}).items():
            if not isinstance(fields, Mapping):
                raise ValueError(f"contract key {shown(name)} must be a table of fields")
            _only(fields, set(KEY_FIELDS), f"contract key {shown(name)}")
            keys[name] = replace(keys.get(name, KeySpec(name)), **_fields(name, fields))
        for name in _names(spec.get("required") or (), "required"):
            keys[name] = replace(keys.get(name, KeySpec(name)), required=True)
        return replace(self, version=f"{self.version}+ext", keys=keys)


#: Fields a key may set in configuration (``[tool.npzcontract.contract.keys.NAME]``).
KEY_FIELDS = ("dtypes", "ndim", "required", "per_image", "frame", "description", "values",
              "replaces", "legacy", "layouts", "normalized")
VALUE_KINDS = ("amplitude", "counts", "")


def _only(mapping: Mapping, allowed: set[str], what: str) -> None:
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{what} must be a table, not {type(mapping).__name__}")
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ValueError(f"unknown field {shown(unknown[0])} in {what} (allowed: {sorted(allowed)})")


def _names(values: Iterable, what: str) -> list[str]:
    if isinstance(values, str) or not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"{what} must be a list of key names")
    return list(values)


def _fields(name: str, fields: Mapping) -> dict:
    out: dict = {}
    if "dtypes" in fields:
        dtypes = _names(fields["dtypes"], f"contract key {shown(name)} dtypes")
        if any(d not in DTYPE_GROUPS for d in dtypes):
            import numpy as np
        for d in dtypes:
            if d not in DTYPE_GROUPS:
                try:
                    np.dtype(d)
                except TypeError:
                    raise ValueError(f"contract key {shown(name)}: unknown dtype {shown(d)}") from None
        out["dtypes"] = tuple(dtypes)
    if "ndim" in fields:
        ndim = fields["ndim"]
        ndims = [ndim] if isinstance(ndim, int) else list(ndim)
        if not ndims or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 32
                                for d in ndims):
            raise ValueError(f"contract key {shown(name)}: ndim must be an int or list of ints")
        out["ndim"] = tuple(ndims)
        out["layout"] = ""  # the built-in layout text no longer describes the key
        out["layouts"] = ()
    if "layouts" in fields:
        layouts = _names(fields["layouts"], f"contract key {shown(name)} layouts")
        for layout in layouts:
            symbols = layout.split()
            if "H" not in symbols or "W" not in symbols:
                raise ValueError(f"contract key {shown(name)}: layout {shown(layout)} must name the "
                                 "frame axes H and W, e.g. 'P H W'")
        out["layouts"], out["ndim"] = tuple(layouts), tuple(sorted({len(x.split())
                                                                     for x in layouts}))
        out["layout"] = ""
    if "values" in fields:
        if fields["values"] not in VALUE_KINDS:
            raise ValueError(f"contract key {shown(name)}: values must be 'amplitude', 'counts' "
                             f"or '', not {shown(fields['values'])}")
        out["values"] = fields["values"]
    if "replaces" in fields:
        if not isinstance(fields["replaces"], str) or not fields["replaces"]:
            raise ValueError(f"contract key {shown(name)}: replaces must be a key name")
        out["replaces"] = fields["replaces"]
    for flag in ("required", "per_image", "frame", "legacy", "normalized"):
        if flag in fields:
            if not isinstance(fields[flag], bool):
                raise ValueError(f"contract key {shown(name)}: {flag} must be true or false")
            out[flag] = fields[flag]
    if "description" in fields:
        out["description"] = str(fields["description"])
    return out


_FLOATS = ("float64", "float32")

DATA_001 = Contract("DATA-001", "1.0", {
    "diffraction": KeySpec(
        "diffraction", ("float32",), (3,), required=True, per_image=True, frame=True,
        layout="(n, N, N)", description="amplitude sqrt(intensity), finite, >= 0",
        values="amplitude", normalized=True),
    "Y": KeySpec(
        "Y", ("complex64",), (3,), per_image=True, frame=True, legacy_ndim=(4,),
        layout="(n, N, N)", description="ground-truth object patches (supervised training only)"),
    "objectGuess": KeySpec(
        "objectGuess", ("complex64",), (2,), required=True, layout="(M, M')",
        description="full object"),
    "probeGuess": KeySpec(
        "probeGuess", ("complex64",), (2,), required=True, layout="(N, N)",
        description="probe, same H x W as diffraction frames", layouts=("H W",)),
    "xcoords": KeySpec(
        "xcoords", _FLOATS, (1,), required=True, per_image=True, layout="(n,)",
        description="scan x positions in object pixels"),
    "ycoords": KeySpec(
        "ycoords", _FLOATS, (1,), required=True, per_image=True, layout="(n,)",
        description="scan y positions in object pixels"),
    "xcoords_start": KeySpec(
        "xcoords_start", ("float",), (1,), per_image=True, layout="(n,)",
        description="legacy start positions"),
    "ycoords_start": KeySpec(
        "ycoords_start", ("float",), (1,), per_image=True, layout="(n,)",
        description="legacy start positions"),
    "scan_index": KeySpec("scan_index", ("integer",), (1,), per_image=True, layout="(n,)"),
    "source_index": KeySpec(
        "source_index", ("integer",), (1,), per_image=True, layout="(n,)",
        description="merged files: which source_datasets entry each image came from"),
    "ground_truth_patches": KeySpec(
        "ground_truth_patches", ("complex64",), (3, 4), per_image=True, frame=True,
        layout="(n, N, N) or (n, N, N, 1)", description="simulation output name for Y"),
    "diff3d": KeySpec(
        "diff3d", ("integer", "float"), (3,), per_image=True, frame=True, legacy=True,
        replaces="diffraction", layout="(n, N, N)",
        description="raw diffraction, often uint16 intensity", values="counts"),
}, profile="canonical", sizes=(64, 128, 256), source="docs/data_contracts.md §1",
    summary="the canonical DATA-001 layout: float32 amplitude `diffraction`, complex64 "
            "object and probe")
