"""The rule table: stable ids, their kind, and the severity each mode gives them.

Kinds (SPEC §4):

- ``structural``: the data cannot be used as-is; an error in every mode.
- ``policy``: metadata and migration policy; error in STRICT, warning in WARN, off in PERMISSIVE.
- ``advisory``: heuristics that can be wrong for legitimate data; warning, info in PERMISSIVE.

A fix that is a command is written in backticks with ``FILE`` standing for the file (and
``VALUE`` for a value only the user knows); following it leaves the file clean under its
profile (``tests/contract/test_fix_lines.py``).

Any rule's level can be overridden with ``{"rule-id": "error" | "warning" | "info" | "off"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..base.echo import shown
from ..base.modes import ValidationMode

LEVELS = ("error", "warning", "info", "off")


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    summary: str
    fix: str


_RULES = [
    Rule("unreadable", "structural", "the file or a member cannot be parsed as an NPZ archive",
         "re-create the file with save_npz / np.savez; check for truncation in transfer"),
    Rule("unsafe-object-array", "structural",
         "an object (pickled) array that cannot be decoded without running code",
         "rewrite the array with a numeric or string dtype when writing; metadata belongs in "
         "_metadata as JSON text (save_npz)"),
    Rule("resource-limit", "structural", "a member exceeds a size, ratio or nesting limit",
         "check the file is not a zip bomb; raise the limit in configuration if it is legitimate"),
    Rule("missing-key", "structural", "a required key is absent",
         "add the key when writing the dataset"),
    Rule("not-a-dataset", "structural",
         "the file shares no key with any profile: model weights, a loss table, a fixture",
         "exclude it: add its path to exclude in [tool.npzcontract] (npzcontract init does)"),
    Rule("legacy-key", "policy", "a legacy key or layout (diff3d, 4-D Y, top-level nphotons)",
         "run `npzcontract migrate --in-place FILE` to convert it to its profile's form"),
    Rule("bad-dtype", "structural", "an array has a dtype the contract does not allow",
         "cast when writing, e.g. arr.astype(np.float32)"),
    Rule("bad-ndim", "structural", "an array has the wrong number of dimensions",
         "reshape to the documented layout"),
    Rule("shape-mismatch", "structural", "frame sizes disagree between keys",
         "make diffraction frames, probe and patches the same N x N"),
    Rule("n-images-mismatch", "structural", "per-image arrays disagree on the image count n",
         "slice every per-image array with the same index"),
    Rule("non-finite", "structural", "NaN or infinity in the data",
         "find where the NaN/inf is produced; do not save it"),
    Rule("negative-amplitude", "structural", "diffraction amplitude below zero",
         "diffraction values (amplitudes or counts) must be >= 0: fix the preprocessing, or "
         "clip when writing: np.clip(a, 0, None)"),
    Rule("not-normalized", "advisory", "diffraction amplitude looks unnormalized (max >= 10)",
         "normalize amplitudes, or use profile count-intensity if counts are intended"),
    Rule("intensity-not-amplitude", "policy",
         "counts or rescaled counts where amplitude is expected: proven by the photon-count "
         "lattice (policy); the shape-and-range heuristic alone stays advisory",
         "store sqrt(intensity) when writing: np.sqrt(counts).astype(np.float32) (for integer "
         "counts `npzcontract migrate --in-place --sqrt FILE` does it), or use profile "
         "count-intensity"),
    Rule("metadata-missing", "policy", "no _metadata in the file",
         "write with save_npz(..., metadata=create_metadata(config, script))"),
    Rule("metadata-invalid", "structural", "_metadata is not a JSON object in a known encoding",
         "write metadata as JSON text with save_npz"),
    Rule("metadata-schema", "structural", "_metadata does not match the metadata JSON Schema",
         "see `npzcontract schema` for the expected fields"),
    Rule("pickled-metadata", "policy",
         "_metadata stored as a pickled object array (other readers must enable pickle)",
         "run `npzcontract migrate --in-place FILE` to store it as JSON text"),
    Rule("parameter-mismatch", "policy",
         "dataset metadata disagrees with the configuration or with the arrays",
         "use the dataset's parameters (config_from_metadata) or re-simulate"),
    Rule("nphotons-inconsistent", "policy",
         "the recorded nphotons and the dose read from the frames' photon statistics disagree "
         "by more than a factor (default 2x)",
         "record the dose the data were made with (physics_parameters.nphotons); "
         "`npzcontract migrate --in-place --nphotons estimate FILE` fills a missing one"),
    Rule("parameter-missing", "policy",
         "the metadata records no nphotons, or not a parameter the configuration names",
         "record it: create_metadata({'nphotons': ...}) or "
         "`npzcontract migrate --in-place --nphotons VALUE FILE`"),
    Rule("dtype-precision", "policy",
         "an array has the expected kind at a wider precision (complex128, float64)",
         "cast when writing, e.g. arr.astype(np.complex64), or run "
         "`npzcontract migrate --in-place FILE`"),
    Rule("unsupported-size", "policy",
         "the frame size N is not one the profile's model accepts (64, 128, 256)",
         "resample or crop to a supported N, or use a profile with other sizes"),
    Rule("transposed-layout", "policy",
         "frames stored (H, W, n) instead of (n, H, W)",
         "np.transpose(a, (2, 0, 1)) when writing, or run `npzcontract migrate --in-place FILE`"),
    Rule("mixed-dose", "structural",
         "frames of several doses under a profile whose reader takes one nphotons per file",
         "judge it under a per-source profile (canonical reads source_index), or merge with "
         "one dose chosen explicitly (npzcontract merge --nphotons VALUE)"),
    Rule("scale-contract", "policy",
         "physics_parameters.scale_contract_version / measurement_domain is partial, "
         "contradictory or unknown",
         "record a supported pair: ci_intensity_v2 + count_intensity, or legacy_v1 + "
         "normalized_amplitude"),
]

RULES: dict[str, Rule] = {r.id: r for r in _RULES}

_BY_KIND = {
    "structural": {m: "error" for m in ValidationMode},
    "policy": {ValidationMode.STRICT: "error", ValidationMode.WARN: "warning",
               ValidationMode.PERMISSIVE: "off"},
    "advisory": {ValidationMode.STRICT: "warning", ValidationMode.WARN: "warning",
                 ValidationMode.PERMISSIVE: "info"},
}


def default_level(rule: str, mode: ValidationMode | str, kind: str | None = None) -> str:
    """The level a rule has in a mode before overrides: ``default_level("legacy-key", "warn")``.

    ``kind`` overrides the rule's own kind for one finding: ``intensity-not-amplitude`` is a
    policy finding when the photon-count lattice proves it, an advisory one from the
    shape-and-range heuristic alone."""
    mode = ValidationMode.coerce(mode)
    return _BY_KIND[kind or RULES[rule].kind][mode]


def resolve_level(rule: str, mode: ValidationMode | str,
                  overrides: Mapping[str, str] | None = None, kind: str | None = None) -> str:
    """The level in force for ``rule``: an override if configured, else the mode's default."""
    if overrides and rule in overrides:
        return overrides[rule]
    return default_level(rule, mode, kind)


def validate_overrides(overrides: Mapping[str, str] | None) -> dict[str, str]:
    """Check a rule-level mapping; raises ``ValueError`` naming the bad rule or level."""
    out: dict[str, str] = {}
    for rule, level in (overrides or {}).items():
        check_rule_id(rule)
        level = str(level).lower()
        if level not in LEVELS:
            raise ValueError(f"rule {shown(rule)}: level must be one of {LEVELS}, not {shown(level)}")
        out[rule] = level
    return out


def check_rule_id(rule: object) -> str:
    """``rule`` if it is a known rule id; else ``ValueError`` with a "did you mean"."""
    if isinstance(rule, str) and rule in RULES:
        return rule
    import difflib

    close = difflib.get_close_matches(str(rule), list(RULES), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(RULES)})"
    raise ValueError(f"unknown rule id {shown(rule)}{hint}")


def fix_lines(findings: Any) -> list[str]:
    """A ``fix RULE: HINT`` line for every error and warning among ``findings``, each
    distinct line once: the finding's own hint, else its rule's general fix (what ``lint``,
    ``pytest --npz-lint`` and the assertions print under the findings)."""
    from ..base.report import one_line

    lines: dict[str, None] = {}
    for f in findings:
        if f.severity in ("error", "warning"):
            hint = f.hint or (RULES[f.rule].fix if f.rule in RULES else "")
            if hint:
                lines[f"fix {f.rule}: {one_line(hint)}"] = None
    return list(lines)
