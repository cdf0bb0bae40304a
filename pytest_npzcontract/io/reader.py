"""Safe loading: ``load_npz(path) -> (arrays, metadata)`` and header-only ``inspect_npz``.

Never enables pickle. Any file that cannot be read safely raises :class:`ContractViolation`
with one finding per problem; the message is one line per finding.
"""

from __future__ import annotations

import os
import zipfile

import numpy as np

from ..base.errors import ContractViolation
from ..base.limits import DEFAULT_LIMITS, Limits
from ..base.report import Finding
from .archive import CORRUPTION_ERRORS, ArchiveScan, MemberInfo, iter_member_data, scan_archive
from .codec import (
    METADATA_KEY,
    DecodedMetadata,
    MetadataError,
    decode_member_bytes,
    legacy_nphotons,
)
from .members import open_member
from .npyheader import HeaderError


def inspect_npz(path: str | os.PathLike, *, limits: Limits = DEFAULT_LIMITS
                ) -> dict[str, MemberInfo]:
    """Name, shape, dtype, order and sizes of every member, from headers only.

    >>> info = inspect_npz("train.npz")
    >>> info["diffraction"].shape, info["diffraction"].dtype
    ((512, 64, 64), dtype('float32'))
    """
    with scan_archive(path, limits) as scan:
        _raise_if_errors(scan.findings)
        return dict(scan.members)


def load_npz(path: str | os.PathLike, *, limits: Limits = DEFAULT_LIMITS
             ) -> tuple[dict[str, np.ndarray], dict | None]:
    """Load every array and the decoded metadata (``None`` when the file has none).

    ``_metadata`` is not among the returned arrays. Pickled metadata written by the reference
    tools is decoded without executing anything; object arrays holding data are refused.

    >>> arrays, metadata = load_npz("train.npz")
    >>> metadata["physics_parameters"]["nphotons"]
    1000000.0
    """
    fspath = os.fspath(path)
    with scan_archive(fspath, limits) as scan:
        findings = list(scan.findings)
        unsafe = [k for k, m in scan.members.items() if m.dtype.hasobject and k != METADATA_KEY]
        findings += [Finding(fspath, k, "unsafe-object-array", "error",
                             f"object array (dtype {scan.members[k].dtype}) would need "
                             "pickle to be enabled to load") for k in unsafe]
        metadata: dict | None = None
        try:
            decoded = read_metadata(scan, limits)
            metadata = decoded.metadata if decoded else None
            findings += _version_findings(fspath, metadata)
        except MetadataError as exc:
            findings.append(Finding(fspath, METADATA_KEY, exc.rule, "error", str(exc)))
        else:
            # Decoded but not clean (NaN, out-of-range numbers): refused here exactly as
            # check_file reports it, so a file either passes both or neither.
            findings += [Finding(fspath, METADATA_KEY, rule, "error", message)
                         for rule, message in (decoded.notes if decoded else [])]
        _raise_if_errors(findings)
        arrays = {key: read_array(scan, key, limits) for key in scan.members
                  if key != METADATA_KEY}
    return arrays, metadata


def _version_findings(path: str, metadata: dict | None) -> list[Finding]:
    """A newer major schema_version is refused; a newer minor is read with a warning."""
    from ..metadata.versions import version_status

    status = version_status(metadata)
    if status.status == "newer-major":
        return [Finding(path, METADATA_KEY, "metadata-schema", "error", status.message)]
    if status.status == "newer-minor":
        import warnings

        from ..base.errors import NpzContractWarning

        warnings.warn(f"{path}: {status.message}", NpzContractWarning, stacklevel=3)
    return []


def read_metadata(scan: ArchiveScan, limits: Limits = DEFAULT_LIMITS) -> DecodedMetadata | None:
    """Decode ``_metadata`` (or a legacy scalar ``nphotons``); ``None`` when neither exists.

    Raises :class:`MetadataError` when metadata exists but cannot be decoded safely.
    """
    member = scan.members.get(METADATA_KEY)
    if member is None:
        legacy = scan.members.get("nphotons")
        if legacy is not None and legacy.data_bytes <= 64 and not legacy.dtype.hasobject:
            try:
                return legacy_nphotons(read_array(scan, "nphotons", limits))
            except ContractViolation as exc:
                first = exc.findings[0]
                raise MetadataError(f"legacy nphotons: {first.message}", first.rule) from None
        return None
    if member.file_size > limits.max_metadata_bytes:
        raise MetadataError(
            f"_metadata member is {member.file_size:,} bytes, over the "
            f"{limits.max_metadata_bytes:,}-byte limit", rule="resource-limit")
    try:
        raw = b"".join(open_member(scan.zf, scan.infos[METADATA_KEY], step=limits.chunk_bytes,
                                   max_lzma_dict=limits.max_lzma_dict_bytes))
    except HeaderError as exc:
        raise MetadataError(f"corrupt _metadata member ({exc})", rule=exc.rule) from None
    except CORRUPTION_ERRORS as exc:
        raise MetadataError(f"corrupt _metadata member ({exc})", rule="unreadable") from None
    return decode_member_bytes(raw, limits)


def read_array(scan: ArchiveScan, key: str, limits: Limits = DEFAULT_LIMITS) -> np.ndarray:
    """Read one member's array, growing the buffer only as data really arrives."""
    member = scan.members[key]
    buf = bytearray()
    try:
        for piece in iter_member_data(scan.zf, scan.infos[key], member, limits.chunk_bytes,
                                      limits):
            buf += piece
    except HeaderError as exc:
        raise ContractViolation(findings=[_finding(scan.path, key, exc.rule, str(exc))]
                                ) from None
    except MemoryError:
        raise ContractViolation(findings=[_finding(
            scan.path, key, "resource-limit",
            f"not enough memory to load {member.data_bytes:,} bytes")]) from None
    except CORRUPTION_ERRORS as exc:
        raise ContractViolation(findings=[_finding(
            scan.path, key, "unreadable", f"corrupt member data ({_reason(exc)})")]) from None
    order = "F" if member.fortran_order else "C"
    return np.frombuffer(buf, dtype=member.dtype).reshape(member.shape, order=order)


def _reason(exc: Exception) -> str:
    if isinstance(exc, zipfile.BadZipFile) and "CRC" in str(exc):
        return "CRC mismatch: the bytes changed after writing"
    return f"{type(exc).__name__}: {exc}"


def _finding(path: str, key: str | None, rule: str, message: str) -> Finding:
    return Finding(path, key, rule, "error", message)


def _raise_if_errors(findings: list[Finding]) -> None:
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise ContractViolation(findings=errors)
