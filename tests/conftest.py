"""Shared test configuration: ``pytester`` runs downstream test files against the plugin.

The lint cache is off for every test (as ``NPZCONTRACT_NO_CACHE=1``, also inherited by
subprocesses) so outputs do not depend on test order; cache tests turn it on explicitly.
"""

import pytest

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _no_lint_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPZCONTRACT_NO_CACHE", "1")
