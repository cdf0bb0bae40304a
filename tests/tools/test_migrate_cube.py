"""migrate transposes a cube of frames (n == N) when the photons say it is (H, W, n), and
leaves a true (n, N, N) cube alone."""

from __future__ import annotations

import numpy as np
from click.testing import CliRunner

from pytest_npzcontract import check_file, load_npz
from pytest_npzcontract.cli.main import cli
from pytest_npzcontract.physics.factory import write_dataset


def test_migrate_transposes_a_cube_the_checker_found_transposed(tmp_path):
    arrays, _ = load_npz(write_dataset(tmp_path / "a.npz", n_images=64, N=64, seed=4))
    frames = np.ascontiguousarray(np.transpose(arrays["diffraction"], (1, 2, 0)))
    path = write_dataset(tmp_path / "t.npz", n_images=64, N=64, seed=4,
                         overrides={"diffraction": frames})
    assert check_file(path).rules() == {"transposed-layout"}
    result = CliRunner().invoke(cli, ["migrate", "--in-place", str(path)])
    assert result.exit_code == 0, result.output
    assert "transpose diffraction (64, 64, 64)" in result.output
    after, _ = load_npz(path)
    assert np.array_equal(after["diffraction"], arrays["diffraction"])
    assert check_file(path).findings == []


def test_migrate_leaves_a_true_cube_alone(tmp_path):
    path = write_dataset(tmp_path / "c.npz", n_images=64, N=64, seed=4)
    result = CliRunner().invoke(cli, ["migrate", "--dry-run", str(path)])
    assert "transpose" not in result.output
