"""Metadata checks of the contract: how ``_metadata`` is stored, its schema and version,
parameters missing or disagreeing with the configuration and the frames, and merged files
judged source by source. Called by :mod:`.checker` with its run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from ..io.archive import CORRUPTION_ERRORS
from ..io.codec import METADATA_KEY, PICKLED_ENCODINGS, DecodedMetadata, MetadataError
from ..io.npyheader import HeaderError
from ..metadata.parameters import (
    missing_hint,
    missing_message,
    missing_parameters,
    section,
    validate_parameters,
)
from .rules import resolve_level
from .sources import check_sources

if TYPE_CHECKING:
    from .run import Run


def check_metadata(run: Run, state: Any, config: Any, frame: tuple[int, int] | None,
                   rtol: float) -> None:
    """Encoding, schema and version, missing and mismatched parameters of ``_metadata``."""
    if isinstance(state, MetadataError):
        run.add(state.rule, METADATA_KEY, str(state))
        if state.encoding in PICKLED_ENCODINGS:
            run.add("pickled-metadata", METADATA_KEY,
                    f"_metadata is a pickled object array ({state.encoding}); "
                    "np.load(..., allow_pickle=False) fails on this file")
        return
    if state is None:
        if METADATA_KEY not in run.broken:
            run.add("metadata-missing", METADATA_KEY,
                    "no _metadata: nphotons and the dataset's provenance are unknown")
        return
    run.report.metadata, run.report.metadata_encoding = state.metadata, state.encoding
    _pickled(run, state.encoding)
    for rule, message in state.notes:
        run.add(rule, METADATA_KEY, message)
    from ..metadata.schema import validate_metadata_schema
    from ..metadata.versions import version_status

    version = version_status(state.metadata)
    if version.status == "newer-major":
        run.add("metadata-schema", METADATA_KEY, version.message)
        return
    if version.status == "newer-minor":
        level = resolve_level("metadata-schema", run.mode, run.levels)
        run.add("metadata-schema", METADATA_KEY, version.message,
                severity="warning" if level == "error" else None)
    for problem in validate_metadata_schema(state.metadata):
        run.add("metadata-schema", METADATA_KEY, problem)
    for name in missing_parameters(state.metadata, config):
        run.add("parameter-missing", f"physics_parameters.{name}",
                missing_message(name, config), hint=missing_hint(name))
    stored_n = section(state.metadata, "physics_parameters").get("N")
    if frame is not None and isinstance(stored_n, int) and stored_n != frame[0]:
        run.add("parameter-mismatch", "N", f"metadata says N={stored_n} but the diffraction "
                f"frames are {frame[0]}x{frame[1]}", hint="fix physics_parameters.N")
    if config is not None:
        for mismatch in validate_parameters(state.metadata, config, rtol=rtol):
            run.add("parameter-mismatch", mismatch.name, mismatch.message)


def check_merged_sources(run: Run, arrays: Mapping[str, Any], state: Any, config: Any,
                         frame: tuple[int, int] | None, values: bool, rtol: float) -> None:
    """Merged files: each source judged by its own metadata (see ``contract/sources.py``)."""
    if not isinstance(state, DecodedMetadata):
        return
    array = arrays.get("source_index")
    index = None
    if values and array is not None and array.ndim == 1 and array.dtype.kind in "iu":
        try:
            # copies: a chunk may be a view of a buffer the next chunk overwrites
            index = np.concatenate([np.array(c).ravel() for c in array.chunks()] or
                                   [np.empty(0, np.int64)])
        except (HeaderError, *CORRUPTION_ERRORS):
            index = None  # the value scan reports it
    check_sources(run.add, state.metadata, frame, index, array is not None, config, rtol)




def _pickled(run: Run, encoding: str | None) -> None:
    if encoding in PICKLED_ENCODINGS:
        run.add("pickled-metadata", METADATA_KEY,
                f"_metadata is a pickled object array ({encoding}); "
                "np.load(..., allow_pickle=False) fails on this file")
