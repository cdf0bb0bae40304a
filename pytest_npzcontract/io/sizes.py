"""What a zip directory declares about sizes, checked before any member is read: the layout
(each member's declared compressed bytes really lie in the file, before the next member) and
the compression ratios (per member and for all members together), computed from those bytes.

>>> problems = layout_problems(zf.infolist(), zf)        # {id(info): reason}
>>> ratio_problem(info, DEFAULT_LIMITS)                   # None or "inflates 5,000x ..."
"""

from __future__ import annotations

import zipfile

from ..base.limits import Limits


def layout_problems(infos: list[zipfile.ZipInfo], zf: zipfile.ZipFile) -> dict[int, str]:
    """Members whose declared compressed bytes are not really there: each member's local
    header plus its compressed size must fit before the next member (or the zip directory).
    Then the compressed sizes add up to at most the file's size, so every ratio computed from
    them is a ratio of bytes present (``open_member`` checks each stream consumes exactly its
    declared size). Keyed by ``id(info)``."""
    problems: dict[int, str] = {}
    ordered = sorted(infos, key=lambda i: i.header_offset)
    end_of_data = getattr(zf, "start_dir", None)
    for index, info in enumerate(ordered):
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        name_bytes = len(info.orig_filename.encode(encoding, "replace"))
        needs = 30 + name_bytes + info.compress_size
        limit = ordered[index + 1].header_offset if index + 1 < len(ordered) else end_of_data
        if limit is None:
            continue
        room = limit - info.header_offset
        if room < needs:
            where = "the next member" if index + 1 < len(ordered) else "the zip directory"
            problems[id(info)] = (
                f"member {info.filename!r} declares {info.compress_size:,} compressed bytes but "
                f"only {max(room - 30 - name_bytes, 0):,} lie before {where} (lying sizes or "
                "overlapping members)")
    return problems


def ratio_problem(info: zipfile.ZipInfo, limits: Limits) -> str | None:
    if info.compress_type == zipfile.ZIP_STORED:
        return None
    return _inflation(info.file_size, info.compress_size, limits, "inflates")


def total_ratio_problem(infos: list[zipfile.ZipInfo], limits: Limits) -> str | None:
    """Many members, each under the per-member floor, can add up to a bomb."""
    packed = [i for i in infos if i.compress_type != zipfile.ZIP_STORED]
    problem = _inflation(sum(i.file_size for i in packed), sum(i.compress_size for i in packed),
                         limits, f"its {len(packed)} compressed members inflate")
    return f"archive: {problem}" if problem else None


def _inflation(size: int, packed: int, limits: Limits, what: str) -> str | None:
    if size <= limits.ratio_floor_bytes:
        return None
    ratio = size / max(packed, 1)
    if ratio <= limits.max_compression_ratio:
        return None
    return (f"{what} {ratio:,.0f}x ({human_size(size)} from {human_size(packed)}), over the "
            f"{limits.max_compression_ratio:,.0f}x limit (zip bomb?)")


def human_size(n: float) -> str:
    """Bytes as a short human string: ``human_size(4 << 30) == "4.0 GiB"``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover
