"""The pytest plugin, registered through the ``pytest11`` entry point (nothing to configure).

Fixtures ``npz_factory``, ``npz_mode``, ``npz_check``, ``npz_write_audit``; markers
``npz_strict``, ``npz_warn``, ``npz_permissive``, ``npz_audit_skip``; options ``--npz-mode``,
``--npz-lint`` (datasets as test items, :mod:`.lint_items`), ``--npz-audit`` and
``--npz-audit-report`` (the write audit on every test, :mod:`.suite_audit`); ini ``npz_mode``,
``npz_audit``.
The mode in force for a test is the closest marker, else ``--npz-mode``, else the ini value,
else STRICT. Importing this module imports neither NumPy nor jsonschema: fixtures import
what they need when first used, so the plugin costs pytest start-up next to nothing. Nothing
runs per test unless asked: the per-test hooks are registered only when a test carries a mode
marker, requests ``npz_write_audit``, or the audit or ``--npz-lint`` is on.

>>> @pytest.mark.npz_warn
... def test_legacy_input_is_converted(npz_factory, npz_check, tmp_path):
...     out = convert(npz_factory(legacy=["diff3d"]), tmp_path / "out.npz")
...     npz_check(out)
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Generator, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..base.modes import ValidationMode

if TYPE_CHECKING:
    from ..base.report import Report
    from .audit import WriteAudit

MARKERS = {
    "npz_strict": (ValidationMode.STRICT, "metadata required; legacy keys, pickled metadata "
                   "and parameter mismatches are errors"),
    "npz_warn": (ValidationMode.WARN, "legacy keys, pickled metadata, missing metadata and "
                 "parameter mismatches are NpzContractWarning warnings"),
    "npz_permissive": (ValidationMode.PERMISSIVE, "metadata, legacy keys and parameters are "
                       "not checked; structural rules still apply"),
}
SKIP_MARKER = "npz_audit_skip"
_SESSION_MODE = pytest.StashKey[tuple[ValidationMode, str]]()
_SETTINGS = pytest.StashKey[Any]()
_AUDIT = pytest.StashKey["WriteAudit"]()
AUDIT_PLUGIN = "npzcontract-audit"
AUDIT_MODES = ("fail", "warn")
_TRUE, _FALSE = ("true", "yes", "on", "1", "fail"), ("false", "no", "off", "0", "")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("npzcontract", "NPZ data contract (pytest-npzcontract)")
    group.addoption(
        "--npz-mode", action="store", dest="npz_mode", default=None, type=str.lower,
        choices=[m.value for m in ValidationMode], metavar="MODE",
        help="validation mode for npz_check and assert_data_contract: strict, warn or "
             "permissive (default: ini npz_mode, else strict); an npz_* marker on a test wins")
    group.addoption(
        "--npz-lint", action="store_true", dest="npz_lint", default=False,
        help="collect each selected .npz file as a test item checked against the data "
             "contract, with the [tool.npzcontract] configuration and the lint cache")
    group.addoption(
        "--npz-audit", action="store", dest="npz_audit", nargs="?", const="fail",
        default=None, metavar="fail|warn",
        help="audit every test as npz_write_audit does, tools run in subprocesses included: "
             "an NPZ output that breaks the contract fails the test (=warn: a warning); "
             "a table of the tools seen ends the session (default: ini npz_audit)")
    group.addoption(
        "--npz-audit-report", action="store", dest="npz_audit_report", default=None,
        metavar="FILE", help="write the audit's table and every audited test's outputs "
                             "to FILE as JSON")
    parser.addini("npz_mode", "default validation mode (strict, warn or permissive) for "
                  "npz_check and assert_data_contract; --npz-mode overrides it", default="")
    parser.addini("npz_audit", "audit every test's NPZ outputs: true (fail), warn or false; "
                  "--npz-audit overrides it", default="")


def pytest_configure(config: pytest.Config) -> None:
    for name, (mode, summary) in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: validate NPZ data in {mode.name} mode in "
                                f"this test ({summary})")
    config.addinivalue_line("markers", f"{SKIP_MARKER}(*globs): do not audit this test's NPZ "
                            "outputs under --npz-audit (with file-name globs: only those files)")
    config.stash[_SESSION_MODE] = _session_mode(config)
    _in_force_for_session(config)
    if config.getoption("npz_lint", default=False):
        from . import lint_items

        config.pluginmanager.register(lint_items, "npzcontract-lint")
    mode = _audit_mode(config)
    if mode or config.getoption("npz_audit_report", default=None):
        _audit_plugin(config, mode)


def _in_force_for_session(config: pytest.Config) -> None:
    """The session's mode and configuration, for the assertions, without a per-test hook."""
    from .assertions import _mode_in_force, _project_in_force

    mode_token = _mode_in_force.set(config.stash[_SESSION_MODE][0])
    project_token = _project_in_force.set(lambda: session_project(config))

    def reset() -> None:
        _project_in_force.reset(project_token)
        _mode_in_force.reset(mode_token)

    config.add_cleanup(reset)


def _audit_mode(config: pytest.Config) -> str | None:
    """``fail``, ``warn`` or ``None`` from ``--npz-audit`` (else the ini ``npz_audit``)."""
    option = config.getoption("npz_audit", default=None)
    if option is not None:
        if option.lower() in AUDIT_MODES:
            return option.lower()
        if os.path.exists(option):  # ``--npz-audit tests/``: the path was taken as the value
            if config.args_source != pytest.Config.ArgsSource.ARGS:
                config.args[:] = []
            config.args.insert(0, option)
            return "fail"
        raise pytest.UsageError(f"--npz-audit takes fail or warn, not {option!r}")
    ini = str(config.getini("npz_audit") or "").strip().lower()
    if ini in _FALSE:
        return None
    if ini in _TRUE or ini == "warn":
        return "warn" if ini == "warn" else "fail"
    raise pytest.UsageError(f"ini npz_audit: expected true, warn or false, not {ini!r}")


def _audit_plugin(config: pytest.Config, mode: str | None) -> Any:
    plugin = config.pluginmanager.get_plugin(AUDIT_PLUGIN)
    if plugin is None:
        from .suite_audit import AuditPlugin

        plugin = AuditPlugin(config, mode, _AUDIT)
        config.pluginmanager.register(plugin, AUDIT_PLUGIN)
    return plugin


def pytest_collection_finish(session: pytest.Session) -> None:
    """Register the per-test mode hook only when some test carries a mode marker."""
    if any(marker.name in MARKERS for item in session.items for marker in item.iter_markers()):
        if not session.config.pluginmanager.has_plugin(_MarkedModes.NAME):
            session.config.pluginmanager.register(_MarkedModes(), _MarkedModes.NAME)


def _session_mode(config: pytest.Config) -> tuple[ValidationMode, str]:
    option = config.getoption("npz_mode", default=None)
    if option:
        return ValidationMode.coerce(option), "--npz-mode"
    ini = str(config.getini("npz_mode") or "").strip()
    if not ini:
        return ValidationMode.STRICT, "default"
    try:
        return ValidationMode.coerce(ini), "ini npz_mode"
    except ValueError as exc:
        raise pytest.UsageError(f"ini npz_mode: {exc}") from None


def pytest_report_header(config: pytest.Config) -> str:
    mode, source = config.stash[_SESSION_MODE]
    return f"npzcontract: mode {mode} (from {source})"


def item_mode(item: pytest.Item) -> ValidationMode:
    """The mode in force for ``item``: closest ``npz_*`` marker, else the session's mode."""
    for marker in item.iter_markers():
        if marker.name in MARKERS:
            return MARKERS[marker.name][0]
    return item.config.stash[_SESSION_MODE][0]


def session_project(config: pytest.Config) -> Any:
    """The project (:class:`~pytest_npzcontract.tools.project.Project`) of the
    ``[tool.npzcontract]`` table ``npzcontract lint`` reads (found upward from the rootdir),
    loaded on first use and kept for the session. Its rule levels, expected parameters,
    profile, per-path profiles and custom profiles apply to ``npz_check``, the assertions
    and the write audit; its ``mode`` does not (markers, ``--npz-mode`` and the ini value
    decide the mode)."""
    if _SETTINGS not in config.stash:
        from ..contract.config import ConfigError
        from ..tools.project import Project

        try:
            config.stash[_SETTINGS] = Project.load(cwd=config.rootpath)
        except ConfigError as exc:
            raise pytest.UsageError(f"npzcontract configuration: {exc}") from None
    return config.stash[_SETTINGS]


def session_settings(config: pytest.Config) -> Any:
    """The session project's :class:`~pytest_npzcontract.contract.config.Settings`."""
    return session_project(config).settings


class _MarkedModes:
    """Make a marked test's mode the one the assertions see while it runs."""

    NAME = "npzcontract-marked-modes"

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None
                                ) -> Generator[None, object, object]:
        from .assertions import using_mode

        with using_mode(item_mode(item)):
            return (yield)


@pytest.fixture
def npz_mode(request: pytest.FixtureRequest) -> ValidationMode:
    """The :class:`ValidationMode` in force for this test (marker > option > ini > STRICT)."""
    return item_mode(request.node)


@pytest.fixture
def npz_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[..., Path]:
    """Write a physically plausible DATA-001 dataset under ``tmp_path``; return its path.

    Takes the arguments of :func:`pytest_npzcontract.physics.factory.write_dataset`, with ``name``
    (relative to ``tmp_path``) instead of a path. Deterministic per test: unless ``seed`` is
    given, it comes from the test id and the call's position in the test.

    ``profile`` writes a dataset clean under that profile (``canonical``, ``train``, ``raw``,
    ``count-intensity``).

    >>> def test_split(npz_factory):
    ...     src = npz_factory("raw.npz", nphotons=1e6, profile="raw")
    ...     bad = npz_factory(overrides={"probeGuess": np.ones((32, 32), np.complex64)})
    """
    from ..physics.factory import write_dataset
    from .audit import suspended, written_by_fixture

    calls = 0

    def factory(name: str | None = None, *, n_images: int = 8, N: int = 64,
                nphotons: float = 1e9, gridsize: int = 1, with_Y: bool = True,
                metadata: bool | Mapping[str, Any] = True, legacy: str | Iterable[str] = (),
                overrides: Mapping[str, Any] | None = None, drop: str | Iterable[str] = (),
                seed: int | None = None, profile: str = "canonical") -> Path:
        __tracebackhide__ = True
        nonlocal calls
        calls += 1
        if seed is None:
            seed = zlib.crc32(f"{request.node.nodeid}#{calls}".encode())
        try:
            path = tmp_path / _dataset_name(name, calls)
            with suspended():
                written = write_dataset(path, n_images=n_images, N=N, nphotons=nphotons,
                                        gridsize=gridsize, with_Y=with_Y, metadata=metadata,
                                        legacy=legacy, overrides=overrides, drop=drop,
                                        seed=seed, profile=profile)
            written_by_fixture(written)
            return written
        except ValueError as exc:
            # A bad argument is the test's mistake: show the test line, not the factory's.
            raise ValueError(str(exc)) from None

    return factory


def _dataset_name(name: str | None, call: int) -> str:
    if name is None:
        return "dataset.npz" if call == 1 else f"dataset_{call}.npz"
    relative = Path(name)
    if not name or relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"name must be a relative path inside tmp_path, not {name!r}")
    return name if name.endswith(".npz") else f"{name}.npz"


@pytest.fixture
def npz_check(npz_mode: ValidationMode) -> Callable[..., Report]:
    """Check a path or a mapping of arrays under the test's mode.

    Raises :class:`ContractViolation` on error findings (its message lists the warnings and
    info after the errors; ``.report`` is the whole report), emits each warning finding as an
    :class:`NpzContractWarning` pointing at the calling line, returns the report. Keyword
    options (``metadata``, ``profile``, ``rule_levels``, ``values``, ``contract``) go to the
    checker; the project's ``[tool.npzcontract]`` rule levels and profiles apply too.

    >>> report = npz_check(tmp_path / "out.npz", config={"nphotons": 1e9})
    """
    from ..base.errors import ContractViolation
    from .assertions import check_target, emit_warnings

    def check(path_or_arrays: Any, config: Any = None, **options: Any) -> Report:
        __tracebackhide__ = True
        report = check_target(path_or_arrays, mode=npz_mode, config=config, **options)
        if not report.ok:
            from ..base.report import format_findings

            error = ContractViolation(
                f"npz_check (mode {npz_mode}, profile {report.profile}): "
                + format_findings(report.findings, cap=10), findings=report.errors)
            error.report = report
            raise error
        emit_warnings(report, stacklevel=2)
        return report

    return check


@pytest.fixture
def npz_write_audit(request: pytest.FixtureRequest) -> Generator[WriteAudit, None, None]:
    """Record the NPZ files the test body (and the processes it starts) reads and writes; fail
    the test if an output breaks the contract: ``_metadata`` lost or pickled, no new
    transformation record, nphotons/N/gridsize changed without the record naming them, not
    clean under its profile (rules: :mod:`pytest_npzcontract.plugin.audit`).

    >>> def test_tool(npz_factory, npz_write_audit, tmp_path):
    ...     my_tool(npz_factory(), tmp_path / "out.npz")
    ...     assert npz_write_audit.written == [tmp_path / "out.npz"]
    """
    from .audit import WriteAudit

    _audit_plugin(request.config, None)
    audit = WriteAudit(item_mode(request.node))
    request.node.stash[_AUDIT] = audit
    yield audit
    audit.stop()
