"""``npzcontract smoke``: the TensorFlow simulate-train smoke test as a click command.

Exit status: 0 passed, 1 failed (a check failed, or a configuration mismatch in STRICT mode),
2 usage error or TensorFlow not installed. Importing this module imports neither NumPy nor
TensorFlow.

    $ npzcontract smoke --nphotons 1e6 --json
"""

from __future__ import annotations

import importlib.util
import json
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..tools.smoke import INSTALL_HINT

if TYPE_CHECKING:
    from ..tools.smoke.run import SmokeResult

PROG = "npzcontract smoke"
TF_MISSING = f"TensorFlow is not installed; the smoke test needs it: {INSTALL_HINT}"


def _tensorflow_available() -> bool:
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except ValueError:  # a module object without __spec__ stands in sys.modules
        return "tensorflow" in sys.modules


@click.command("smoke")
@click.option("--nphotons", "nphotons", type=click.FloatRange(min=0, min_open=True),
              default=1e6, show_default=True, help="Mean photons per simulated pattern.")
@click.option("--n-images", "n_images", type=click.IntRange(min=1), default=16,
              show_default=True, help="Number of simulated patterns.")
@click.option("-N", "--N", "n_pixels", type=click.IntRange(min=8), default=32,
              show_default=True, help="Pattern and probe size N (N x N pixels).")
@click.option("--steps", "steps", type=click.IntRange(min=1), default=30, show_default=True,
              help="Training steps (full-batch Adam).")
@click.option("--seed", "seed", type=int, default=0, show_default=True,
              help="Seed for the simulation and the network initialization.")
@click.option("--data", "data", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Train on this dataset instead of simulating one "
              "(nphotons, N and the image count then come from the file).")
@click.option("--config-nphotons", "config_nphotons",
              type=click.FloatRange(min=0, min_open=True), default=None,
              help="A training configuration's nphotons, checked against the metadata "
              "before training.")
@click.option("--mode", "mode", type=click.Choice(["strict", "warn", "permissive"],
              case_sensitive=False), default="strict", show_default=True,
              help="How a --config-nphotons mismatch is treated.")
@click.option("--workdir", "workdir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Keep the simulated dataset in this directory.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def smoke(nphotons: float, n_images: int, n_pixels: int, steps: int, seed: int,
          data: Path | None, config_nphotons: float | None, mode: str, workdir: Path | None,
          as_json: bool) -> None:
    """Simulate a tiny dataset, save it with metadata, reload it in STRICT mode, take nphotons
    from the metadata and train a small TensorFlow model with a Poisson loss for a few steps.

    Passes when the recorded and used nphotons agree, the measured photons per pattern are
    within 5% of nphotons, and the loss decreases.
    """
    if not _tensorflow_available():
        click.echo(f"{PROG}: error: {TF_MISSING}", err=True)
        sys.exit(2)

    from ..base.errors import ContractViolation, NpzContractWarning
    from ..tools.smoke.run import run_smoke

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", NpzContractWarning)
            result = run_smoke(nphotons=nphotons, n_images=n_images, N=n_pixels, steps=steps,
                               seed=seed, data=data, config_nphotons=config_nphotons,
                               mode=mode, workdir=workdir)
    except ContractViolation as exc:
        message = "; ".join(f.message for f in exc.findings) or " ".join(str(exc).split())
        click.echo(f"{PROG}: error: {message} (mode {mode}; no training was run)", err=True)
        if as_json:
            click.echo(json.dumps({"passed": False, "error": message}))
        sys.exit(1)

    for warning in caught:  # ours as one line each, anything else as Python shows it
        if issubclass(warning.category, NpzContractWarning):
            click.echo(f"{PROG}: warning: {warning.message}", err=True)
        else:
            warnings.showwarning(warning.message, warning.category, warning.filename,
                                 warning.lineno)
    click.echo(json.dumps(result.to_dict(), indent=2) if as_json else render_table(result))
    sys.exit(0 if result.passed else 1)


def render_table(result: SmokeResult) -> str:
    """The human summary: one aligned row per measured quantity, then every check."""
    source = f"dataset {result.dataset}" if result.nphotons_requested is None else "simulated"
    config = "" if result.config_nphotons is None else f"config {_g(result.config_nphotons)}"
    rows = [
        ("nphotons", f"recorded {_g(result.nphotons_recorded)}",
         f"used {_g(result.nphotons_used)}", config),
        ("photons/pattern", f"measured {_g(result.photons_per_pattern)}",
         f"nphotons {_g(result.nphotons_recorded)}", f"ratio {_ratio(result.photons_ratio)}"),
        ("loss", f"first {_g(result.loss_first)}", f"last {_g(result.loss_last)}", ""),
        ("wall time", f"{result.wall_time_s:.1f} s", "", ""),
    ]
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{PROG}: {source}, {result.n_images} x {result.N}x{result.N}, "
             f"{result.steps} steps, seed {result.seed}, mode {result.mode}"]
    lines += [f"  {a:<{width[0]}}  {b:<{width[1]}}  {c:<{width[2]}}  {d}".rstrip()
              for a, b, c, d in rows]
    name_width = max(len(c.name) for c in result.checks)
    for check in result.checks:
        verdict = {True: "ok", False: "FAIL", None: "--"}[check.passed]
        lines.append(f"  [{verdict:>4}] {check.name:<{name_width}}  {check.detail}")
    lines.append("PASS" if result.passed else "FAIL")
    return "\n".join(lines)


def _g(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"
