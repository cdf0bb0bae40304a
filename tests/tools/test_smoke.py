"""The TensorFlow simulate -> save -> STRICT reload -> train smoke test, with real TensorFlow."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path

import numpy as np
import pytest
from _tf import in_ci, require_tf
from click.testing import CliRunner

from pytest_npzcontract import (
    ContractViolation,
    NpzContractWarning,
    create_metadata,
    save_npz,
)
from pytest_npzcontract.cli.smoke import render_table, smoke
from pytest_npzcontract.physics.simulate import simulate_dataset
from pytest_npzcontract.tools.smoke import run_smoke
from pytest_npzcontract.tools.smoke.model import counts_from_amplitude, photon_scale, train

RESULT_KEYS = {"nphotons_recorded", "nphotons_used", "photons_per_pattern", "loss_first",
               "loss_last", "passed", "wall_time_s", "steps", "n_images", "N", "mode",
               "dataset", "checks"}


def check_named(result, name):
    return next(c for c in result.checks if c.name == name)


def python_env() -> dict[str, str]:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def write_dataset(path: Path, *, simulated_at: float, recorded: float | None, N: int = 32,
                  n_images: int = 8) -> Path:
    """A contract-valid dataset simulated at one nphotons whose metadata may claim another."""
    ds = simulate_dataset(n_images=n_images, N=N, nphotons=simulated_at, seed=4)
    config = {"N": N, "gridsize": 1}
    if recorded is not None:
        config["nphotons"] = recorded
    save_npz(path, ds.arrays, metadata=create_metadata(config, "tests/test_smoke.py"))
    return path


@pytest.fixture(scope="module")
def default_run():
    require_tf()
    return run_smoke()


@pytest.mark.parametrize("value, expected", [("", False), ("0", False), ("false", False),
                                             ("FALSE", False), ("1", True), ("true", True)])
def test_ci_detection(monkeypatch, value, expected):
    monkeypatch.setenv("CI", value)
    assert in_ci() is expected


def test_missing_tensorflow_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # import and find_spec now fail
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_tf()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the TensorFlow tests"):
        require_tf()


@pytest.mark.parametrize("nphotons", [1e4, 1e6, 1e9])
def test_counts_recovered_from_stored_amplitudes(nphotons):
    ds = simulate_dataset(n_images=8, N=32, nphotons=nphotons, seed=2)
    x = ds.arrays["diffraction"]
    scale = photon_scale(x, nphotons)
    # s is known up to the shot noise of the total count
    assert scale == pytest.approx(ds.scale, rel=5 / np.sqrt(8 * nphotons))
    np.testing.assert_allclose(counts_from_amplitude(x, scale), ds.counts, rtol=2e-3, atol=1)


@pytest.mark.slow
def test_training_loop_is_deterministic_and_learns():
    require_tf()
    ds = simulate_dataset(n_images=8, N=16, nphotons=1e5, seed=0)
    args = (ds.arrays["diffraction"], ds.arrays["probeGuess"], 1e5)
    first = train(*args, steps=12, seed=3)
    again = train(*args, steps=12, seed=3)
    assert len(first.losses) == 12 and np.isfinite(first.losses).all()
    assert first.losses == again.losses and first.loss_last == again.loss_last
    assert first.loss_last < first.loss_first and first.nphotons == 1e5
    assert first.scale == pytest.approx(ds.scale, rel=1e-2)


def test_importing_the_smoke_package_does_not_import_tensorflow():
    code = ("import sys\n"
            "import pytest_npzcontract.tools.smoke as s\n"
            "from pytest_npzcontract.tools.smoke import run, model\n"
            "from pytest_npzcontract.cli.smoke import smoke\n"
            "assert smoke.name == 'smoke' and callable(s.run_smoke)\n"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=python_env())
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.slow
def test_default_run_passes_and_the_loss_decreases(default_run):
    r = default_run
    assert r.passed, r.checks
    assert (r.n_images, r.N, r.steps, r.mode) == (16, 32, 30, "strict")
    assert r.nphotons_recorded == r.nphotons_requested == 1e6
    assert r.nphotons_used == 1e6
    assert abs(r.photons_per_pattern / 1e6 - 1) < 0.05
    assert r.loss_last < r.loss_first
    assert r.dataset is None  # temporary, removed
    assert 0 < r.wall_time_s < 60
    assert all(c.passed for c in r.checks)
    assert [c.name for c in r.checks] == ["strict-reload", "nphotons-recorded",
                                          "photons-per-pattern", "nphotons-used",
                                          "loss-decreased"]


@pytest.mark.slow
def test_result_dict_is_json_ready(default_run):
    d = json.loads(json.dumps(default_run.to_dict()))
    assert RESULT_KEYS <= set(d)
    assert d["passed"] is True and d["photons_ratio"] == pytest.approx(1, abs=0.05)
    assert {c["name"] for c in d["checks"]} >= {"strict-reload", "loss-decreased"}


@pytest.mark.slow
@pytest.mark.parametrize("nphotons", [1e4, 1e6, 1e9])
def test_nphotons_survive_from_simulation_to_training(nphotons, tmp_path):
    require_tf()
    r = run_smoke(nphotons=nphotons, n_images=8, steps=4, workdir=tmp_path)
    assert r.passed, r.checks
    assert r.nphotons_recorded == nphotons
    assert r.nphotons_used == r.nphotons_recorded
    assert abs(r.photons_per_pattern / nphotons - 1) < 0.05
    assert Path(r.dataset).is_file() and Path(r.dataset).parent == tmp_path


def test_strict_config_mismatch_stops_before_training():
    # In a fresh interpreter: TensorFlow must not even have been imported when it raises.
    code = ("import sys\n"
            "from pytest_npzcontract import ContractViolation\n"
            "from pytest_npzcontract.tools.smoke import run_smoke\n"
            "try:\n"
            "    run_smoke(nphotons=1e6, config_nphotons=1e9, mode='strict')\n"
            "except ContractViolation as exc:\n"
            "    print(sorted(exc.rules), 'tensorflow' in sys.modules)\n"
            "    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=python_env())
    first, message = out.stdout.splitlines()[:2]
    assert first == "['parameter-mismatch'] False"
    assert "nphotons" in message and "1e+06" in message and "1e+09" in message


def test_strict_config_mismatch_raises_in_process():
    with pytest.raises(ContractViolation, match="nphotons") as info:
        run_smoke(nphotons=1e6, config_nphotons=1e9, mode="strict")
    assert info.value.rules == {"parameter-mismatch"}


@pytest.mark.slow
def test_warn_mode_warns_and_trains_with_the_recorded_nphotons():
    require_tf()
    with pytest.warns(NpzContractWarning, match="nphotons"):
        r = run_smoke(nphotons=1e6, n_images=8, steps=4, config_nphotons=1e9, mode="warn")
    assert r.passed, r.checks
    assert r.config_nphotons == 1e9
    assert r.nphotons_used == 1e6
    config_check = check_named(r, "config-parameters")
    assert config_check.passed is None and "1e+09" in config_check.detail


@pytest.mark.slow
def test_permissive_mode_is_silent():
    require_tf()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = run_smoke(nphotons=1e6, n_images=8, steps=4, config_nphotons=1e9,
                      mode="permissive")
    assert not [w for w in caught if issubclass(w.category, NpzContractWarning)]
    assert r.passed and r.nphotons_used == 1e6


@pytest.mark.slow
def test_matching_config_is_recorded_as_a_passed_check():
    require_tf()
    r = run_smoke(nphotons=1e6, n_images=8, steps=4, config_nphotons=1e6)
    assert r.passed and check_named(r, "config-parameters").passed is True


@pytest.mark.slow
def test_existing_dataset_is_used_and_its_photons_measured(tmp_path):
    require_tf()
    path = write_dataset(tmp_path / "train.npz", simulated_at=1e5, recorded=1e5, N=16)
    r = run_smoke(data=path, steps=4)
    assert r.passed, r.checks
    assert (r.n_images, r.N, r.dataset) == (8, 16, str(path))
    assert r.nphotons_requested is None and r.nphotons_recorded == 1e5
    assert r.photons_per_pattern == pytest.approx(1e5, rel=0.05)


@pytest.mark.slow
def test_dataset_whose_metadata_misstates_nphotons_fails(tmp_path):
    # The seed's failure: data taken at 1e6 photons, metadata (or config) saying 1e9.
    require_tf()
    path = write_dataset(tmp_path / "train.npz", simulated_at=1e6, recorded=1e9)
    r = run_smoke(data=path, steps=2)
    assert not r.passed
    # The STRICT reload already reads the dose from the frames (nphotons-inconsistent) and
    # stops before training.
    reload = check_named(r, "strict-reload")
    assert reload.passed is False and "nphotons-inconsistent" in reload.detail
    assert r.loss_first is None


def test_dataset_without_recorded_nphotons_fails_before_training(tmp_path):
    path = write_dataset(tmp_path / "train.npz", simulated_at=1e6, recorded=None)
    r = run_smoke(data=path)
    assert not r.passed
    reload = check_named(r, "strict-reload")
    assert reload.passed is False and "parameter-missing" in reload.detail
    assert r.loss_first is None and r.nphotons_used is None


def test_dataset_that_breaks_the_contract_fails_before_training(tmp_path):
    ds = simulate_dataset(n_images=4, N=16, nphotons=1e6)
    arrays = {**ds.arrays, "diffraction": ds.arrays["diffraction"].astype(np.float16)}
    path = tmp_path / "bad.npz"
    save_npz(path, arrays, metadata=create_metadata({"nphotons": 1e6, "N": 16}, "test"))
    r = run_smoke(data=path)
    reload = check_named(r, "strict-reload")
    assert reload.passed is False and "bad-dtype" in reload.detail
    assert not r.passed and r.loss_first is None


@pytest.mark.slow
def test_table_rendering(default_run):
    text = render_table(default_run)
    lines = text.splitlines()
    assert lines[-1] == "PASS"
    assert "recorded 1e+06" in text and "used 1e+06" in text and "ratio 0.99" in text
    assert sum(line.startswith("  [  ok]") for line in lines) == len(default_run.checks)


# --- the click command -------------------------------------------------------------------


def invoke(*args: str):
    return CliRunner().invoke(smoke, list(args), catch_exceptions=False)


@pytest.mark.slow
def test_cli_json_output():
    require_tf()
    result = invoke("--nphotons", "1e4", "--n-images", "8", "-N", "16", "--steps", "5",
                    "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert RESULT_KEYS <= set(data)
    assert data["passed"] is True and data["N"] == 16 and data["steps"] == 5
    assert data["nphotons_recorded"] == 1e4
    assert data["nphotons_used"] == 1e4
    assert abs(data["photons_per_pattern"] / 1e4 - 1) < 0.05
    assert data["loss_last"] < data["loss_first"]


@pytest.mark.slow
def test_cli_table_output():
    require_tf()
    result = invoke("--n-images", "8", "--N", "16", "--steps", "5")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "PASS"
    for word in ("nphotons", "photons/pattern", "loss", "wall time", "recorded", "used"):
        assert word in result.stdout


@pytest.mark.slow
def test_cli_failed_check_exits_1(tmp_path):
    require_tf()
    path = write_dataset(tmp_path / "train.npz", simulated_at=1e6, recorded=1e9)
    result = invoke("--data", str(path), "--steps", "2")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "FAIL"
    assert "[FAIL] strict-reload" in result.stdout and "nphotons-inconsistent" in result.stdout


@pytest.mark.slow
def test_cli_config_mismatch_is_one_error_line_and_exit_1():
    require_tf()  # without it the command stops earlier, with exit status 2
    result = invoke("--nphotons", "1e6", "--config-nphotons", "1e9", "--json")
    assert result.exit_code == 1
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("npzcontract smoke: error: nphotons")
    assert "Traceback" not in result.output
    data = json.loads(result.stdout)
    assert data["passed"] is False and data["error"] in errors[0]


@pytest.mark.slow
def test_cli_warn_mode_continues_with_a_warning_line():
    require_tf()
    result = invoke("--n-images", "8", "-N", "16", "--steps", "3",
                    "--config-nphotons", "1e9", "--mode", "WARN", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["mode"] == "warn"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("npzcontract smoke: warning: ")
    assert "parameter-mismatch" in lines[0] and "config=1e+09" in lines[0]


@pytest.mark.parametrize("args", [["--mode", "lenient"], ["--nphotons", "-5"],
                                  ["--steps", "0"], ["--data", "no/such/file.npz"],
                                  ["--bogus"]])
def test_cli_usage_errors_exit_2(args):
    from pytest_npzcontract.cli import cli

    result = CliRunner().invoke(cli, ["smoke", *args])
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("npzcontract: error: ") and "--help" in line


def test_cli_without_tensorflow_says_how_to_install(monkeypatch):
    from pytest_npzcontract.base.install import install_hint

    monkeypatch.setitem(sys.modules, "tensorflow", None)  # find_spec now reports it absent
    result = invoke("--json")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "npzcontract smoke: error: TensorFlow is not installed; the smoke test needs it: "
        + install_hint("tf"))
    assert result.stdout == ""


@pytest.mark.slow
def test_cli_in_a_real_process(tmp_path):
    require_tf()
    args = ["smoke", "--n-images", "8", "-N", "16", "--steps", "5", "--json",
            "--workdir", str(tmp_path)]
    script = Path(sysconfig.get_path("scripts")) / "npzcontract"
    if importlib.util.find_spec("pytest_npzcontract.cli") is not None and script.exists():
        command = [str(script), *args]
    else:  # the console script's group is not there: run the command object itself
        command = [sys.executable, "-c",
                   "from pytest_npzcontract.cli.smoke import smoke; smoke()", *args[1:]]
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["passed"] is True and Path(data["dataset"]).parent == tmp_path
    assert "oneDNN" not in out.stderr and "absl" not in out.stderr
