"""``npzcontract show --plot``: a PNG of the documented size for canonical, raw, legacy and
merged files; one line and exit 1 for a file that cannot be read; matplotlib stays lazy."""

from __future__ import annotations

import struct
import subprocess
import sys

import clirun
import pytest

from pytest_npzcontract.physics.factory import write_dataset
from pytest_npzcontract.tools.merge import merge_files
from pytest_npzcontract.tools.quicklook import HEIGHT, WIDTH, caption_lines

pytest.importorskip("matplotlib")


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def show_plot(path, out, *options):
    result = clirun.npzcontract("show", path, "--plot", out, *options)
    return result.exit_code, result.output


FORMS = {
    "canonical": {},
    "raw": {"legacy": ("diff3d", "uint16")},
    "legacy": {"legacy": ("pickled-metadata", "4d-Y")},
    "no-metadata": {"metadata": False, "with_Y": False},
}


@pytest.mark.parametrize("form", FORMS)
def test_plot_has_the_documented_size(tmp_path, form):
    data = write_dataset(tmp_path / f"{form}.npz", n_images=9, N=64, nphotons=1e5,
                         **FORMS[form])
    out = tmp_path / "out.png"
    # WARN: legacy forms draw and pass; in STRICT show exits 1 on them, as lint does.
    code, output = show_plot(data, out, "--mode", "warn")
    assert code == 0, output
    assert png_size(out) == (WIDTH, HEIGHT) == (1300, 900)
    assert output.endswith(f"plot: {out} (1300x900 px)\n")


def test_plot_of_a_multi_dose_merge_and_its_caption(tmp_path):
    a = write_dataset(tmp_path / "a.npz", n_images=6, N=64, nphotons=1e4, seed=1)
    b = write_dataset(tmp_path / "b.npz", n_images=6, N=64, nphotons=1e6, seed=1)
    merged = tmp_path / "m.npz"
    merge_files([a, b], merged)
    code, output = show_plot(merged, tmp_path / "m.png")
    assert code == 0 and png_size(tmp_path / "m.png") == (WIDTH, HEIGHT)
    from pytest_npzcontract import load_npz

    lines = caption_lines(load_npz(merged)[1])
    assert lines[0].startswith("lineage: created by npzcontract merge at ")
    assert "merge_datasets (npzcontract merge; from a.npz, b.npz)" in lines[0]
    assert lines[1:] == [f"  source [0] {a}: 6 images, nphotons 10000",
                         f"  source [1] {b}: 6 images, nphotons 1e+06"]
    assert caption_lines(None) == [
        "lineage: no _metadata (nothing recorded about this file's origin)"]


@pytest.mark.parametrize("content, reason", [
    (b"not a zip", "unreadable: not an .npz archive"),
    (None, "unsafe-object-array"),
])
def test_unreadable_file_fails_with_one_line(tmp_path, content, reason):
    bad = tmp_path / "bad.npz"
    if content is None:
        import numpy as np

        np.savez(bad, diffraction=np.array([object()], dtype=object))
    else:
        bad.write_bytes(content)
    code, output = show_plot(bad, tmp_path / "bad.png")
    assert code == 1 and len(output.splitlines()) == 1, output
    assert output.startswith(f"npzcontract show: cannot plot {bad}: ") and reason in output
    assert not (tmp_path / "bad.png").exists()


def test_cli_import_does_not_import_matplotlib():
    code = ("import sys, pytest_npzcontract.cli, pytest_npzcontract.tools.quicklook; "
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_photons_are_read_from_the_data_so_a_wrong_record_shows(tmp_path):
    from pytest_npzcontract import load_npz
    from pytest_npzcontract.tools.quicklook import photon_series

    wrong = write_dataset(tmp_path / "wrong.npz", n_images=16, N=64, nphotons=1e5,
                          metadata={"physics_parameters": {"nphotons": 1e7}})
    [(label, dose, members, values, how)] = photon_series(*load_npz(wrong))
    assert (label, dose, how, list(members)) == ("all", 1e7, "from the data", list(range(16)))
    assert values.mean() == pytest.approx(1e5, rel=0.05)
    raw = write_dataset(tmp_path / "raw.npz", n_images=16, N=64, nphotons=1e4,
                        legacy=("diff3d", "uint16"))
    [(*_, values, how)] = photon_series(*load_npz(raw))
    assert how == "sum of counts" and values.mean() == pytest.approx(1e4, rel=0.05)


def test_photons_per_source_of_a_merge(tmp_path):
    from pytest_npzcontract import load_npz
    from pytest_npzcontract.tools.quicklook import photon_series

    a = write_dataset(tmp_path / "a.npz", n_images=9, N=64, nphotons=1e3, seed=1)
    b = write_dataset(tmp_path / "b.npz", n_images=7, N=64, nphotons=1e6, seed=1)
    merge_files([a, b], tmp_path / "m.npz")
    series = photon_series(*load_npz(tmp_path / "m.npz"))
    assert [(s[0], s[1], len(s[2]), s[4]) for s in series] == [
        ("[0] a.npz", 1e3, 9, "from the data"), ("[1] b.npz", 1e6, 7, "from the data")]
    for _, dose, _, values, _ in series:
        assert values.mean() == pytest.approx(dose, rel=0.1)
