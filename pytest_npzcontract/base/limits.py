"""Resource limits applied to every file read. All are documented defaults a caller can change.

>>> from pytest_npzcontract.base.limits import Limits
>>> big = Limits(max_metadata_bytes=64 << 20)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

MiB = 1 << 20
GiB = 1 << 30


@dataclass(frozen=True)
class Limits:
    #: Largest ``_metadata`` member (any encoding) that is decoded.
    max_metadata_bytes: int = 16 * MiB
    #: Deepest nesting of lists/objects accepted in metadata.
    max_json_depth: int = 64
    #: Largest ``.npy`` header accepted (NumPy itself stops at 10 000 by default).
    max_header_bytes: int = 64 * 1024
    #: Most members in one archive.
    max_members: int = 4096
    #: Largest single array (decompressed) that is read or scanned.
    max_array_bytes: int = 64 * GiB
    #: Members larger than ``ratio_floor_bytes`` that inflate more than this are refused.
    max_compression_ratio: float = 1000.0
    ratio_floor_bytes: int = 64 * MiB
    #: Largest LZMA dictionary a member may ask for (its decoder allocates about this much).
    max_lzma_dict_bytes: int = 64 * MiB
    #: Bytes decompressed per step by streamed value checks (1 MiB: a step's output is still
    #: in the per-core L2 cache when its CRC and statistics read it).
    chunk_bytes: int = 1 * MiB
    #: Remote (http/https) reads: seconds to connect, seconds a read may wait for a byte, and
    #: seconds all the requests for one file may take together.
    remote_connect_seconds: float = 10.0
    remote_read_seconds: float = 30.0
    remote_total_seconds: float = 600.0

    def with_(self, **changes) -> Limits:
        return replace(self, **changes)


DEFAULT_LIMITS = Limits()
