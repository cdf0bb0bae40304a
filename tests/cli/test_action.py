"""The composite GitHub Action (action.yml) and the workflow in hooks/: structure, installing
from the checkout, and the lint step run for real with GitHub's environment files."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pytest_npzcontract.physics.factory import write_dataset

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())


def steps() -> list[dict]:
    return ACTION["runs"]["steps"]


def test_action_is_a_composite_that_installs_from_its_own_checkout():
    assert ACTION["runs"]["using"] == "composite"
    install = next(s for s in steps() if "pip install" in s.get("run", ""))
    assert '"${GITHUB_ACTION_PATH}${extras}"' in install["run"]
    for step in steps():
        if "run" in step:
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], "inputs reach scripts through env, not expansion"
    used = set(re.findall(r"inputs\.([\w-]+)", (ROOT / "action.yml").read_text()))
    assert used <= set(ACTION["inputs"])
    assert {"paths", "args", "sarif", "smoke", "cache"} <= set(ACTION["inputs"])
    smoke = next(s for s in steps() if s.get("name") == "TensorFlow smoke test")
    assert smoke["run"] == "npzcontract smoke --json"


def test_no_install_line_names_a_package_index():
    texts = {p: p.read_text() for p in [ROOT / "README.md", ROOT / "action.yml",
                                         *ROOT.glob("docs/*.md"), *ROOT.glob("hooks/*")]}
    for path, text in texts.items():
        for line in text.splitlines():
            if "pip install" in line:
                assert not re.search(r"pip install\s+['\"]?pytest-npzcontract", line), (path, line)
    workflow = yaml.safe_load((ROOT / "hooks" / "npzcontract.yml").read_text())
    job_steps = workflow["jobs"]["datasets"]["steps"]
    checkout = next(s for s in job_steps if s.get("with", {}).get("path") == ".npzcontract-action")
    assert checkout["with"]["repository"] == "${{ vars.NPZCONTRACT_REPOSITORY }}"
    assert any(s.get("uses") == "./.npzcontract-action" for s in job_steps)


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_lint_step_annotates_summarizes_and_excludes_its_own_checkout(tmp_path: Path):
    work = tmp_path / "workspace"
    (work / ".git").mkdir(parents=True)
    write_dataset(work / "data" / "good.npz", n_images=4, N=64, nphotons=1e6, seed=1)
    write_dataset(work / "data" / "bad.npz", n_images=4, N=64, drop=["probeGuess"], seed=2)
    checkout = work / ".npzcontract-action"
    shutil.copytree(ROOT / "fixtures" / "broken", checkout / "fixtures" / "broken")
    summary, output = tmp_path / "summary.md", tmp_path / "output.txt"
    lint = next(s for s in steps() if s.get("id") == "lint")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GITHUB_ACTION_PATH": str(checkout),
           "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output),
           "LINT_PATHS": ".", "LINT_ARGS": "--jobs 1", "LINT_SARIF": "out.sarif",
           "LINT_CACHE": "true",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("NPZCONTRACT_NO_CACHE", None)
    result = subprocess.run(["bash", "-e", "-c", lint["run"]], cwd=work, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    assert "::error file=data/bad.npz,title=npzcontract missing-key::" in result.stdout
    assert ".npzcontract-action" not in result.stdout
    assert result.stdout.splitlines()[-1].startswith("2 files checked: 1 passed, 1 failed")
    text = summary.read_text()
    assert text.startswith("### npzcontract lint ❌")
    assert "| data/bad.npz | probeGuess | error | `missing-key` |" in text
    assert "(2 from cache)" in text  # the summary run reuses the first run's reports
    assert output.read_text().strip() == "exit-code=1"
    sarif = json.loads((work / "out.sarif").read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"missing-key"}
    assert (work / ".git" / "info" / "exclude").read_text() == "/.npzcontract-action/\n"
