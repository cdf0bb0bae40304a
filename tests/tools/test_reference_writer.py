"""Files written the way the reference project writes them: accepted as they are, migrated clean.

The reference's metadata writer fills ``physics_parameters`` and ``training_parameters`` from
its configuration, leaving ``null`` where a field is unset or deprecated (``n_images``), records
``creation_info.ptychopinn_version``, and older versions stored the JSON text in a pickled
object array. Described here from its behaviour, not copied.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pytest_npzcontract import check_file, load_npz
from pytest_npzcontract.cli import cli
from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.tools.migrate import MigrateOptions, apply_plan, array_digest, plan_file


def reference_metadata(nphotons: float | None = 1e9) -> dict:
    return {
        "schema_version": "1.0.0",
        "creation_info": {"timestamp": "2025-01-01T00:00:00Z", "script": "simulate_and_save.py",
                          "hostname": "lab", "ptychopinn_version": "2.0.0"},
        "physics_parameters": {"nphotons": nphotons, "gridsize": 1, "N": 64,
                               "probe_trainable": False, "intensity_scale_trainable": True,
                               "nll_weight": 1.0, "model_type": "pinn"},
        "training_parameters": {"n_images": None, "batch_size": 16, "nepochs": 50},
        "data_transformations": [],
    }


def reference_file(path: Path, meta: dict, **kw) -> Path:
    arrays, _ = load_npz(write_dataset(path, nphotons=1e9, **kw))
    with open(path, "wb") as fh:  # pickled JSON text, as older reference versions stored it
        np.savez_compressed(fh, **arrays, _metadata=np.array(json.dumps(meta), dtype=object))
    return path


def test_reference_writer_output_is_only_pickled_metadata(tmp_path):
    path = reference_file(tmp_path / "ref.npz", reference_metadata())
    strict = check_file(path, mode="strict", config={"nphotons": 1e9, "N": 64})
    assert {(f.rule, f.severity) for f in strict.findings} == {("pickled-metadata", "error")}
    warn = check_file(path, mode="warn")
    assert warn.ok and warn.rules() == {"pickled-metadata"}


def test_reference_writer_output_migrates_to_a_strict_clean_file(tmp_path):
    path = reference_file(tmp_path / "ref.npz", reference_metadata())
    result = CliRunner().invoke(cli, ["migrate", "--in-place", str(path)])
    assert result.exit_code == 0, result.output
    report = check_file(path, mode="strict", config={"nphotons": 1e9})
    assert report.findings == [], [f.line() for f in report.findings]
    assert report.metadata["training_parameters"]["n_images"] is None  # kept as written


def test_a_null_nphotons_needs_the_dose_to_migrate(tmp_path):
    path = reference_file(tmp_path / "ref.npz", reference_metadata(nphotons=None))
    assert {f.rule for f in check_file(path).findings} == {"pickled-metadata",
                                                           "parameter-missing"}
    refused = CliRunner().invoke(cli, ["migrate", "--in-place", str(path)])
    assert refused.exit_code == 2 and "records no nphotons" in refused.stderr
    fixed = CliRunner().invoke(cli, ["migrate", "--in-place", "--nphotons", "1e9", str(path)])
    assert fixed.exit_code == 0, fixed.output
    assert check_file(path).findings == []


@pytest.mark.parametrize("wide", [False, True])
def test_transposed_frames_migrate_and_digests_are_checked_after_the_transpose(tmp_path, wide):
    arrays, meta = load_npz(write_dataset(tmp_path / "a.npz", n_images=6))
    frames = np.ascontiguousarray(np.transpose(arrays["diffraction"], (1, 2, 0)))
    overrides = {"diffraction": frames}
    if wide:
        overrides["objectGuess"] = arrays["objectGuess"].astype(np.complex128)
    path = write_dataset(tmp_path / "t.npz", n_images=6, overrides=overrides)
    before = check_file(path)
    assert before.rules() == ({"transposed-layout", "dtype-precision"} if wide
                              else {"transposed-layout"})
    plan = plan_file(path, MigrateOptions())
    assert not plan.problems
    assert plan.expected_digests()["diffraction"] == array_digest(arrays["diffraction"])
    apply_plan(plan, path)
    after, _ = load_npz(path)
    assert np.array_equal(after["diffraction"], arrays["diffraction"])
    assert check_file(path).findings == []
    kinds = [c.kind for c in plan.conversions]
    assert kinds == (["transpose", "cast"] if wide else ["transpose"])
