"""The habits users bring from ruff and check-jsonschema: -q, --color, -V, python -m,
--output-format, one-line usage errors, a fix line for every finding, the progress bar."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from clirun import lint, npzcontract

from pytest_npzcontract.cli.progress import ProgressBar
from pytest_npzcontract.cli.style import use_color

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
LEGACY = FIXTURES / "legacy" / "raw_diff3d_uint16.npz"
RED_ERROR = "\x1b[31m\x1b[1merror\x1b[0m"


def test_quiet_prints_only_the_findings():
    result = lint("-q", LEGACY, config=False)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines and all(" error " in line for line in lines), lines
    assert lint("-q", FIXTURES / "valid", config=False).stdout == ""
    assert lint("--quiet", FIXTURES / "valid", config=False).exit_code == 0


def test_a_fix_line_for_every_finding():
    """Two legacy-key findings with different fixes get two fix lines."""
    result = lint(LEGACY, config=False)
    fixes = [line for line in result.stdout.splitlines() if line.startswith("fix legacy-key:")]
    assert fixes == ["fix legacy-key: run `npzcontract migrate --in-place FILE` (renames it "
                     "to 'diffraction')",
                     "fix legacy-key: run `npzcontract migrate --in-place FILE` (moves it to "
                     "_metadata.physics_parameters.nphotons)"]


def test_a_bare_npy_gets_its_own_fix(tmp_path: Path):
    np.save(tmp_path / "frames.npy", np.zeros(3))
    (tmp_path / "frames.npy").rename(tmp_path / "frames.npz")
    result = lint(tmp_path / "frames.npz", config=False)
    assert "error unreadable: a bare .npy file, not an .npz archive" in result.stdout
    assert ("fix unreadable: save the arrays with np.savez / save_npz (named keys), or rename "
            "it .npy if it is a single array") in result.stdout
    assert "truncation" not in result.stdout


@pytest.mark.parametrize(("choice", "env", "colored"), [
    ("always", {}, True), ("never", {"FORCE_COLOR": "1"}, False),
    ("auto", {}, False),                       # CliRunner's stdout is not a terminal
    ("auto", {"FORCE_COLOR": "1"}, True), ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
    ("always", {"NO_COLOR": "1"}, True),       # an explicit flag wins over the environment
])
def test_color_choice_and_environment(monkeypatch, choice, env, colored):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = lint("--color", choice, LEGACY, config=False)
    assert (RED_ERROR in result.stdout) is colored
    assert ("\x1b[36mlegacy-key\x1b[0m" in result.stdout) is colored
    plain = lint("--color", "never", LEGACY, config=False).stdout
    if colored:  # colour only adds escapes: the text is the same
        import click
        assert click.unstyle(result.stdout) == plain


def test_auto_colors_on_a_terminal_only():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    env = {k: os.environ.pop(k) for k in ("NO_COLOR", "FORCE_COLOR") if k in os.environ}
    try:
        assert use_color("auto", Tty()) and not use_color("auto", io.StringIO())
    finally:
        os.environ.update(env)


def test_json_and_sarif_never_colored():
    result = lint("--color", "always", "--output-format", "json", LEGACY, config=False)
    assert "\x1b[" not in result.stdout and json.loads(result.stdout)["summary"]["errors"] == 2


def test_output_format_is_another_name_for_format():
    a = lint("--output-format", "github", LEGACY, config=False).stdout
    assert a == lint("--format", "github", LEGACY, config=False).stdout and "::error " in a


def test_version_flags_and_python_m():
    short, long = npzcontract("-V"), npzcontract("--version")
    assert short.exit_code == 0 and short.stdout == long.stdout
    assert short.stdout.startswith("npzcontract, version ")
    module = subprocess.run([sys.executable, "-m", "pytest_npzcontract", "-V"],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert module.returncode == 0 and module.stdout == short.stdout
    linted = subprocess.run([sys.executable, "-m", "pytest_npzcontract", "lint", "--no-config",
                             str(FIXTURES / "valid")], capture_output=True, text=True,
                            timeout=120)
    assert linted.returncode == 0 and "2 files checked: 2 passed" in linted.stdout


@pytest.mark.parametrize(("args", "line"), [
    (["lnt"], "npzcontract: error: no such command 'lnt'; did you mean 'lint'? "
              "(see 'npzcontract --help')"),
    (["--bogus"], "npzcontract: error: no such option '--bogus' (see 'npzcontract --help')"),
    (["lint", "--fromat", "json"], "npzcontract: error: no such option '--fromat'; did you "
                                   "mean '--format'? (see 'npzcontract lint --help')"),
    (["show"], "npzcontract: error: missing argument 'FILE' (see 'npzcontract show --help')"),
    (["lint", "--rule", "legacy-keys=off", "."],
     "npzcontract: error: --rule: unknown rule id 'legacy-keys' (did you mean 'legacy-key'?)"),
])
def test_usage_errors_are_one_line_with_exit_2(args, line):
    result = npzcontract(*args)
    assert result.exit_code == 2
    assert result.stderr == line + "\n" and result.stdout == ""


def test_a_type_error_in_the_configuration_is_refused(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[tool.npzcontract]\ninclude = "*.npz"\nmode = 3\n')
    result = lint(".", cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr == ("npzcontract: error: pyproject.toml: [tool.npzcontract] include: "
                             "expected a list of glob patterns, e.g. ['*.npz'], not the string "
                             "'*.npz'\n")
    (tmp_path / "pyproject.toml").write_text("[tool.npzcontract]\nmode = 3\n")
    assert lint(".", cwd=tmp_path).stderr == (
        "npzcontract: error: pyproject.toml: [tool.npzcontract] mode: expected a string, "
        "not 3\n")


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_bar_never_appears_for_a_quick_run():
    out, clock = io.StringIO(), _Clock()
    with ProgressBar(["a.npz", "b.npz"], sizes={"a.npz": 10, "b.npz": 10}, stream=out,
                     clock=clock) as bar:
        for path in ("a.npz", "b.npz"):
            clock.now += 0.3
            bar.run(path, lambda: bar.add(10))
    assert out.getvalue() == ""


def test_progress_bar_shows_files_done_and_the_current_file_then_clears():
    out, clock = io.StringIO(), _Clock()
    files = [f"data/scan{i}.npz" for i in range(4)]
    with ProgressBar(files, sizes=dict.fromkeys(files, 100), stream=out, clock=clock,
                     columns=80) as bar:
        for path in files:
            def check(path=path):
                clock.now += 0.6
                bar.add(50)
                clock.now += 0.6
                bar.add(50)
            bar.run(path, check)
            if path == files[1]:
                shown = out.getvalue().split("\r")[-1]
                assert shown.startswith("[##########..........] 2/4 files  data/scan1.npz")
    text = out.getvalue()
    assert "1/4 files  data/scan0.npz" in text and "4/4 files" in text
    last = text.split("\r")
    assert last[-1] == "" and last[-2].strip() == ""  # erased: the results start clean
    assert all(len(part) < 80 for part in last)


def test_progress_bar_line_fits_the_terminal():
    bar = ProgressBar(["d" * 200 + "/scan.npz"], sizes={}, stream=io.StringIO(), columns=60)
    bar.current = "d" * 200 + "/scan.npz"
    assert len(bar.line()) == 59 and bar.line().endswith("d/scan.npz")
    assert bar.line().startswith("[....................] 0/1 files  ...d")
