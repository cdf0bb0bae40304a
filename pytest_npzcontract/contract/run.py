"""What one check of a file (or of in-memory arrays) carries while the check modules run:
the arrays to judge (:class:`Array`, headers plus a way to stream the values) and the
collector of findings (:class:`Run`: mode, rule levels, the profile in force, the report).

The checker (:mod:`.checker`) creates them; :mod:`.metadata_checks`, :mod:`.value_checks` and
:mod:`.dose` add findings through :meth:`Run.add`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base.modes import ValidationMode
from ..base.report import Finding, Report
from .dose import DEFAULT_FACTOR
from .keys import Contract
from .profiles import PROFILES, resolve_profile
from .rules import RULES, resolve_level, validate_overrides


@dataclass
class Array:
    key: str
    shape: tuple[int, ...]
    dtype: np.dtype
    nbytes: int
    chunks: Callable[[], Iterator[np.ndarray]]
    #: Data stored in Fortran order (flat chunks then interleave the frames).
    fortran: bool = False
    #: The local archive the member can be re-opened from (``chunks(fp=...)`` then reads
    #: through another handle, for scans in threads); None for in-memory or remote data.
    source: str | None = None

    @property
    def ndim(self) -> int:
        return len(self.shape)


class Run:
    """Collects findings for one target, resolving each rule's level from mode and overrides.

    ``contract`` is the profile in force; ``None`` until the metadata's scaling pair (or the
    default, canonical) selects one.
    """

    def __init__(self, file: str | None, mode: Any, rule_levels: Mapping[str, str] | None,
                 profile: str | Contract | None, contract: Contract | None,
                 profiles: Mapping[str, Contract] | None) -> None:
        self.mode = ValidationMode.coerce(mode)
        self.levels = validate_overrides(rule_levels)
        self.profiles = PROFILES if profiles is None else profiles
        chosen = contract if contract is not None else profile
        self.contract: Contract | None = (None if chosen is None
                                          else resolve_profile(chosen, self.profiles))
        self.report = Report(file)
        self.broken: set[str] = set()
        self.transposed: set[str] = set()  # keys stored (H, W, n): no per-frame statistics
        self.cubes: set[str] = set()  # (N, N, N) frames: the value scan decides the layout
        self.nphotons_factor = DEFAULT_FACTOR
        #: Large members scanned at once in threads (check_file's ``threads``).
        self.threads = 1

    def add(self, rule: str, key: str | None, message: str, hint: str | None = None,
            severity: str | None = None, kind: str | None = None) -> None:
        """``kind`` gives this one finding another kind than its rule's (an advisory
        heuristic of a policy rule)."""
        level = resolve_level(rule, self.mode, self.levels, kind)
        if level == "off":
            return
        self.report.findings.append(Finding(
            self.report.file, key, rule, severity or level, message,
            RULES[rule].fix if hint is None else hint, kind or ""))
