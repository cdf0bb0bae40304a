"""Which layout reads a shape when several fit: one with a fixed axis (``H W 1``) is tried
before free ones whatever their spelling, so a channels-last frame is not read as
channels-first."""

from __future__ import annotations

from pytest_npzcontract.contract.keys import KeySpec


def test_a_fixed_axis_layout_wins_over_a_free_one_that_sorts_first():
    spec = KeySpec("probe", layouts=("C H W", "H W 1"))
    assert spec.frame_of((64, 64, 1)) == (64, 64)
    assert spec.frame_of((3, 64, 32)) == (64, 32)
