"""``npzcontract show`` prints the dose the frames give next to the recorded one."""

from __future__ import annotations

import json

import clirun

from pytest_npzcontract.physics.factory import write_dataset


def show(*args: str):
    return clirun.npzcontract("show", *args)


def test_show_prints_recorded_and_estimated_nphotons(tmp_path):
    honest = write_dataset(tmp_path / "a.npz", nphotons=1e6, n_images=8)
    text = show(honest).output
    assert "  recorded:  1e+06\n" in text
    line = next(ln for ln in text.splitlines() if ln.startswith("  estimated:"))
    assert "(lattice, 8 patterns); agrees" in line

    lying = write_dataset(tmp_path / "b.npz", nphotons=1e6, n_images=8,
                          metadata={"physics_parameters": {"nphotons": 1e9}})
    assert "x from the record" in show(lying).output
    info = json.loads(show("--json", lying).output)
    assert info["nphotons"]["recorded"] == 1e9
    assert info["nphotons"]["estimate"]["method"] == "lattice"
    assert 0.98e6 < info["nphotons"]["estimate"]["value"] < 1.02e6
    header_only = json.loads(show("--json", "--no-estimate", lying).output)
    assert header_only["nphotons"] == {"recorded": 1e9, "estimate": None}


def test_show_says_why_the_estimate_is_undetermined(tmp_path):
    path = write_dataset(tmp_path / "z.npz", metadata=False, n_images=4,
                         overrides={"diffraction": __import__("numpy").zeros((4, 64, 64),
                                                                            "float32")})
    text = show(path).output
    assert "  recorded:  none" in text
    assert "  estimated: undetermined (every value is zero)" in text
