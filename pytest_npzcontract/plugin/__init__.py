"""The pytest plugin, registered through the ``pytest11`` entry point (nothing to configure).

Fixtures ``npz_factory``, ``npz_mode``, ``npz_check``, ``npz_write_audit``; markers
``npz_strict``, ``npz_warn``, ``npz_permissive``; options ``--npz-mode`` and ``--npz-lint``
(datasets as test items, :mod:`.lint_items`); ini ``npz_mode``.
The mode in force for a test is the closest marker, else ``--npz-mode``, else the ini value,
else STRICT. Importing this module imports neither NumPy nor jsonschema: fixtures import
what they need when first used, so the plugin costs pytest start-up next to nothing.

>>> @pytest.mark.npz_warn
... def test_legacy_input_is_converted(npz_factory, npz_check, tmp_path):
...     out = convert(npz_factory(legacy=["diff3d"]), tmp_path / "out.npz")
...     npz_check(out)
"""

from __future__ import annotations

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
_SESSION_MODE = pytest.StashKey[tuple[ValidationMode, str]]()
_SETTINGS = pytest.StashKey[Any]()
_AUDIT = pytest.StashKey["WriteAudit"]()


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
    parser.addini("npz_mode", "default validation mode (strict, warn or permissive) for "
                  "npz_check and assert_data_contract; --npz-mode overrides it", default="")


def pytest_configure(config: pytest.Config) -> None:
    for name, (mode, summary) in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: validate NPZ data in {mode.name} mode in "
                                f"this test ({summary})")
    config.stash[_SESSION_MODE] = _session_mode(config)
    if config.getoption("npz_lint", default=False):
        from . import lint_items

        config.pluginmanager.register(lint_items, "npzcontract-lint")


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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None
                            ) -> Generator[None, object, object]:
    from .assertions import using_mode, using_project

    with using_mode(item_mode(item)), using_project(lambda: session_project(item.config)):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    # The write audit covers the test body; it fails the test (not its teardown) so the
    # report says FAILED with the offending files.
    audit = item.stash.get(_AUDIT, None)
    if audit is None:
        return (yield)
    audit.start()
    try:
        result = yield
    finally:
        audit.stop()
    problems = audit.problems()
    if problems:
        pytest.fail(f"npz_write_audit: {len(problems)} NPZ file(s) written by this test break "
                    "metadata propagation:\n" + "\n".join(f"  {p}" for p in problems),
                    pytrace=False)
    return result


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
    from .audit import suspended

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
                return write_dataset(path, n_images=n_images, N=N, nphotons=nphotons,
                                     gridsize=gridsize, with_Y=with_Y, metadata=metadata,
                                     legacy=legacy, overrides=overrides, drop=drop, seed=seed,
                                     profile=profile)
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
    """Record the NPZ files the test body reads and writes; fail the test if an output lost
    ``_metadata`` or records no new transformation (rule: :mod:`pytest_npzcontract.plugin.audit`).

    >>> def test_tool(npz_factory, npz_write_audit, tmp_path):
    ...     my_tool(npz_factory(), tmp_path / "out.npz")
    ...     assert npz_write_audit.written == [tmp_path / "out.npz"]
    """
    from .audit import WriteAudit

    audit = WriteAudit()
    request.node.stash[_AUDIT] = audit
    yield audit
    audit.stop()
