"""Install hints fit how the package was installed (PEP 610 ``direct_url.json``)."""

from __future__ import annotations

import pytest

from pytest_npzcontract.base.install import hint_for, install_hint


@pytest.mark.parametrize(("direct", "installer", "pipx", "hint"), [
    (None, "pip", False, "pip install 'pytest-npzcontract[plot]'"),
    (None, "uv", False, "uv pip install 'pytest-npzcontract[plot]'"),
    (None, "pip", True, "pipx install --force 'pytest-npzcontract[plot]'"),
    ({}, "", False, "pip install -e '.[plot]' in the pytest-npzcontract checkout"),
    ({"url": "file:///home/me/npz%20contract", "dir_info": {"editable": True}}, "pip", False,
     "pip install -e '/home/me/npz contract[plot]'"),
    ({"url": "file:///tmp/src", "dir_info": {}}, "pip", False, "pip install '/tmp/src[plot]'"),
    ({"url": "https://github.com/lab/npzcontract", "vcs_info": {"vcs": "git",
                                                               "commit_id": "abc"}},
     "pip", False, "pip install 'pytest-npzcontract[plot] @ git+https://github.com/lab/"
     "npzcontract'"),
    ({"url": "https://example.org/p.whl", "archive_info": {}}, "pip", False,
     "pip install 'pytest-npzcontract[plot] @ https://example.org/p.whl'"),
])
def test_hint_follows_the_installation(direct, installer, pipx, hint):
    assert hint_for(direct, installer, pipx, "plot") == hint


def test_this_installation_gets_a_hint_naming_the_extra():
    hint = install_hint("tf")
    assert "[tf]" in hint and "checkout" not in hint  # this test environment is installed


def test_missing_matplotlib_points_at_the_installation(tmp_path, monkeypatch):
    import sys

    from pytest_npzcontract.physics.factory import write_dataset
    from pytest_npzcontract.tools.quicklook import PlotUnavailable, plot_file

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    path = write_dataset(tmp_path / "a.npz", n_images=4)
    with pytest.raises(PlotUnavailable, match=r"needs matplotlib: ") as info:
        plot_file(path, tmp_path / "a.png")
    assert str(info.value).endswith(install_hint("plot"))
