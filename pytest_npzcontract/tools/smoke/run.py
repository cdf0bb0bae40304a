"""The simulate -> save -> STRICT reload -> train smoke test (SPEC §6), as a function.

TensorFlow is imported only once the dataset has passed every contract check, so a
configuration mismatch in STRICT mode stops the run before TensorFlow is even loaded::

    >>> result = run_smoke(nphotons=1e6, steps=30)             # doctest: +SKIP
    >>> result.passed, result.nphotons_recorded, result.nphotons_used
    (True, 1000000.0, 1000000.0...)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ...base.modes import ValidationMode
from ...contract.checker import check_file
from ...io.reader import load_npz
from ...io.writer import save_npz
from ...metadata.model import create_metadata, get_nphotons
from ...metadata.parameters import check_parameters
from ...physics.simulate import simulate_dataset
from .model import pattern_energy

SCRIPT = "npzcontract smoke"
#: Largest accepted |measured photons per pattern / nphotons - 1|.
PHOTON_TOLERANCE = 0.05


@dataclass
class Check:
    """One verdict; ``passed`` is None when the check does not apply or cannot be made."""

    name: str
    passed: bool | None
    detail: str


@dataclass
class SmokeResult:
    """What the smoke test measured. ``passed`` is true when no check failed."""

    nphotons_requested: float | None
    nphotons_recorded: float | None
    nphotons_used: float | None
    config_nphotons: float | None
    photons_per_pattern: float | None
    loss_first: float | None
    loss_last: float | None
    wall_time_s: float
    steps: int
    n_images: int
    N: int
    seed: int
    mode: str
    dataset: str | None
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed is not False for c in self.checks)

    @property
    def photons_ratio(self) -> float | None:
        if self.photons_per_pattern is None or not self.nphotons_recorded:
            return None
        return self.photons_per_pattern / self.nphotons_recorded

    def to_dict(self) -> dict:
        return {**asdict(self), "photons_ratio": self.photons_ratio, "passed": self.passed}


def run_smoke(*, nphotons: float = 1e6, n_images: int = 16, N: int = 32, steps: int = 30,
              seed: int = 0, data: str | os.PathLike | None = None,
              config_nphotons: float | None = None, mode: ValidationMode | str = "strict",
              workdir: str | os.PathLike | None = None) -> SmokeResult:
    """Run the smoke test; see ``docs/smoke.md``.

    With ``data`` the simulation is skipped and that dataset is used (``nphotons``,
    ``n_images`` and ``N`` are then read from it). The simulated dataset is written to
    ``workdir`` when given (and kept), else to a temporary directory removed afterwards.
    ``config_nphotons`` is checked against the metadata under ``mode`` before training:
    STRICT raises :class:`ContractViolation`, WARN warns, PERMISSIVE ignores it; training
    always uses the nphotons recorded in the metadata.
    """
    start = time.perf_counter()
    mode = ValidationMode.coerce(mode)
    with contextlib.ExitStack() as stack:
        if data is None:
            if workdir is None:
                folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="npzsmoke-")))
            else:
                folder = Path(workdir)
                folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"smoke_nphotons_{nphotons:g}.npz"
            simulated = simulate_dataset(n_images=n_images, N=N, nphotons=nphotons, seed=seed)
            config = {"nphotons": nphotons, "N": N, "gridsize": 1, "n_images": n_images}
            save_npz(path, simulated.arrays,
                     metadata=create_metadata(config, SCRIPT, seed=seed,
                                              simulation_type="synthetic"))
            kept = workdir is not None
        else:
            path, simulated, kept = Path(data), None, True

        result = SmokeResult(
            nphotons_requested=float(nphotons) if simulated else None, nphotons_recorded=None,
            nphotons_used=None, config_nphotons=config_nphotons, photons_per_pattern=None,
            loss_first=None, loss_last=None, wall_time_s=0.0, steps=steps, n_images=n_images,
            N=N, seed=seed, mode=mode.value, dataset=str(path) if kept else None)
        _check_and_train(result, path, simulated.photons_per_pattern if simulated else None)
    result.wall_time_s = time.perf_counter() - start
    return result


def _check_and_train(result: SmokeResult, path: Path, simulated_photons: float | None) -> None:
    """Fill ``result`` in place, stopping at the first check that makes training pointless."""
    # The smoke model is fully convolutional: any N trains, so an N the reference model does
    # not accept is worth knowing (info) but not a failure here. A missing nphotons is.
    report = check_file(path, mode="strict", values=True,
                        rule_levels={"unsupported-size": "info"})
    if report.ok:
        warned = ", ".join(sorted(report.rules("warning")))
        detail = f"clean (warnings: {warned})" if warned else "clean"
    else:
        detail = "; ".join(f"{f.rule}: {f.message}" for f in report.errors[:5])
    result.checks.append(Check("strict-reload", report.ok, detail))
    if not report.ok:
        return

    arrays, metadata = load_npz(path)
    diffraction = arrays["diffraction"]
    result.n_images, result.N = diffraction.shape[0], diffraction.shape[-1]
    recorded = result.nphotons_recorded = get_nphotons(metadata)
    if result.nphotons_requested is not None:
        same = recorded == result.nphotons_requested
        result.checks.append(Check("nphotons-recorded", same,
                                   f"simulated with {result.nphotons_requested:g}, "
                                   f"metadata records {_fmt(recorded)}"))
    else:
        result.checks.append(Check("nphotons-recorded", recorded is not None,
                                   f"metadata records {_fmt(recorded)}"))
    if recorded is None:
        return

    if result.config_nphotons is not None:
        config = {"nphotons": result.config_nphotons, "N": result.N, "gridsize": 1}
        # stacklevel 4 points a warning at the caller of run_smoke.
        mismatches = check_parameters(metadata, config, result.mode, file=str(path),
                                      stacklevel=4)
        if result.mode == ValidationMode.PERMISSIVE.value:
            detail, ok = "not checked (permissive mode)", None
        elif mismatches:
            detail = "; ".join(m.message for m in mismatches) + "; the dataset's values are used"
            ok = None
        else:
            detail, ok = "configuration matches the metadata", True
        result.checks.append(Check("config-parameters", ok, detail))

    measured = simulated_photons if simulated_photons is not None else lattice_photons(
        diffraction)
    result.photons_per_pattern = measured
    if measured is None:
        result.checks.append(Check("photons-per-pattern", None,
                                   "not verifiable: amplitudes are not sqrt(counts) / s"))
    else:
        ratio = measured / recorded
        source = "simulated counts" if simulated_photons is not None else "count lattice"
        result.checks.append(Check(
            "photons-per-pattern", abs(ratio - 1) < PHOTON_TOLERANCE,
            f"measured {measured:.6g} per pattern ({source}), ratio {ratio:.4f} "
            f"(tolerance {PHOTON_TOLERANCE:g})"))

    from .model import train  # imports TensorFlow

    trained = train(diffraction, arrays["probeGuess"], recorded, steps=result.steps,
                    seed=result.seed)
    used = result.nphotons_used = trained.nphotons
    result.checks.append(Check(
        "nphotons-used", used == recorded,
        f"trained with nphotons {used:g} (photon scale s = {trained.scale:.6g})"))
    result.loss_first, result.loss_last = trained.loss_first, trained.loss_last
    result.checks.append(Check(
        "loss-decreased", trained.loss_last < trained.loss_first,
        f"Poisson NLL {trained.loss_first:.6g} -> {trained.loss_last:.6g}"))


def lattice_photons(diffraction: np.ndarray) -> float | None:
    """Mean photons per pattern measured from the data alone, or None if not count-like.

    Amplitudes stored as X = sqrt(counts) / s sit on a lattice: X^2 s^2 is an integer. The
    smallest non-zero X is sqrt(m) / s for the smallest count m (usually 1), so trying
    s^2 = m / min(X)^2 for m = 1..8 and keeping the first one that makes every low value an
    integer recovers s without using nphotons. Data that is not count-based fails the test.
    """
    x2 = np.square(diffraction, dtype=np.float64)
    nonzero = x2[x2 > 0]
    if nonzero.size == 0:
        return None
    smallest = float(nonzero.min())
    low = nonzero[nonzero < 200 * smallest]  # counts up to ~200 m: float32 rounding is tiny
    if low.size < 10:
        return None
    for m in range(1, 9):
        counts = low * (m / smallest)
        if np.all(np.abs(counts - np.rint(counts)) < 0.01):
            return pattern_energy(diffraction) * m / smallest
    return None


def _fmt(value: float | None) -> str:
    return "nothing" if value is None else f"{value:g}"
