"""The tool-author API: load inputs safely, record what was done, check and save atomically.

One context manager does the whole "tool enhancement pattern" (load with metadata, process,
append a transformation record naming every input by SHA-256, save) so that a tool cannot
forget a step::

    >>> from pytest_npzcontract import transform
    >>> with transform("sim.npz", tool="crop.py", operation="crop",
    ...                parameters={"n": 4}, mode="strict") as t:
    ...     arrays = {k: v[:4] if k in ("diffraction", "Y", "xcoords", "ycoords") else v
    ...               for k, v in t.arrays.items()}
    ...     t.write("crop.npz", arrays)          # metadata: the input's + one new record

On leaving the block without an exception, every output gets the input metadata (or the
metadata given to :meth:`Transformation.write`) with one new ``data_transformations`` record
appended (earlier records are kept as they are), is checked against the contract in the
caller's mode (errors raise :class:`ContractViolation` and nothing is written; warnings become
:class:`NpzContractWarning`), and is written atomically. Outputs are staged next to their
destinations and renamed into place only once all of them were written, so an exception in
the block, a failed check or a failed write leaves no output and no temporary file.
:func:`transform_file` is the one-call form for one input and one output.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..base.errors import ContractViolation, NpzContractWarning
from ..base.modes import ValidationMode
from ..contract.keys import DATA_001, Contract
from ..io.atomic import Staged, stage
from ..io.reader import load_npz
from ..io.writer import write_npz
from ..metadata.model import add_transformation, sha256_file

PathLike = str | os.PathLike


@dataclass
class Input:
    """One loaded input: its path, SHA-256 (of the file's bytes), arrays and metadata."""

    path: str
    sha256: str
    arrays: dict[str, np.ndarray]
    metadata: dict | None

    @property
    def name(self) -> str:
        return os.path.basename(self.path)


@dataclass
class Output:
    """An output staged by :meth:`Transformation.write` (written when the block succeeds)."""

    path: str
    arrays: dict[str, Any]
    metadata: dict | None
    parameters: dict[str, Any] = field(default_factory=dict)


class Transformation:
    """What :func:`transform` hands the tool: the inputs, and ``write`` for the outputs."""

    def __init__(self, inputs: list[Input], tool: str, operation: str,
                 parameters: Mapping[str, Any] | None) -> None:
        self.inputs = inputs
        self.tool = tool
        self.operation = operation
        self.parameters = dict(parameters or {})
        self.outputs: list[Output] = []

    @property
    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays of the only input (``inputs[i].arrays`` when there are several)."""
        return self._single().arrays

    @property
    def metadata(self) -> dict | None:
        """The metadata of the only input (``inputs[i].metadata`` when there are several)."""
        return self._single().metadata

    def _single(self) -> Input:
        if len(self.inputs) != 1:
            raise ValueError(f"this transformation has {len(self.inputs)} inputs: "
                             "use .inputs[i].arrays / .inputs[i].metadata")
        return self.inputs[0]

    def write(self, path: PathLike, arrays: Mapping[str, Any], metadata: Mapping | None = None,
              *, parameters: Mapping[str, Any] | None = None) -> None:
        """Stage an output; it is checked and written when the ``with`` block ends.

        ``metadata``: what the new record is appended to; by default the only input's
        metadata (required when there are several inputs, e.g. from ``merge_metadata``).
        ``parameters`` are added to this output's record (e.g. ``{"part": "train"}``).
        """
        target = os.path.realpath(os.fspath(path))
        if any(o.path == target for o in self.outputs):
            raise ValueError(f"output {os.fspath(path)} is written twice")
        if metadata is None:
            if len(self.inputs) != 1:
                raise ValueError("several inputs: give write(..., metadata=...) explicitly "
                                 "(e.g. merge_metadata of the inputs' metadata)")
            metadata = self.inputs[0].metadata
        self.outputs.append(Output(target, dict(arrays),
                                   dict(metadata) if metadata is not None else None,
                                   dict(parameters or {})))


@contextlib.contextmanager
def transform(inputs: PathLike | Sequence[PathLike], *, tool: str, operation: str,
              parameters: Mapping[str, Any] | None = None,
              mode: ValidationMode | str = ValidationMode.STRICT, config: Any = None,
              profile: str | None = None, compressed: bool = True,
              check: bool = True, project: Any = None) -> Iterator[Transformation]:
    """Load ``inputs`` with :func:`load_npz`, yield a :class:`Transformation`, then record,
    check and write every staged output (see the module documentation).

    Each output is judged by ``project`` (a :class:`~pytest_npzcontract.tools.project.Project`;
    default: the one found upward from the working directory) as the file it will be:
    ``npzcontract lint`` on the written output gives the same verdict. ``mode``, ``config``
    (parameters to expect; default the project's ``expect``) and ``profile`` (default: the
    output path's per-path profile, else its scaling pair, else canonical) override the
    project's; ``check=False`` skips the contract check (the record and the atomic write
    remain).
    Raises :class:`ContractViolation` if an input cannot be read safely or an output breaks
    the contract; ``ValueError`` for bad arguments (no input, no output).
    """
    paths = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    if not paths:
        raise ValueError("transform needs at least one input file")
    mode = ValidationMode.coerce(mode)
    if check and project is None:
        from .project import Project

        project = Project.load()
    loaded = [_load(p) for p in paths]
    t = Transformation(loaded, tool, operation, parameters)
    yield t
    if not t.outputs:
        raise ValueError(f"{tool}: the transformation wrote no output (call t.write(...))")
    inputs_record = {i.name: i.sha256 for i in loaded}
    prepared = []
    for out in t.outputs:
        metadata = add_transformation(out.metadata, tool, operation,
                                      {**t.parameters, **out.parameters},
                                      inputs=inputs_record)
        _add_paths(metadata["data_transformations"][-1], loaded)
        if check:
            _check(project, out, metadata, mode, config, profile)
        prepared.append((out, metadata))
    _write_all(prepared, compressed)


def transform_file(source: PathLike, destination: PathLike,
                   function: Callable[[dict[str, np.ndarray], dict | None], Mapping[str, Any]],
                   *, tool: str, operation: str, parameters: Mapping[str, Any] | None = None,
                   **options: Any) -> None:
    """One input, one output: ``destination`` gets ``function(arrays, metadata)``'s arrays.

    >>> transform_file("raw.npz", "half.npz", lambda a, m: {**a, "diffraction": a["diffraction"]
    ...                / 2}, tool="halve.py", operation="scale", parameters={"factor": 0.5})
    """
    with transform(source, tool=tool, operation=operation, parameters=parameters,
                   **options) as t:
        t.write(destination, function(t.arrays, t.metadata))


def image_count(arrays: Mapping[str, Any], contract: Contract = DATA_001) -> int | None:
    """The image count n: the leading axis of diffraction (or diff3d, or xcoords)."""
    for key in ("diffraction", "diff3d", "xcoords"):
        if key in arrays and np.ndim(arrays[key]) >= 1:
            return int(np.shape(arrays[key])[0])
    return None


def select_images(arrays: Mapping[str, Any], index: Any,
                  contract: Contract = DATA_001) -> dict[str, Any]:
    """Every per-image array indexed by ``index`` (a mask or indices); the rest unchanged.

    Per-image keys are those the contract marks so (diffraction, Y, xcoords, scan_index,
    source_index, ...); a key the contract does not know is per-image when its leading axis
    is the image count. ``objectGuess`` and ``probeGuess`` are never sliced.

    >>> train = select_images(t.arrays, t.arrays["ycoords"] < 40.0)
    """
    n = image_count(arrays, contract)
    out = {}
    for key, value in arrays.items():
        spec = contract.keys.get(key)
        per_image = spec.per_image if spec is not None else (
            n is not None and np.ndim(value) >= 1 and np.shape(value)[0] == n)
        out[key] = np.asarray(value)[index] if per_image and np.ndim(value) >= 1 else value
    return out


def _load(path: PathLike) -> Input:
    fspath = os.fspath(path)
    digest = sha256_file(fspath)
    arrays, metadata = load_npz(fspath)
    if sha256_file(fspath) != digest:  # changed while we read it: the record would lie
        raise ContractViolation(f"{fspath}: changed while it was being read; try again")
    return Input(fspath, digest, arrays, metadata)


def _add_paths(record: dict, loaded: list[Input]) -> None:
    for entry, source in zip(record.get("inputs", []), loaded, strict=True):
        entry["path"] = source.path


def _check(project: Any, out: Output, metadata: dict, mode: ValidationMode, config: Any,
           profile: str | None) -> None:
    report = project.judge_arrays(out.arrays, metadata, path=out.path, mode=mode,
                                  config=config, profile=profile)
    if not report.ok:
        raise ContractViolation(findings=report.errors)
    for finding in report.warnings:
        warnings.warn(finding.line(), NpzContractWarning, stacklevel=4)


def _write_all(prepared: list[tuple[Output, dict]], compressed: bool) -> None:
    """Write each output to its staged temporary beside it (io/atomic.py), then commit all."""
    staged: list[Staged] = []
    try:
        for out, metadata in prepared:
            staged.append(stage(os.path.realpath(out.path), display=out.path))
            write_npz(staged[-1].file, out.arrays, metadata, compressed=compressed,
                      name=out.path)
        for part in staged:
            part.commit()
    except BaseException:
        for part in staged:
            part.discard()
        raise
