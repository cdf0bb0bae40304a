"""One verdict everywhere: each failure class gets the same findings (rule, severity, key) and
the same profile from every surface that judges a file: ``npzcontract lint`` (text and JSON),
``npzcontract show``, ``pytest --npz-lint``, ``npz_check``, ``assert_data_contract`` and a real
pre-commit run, under a project with per-path profiles.

The tree is written by the test itself (``build_tree``): one file per failure class, in
folders the configuration maps to profiles, plus raw-form files under ``data/raw/``.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import clirun
import numpy as np
import pytest

from pytest_npzcontract.physics.factory import write_dataset

pytest_plugins = ["pytester"]

CONFIG = """\
[tool.pytest.ini_options]
addopts = "-p no:cacheprovider"

[tool.npzcontract]
mode = "strict"
expect = { nphotons = 1e9 }

[tool.npzcontract.profiles]
"data/canon/**" = "canonical"
"data/raw/**" = "raw"
"data/train/**" = "train"
"""

#: failure class -> (path, the rule lint must report for it, or None: no file rule applies).
CLASSES = {
    "nphotons missing": ("data/canon/no_nphotons.npz", "parameter-missing"),
    "nphotons mismatch": ("data/canon/dose_1e6.npz", "parameter-mismatch"),
    "dose contradicted": ("data/canon/contradicted.npz", "nphotons-inconsistent"),
    "counts as amplitude": ("data/canon/counts.npz", "intensity-not-amplitude"),
    "pickled metadata": ("data/canon/pickled.npz", "pickled-metadata"),
    "metadata dropped": ("data/canon/no_metadata.npz", "metadata-missing"),
    "no transformation record": ("data/canon/no_record.npz", None),
    "transposed frames": ("data/canon/transposed.npz", "transposed-layout"),
    "legacy keys": ("data/canon/legacy.npz", "legacy-key"),
    "NaN": ("data/canon/nan.npz", "non-finite"),
    "raw: pickled metadata": ("data/raw/pickled.npz", "pickled-metadata"),
    "raw: NaN": ("data/raw/nan.npz", "non-finite"),
    "train: legacy 4-D Y": ("data/train/y4d.npz", "legacy-key"),
}
PROFILES = {"canon": "canonical", "raw": "raw", "train": "train"}
LINE = re.compile(r"^(?P<file>\S+?): (?:\[(?P<key>[^\]]+)\] )?(?P<severity>error|warning) "
                  r"(?P<rule>[a-z][a-z0-9-]*):")


def _pickled_metadata(path: Path, source: Path) -> None:
    """Replace ``path``'s ``_metadata`` member by the pickled one of ``source``."""
    with zipfile.ZipFile(source) as zf:
        pickled = zf.read("_metadata.npy")
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    members["_metadata.npy"] = pickled
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def build_tree(root: Path) -> dict[str, Path]:
    """Write the configuration and one dataset per failure class under ``root``."""
    (root / "pyproject.toml").write_text(CONFIG)
    files = {name: root / rel for name, (rel, _) in CLASSES.items()}
    write_dataset(files["nphotons missing"], metadata={"physics_parameters": {"nphotons": None}})
    write_dataset(files["nphotons mismatch"], nphotons=1e6)
    write_dataset(files["dose contradicted"], nphotons=1e6,
                  metadata={"physics_parameters": {"nphotons": 1e9}})
    base = write_dataset(root / "scratch" / "base.npz", seed=5)
    with np.load(base) as data:
        diffraction = data["diffraction"]
    counts = np.round((diffraction * 40) ** 2).astype(np.float32)
    write_dataset(files["counts as amplitude"], seed=5, overrides={"diffraction": counts})
    write_dataset(files["pickled metadata"], legacy=("pickled-metadata",))
    write_dataset(files["metadata dropped"], metadata=False)
    write_dataset(files["no transformation record"], metadata={"data_transformations": []})
    write_dataset(files["transposed frames"], seed=5,
                  overrides={"diffraction": np.ascontiguousarray(diffraction.transpose(1, 2, 0))})
    write_dataset(files["legacy keys"], legacy=("diff3d",))
    nan = diffraction.copy()
    nan[0, 3, 3] = np.nan
    write_dataset(files["NaN"], seed=5, overrides={"diffraction": nan})
    write_dataset(files["raw: pickled metadata"], profile="raw")
    _pickled_metadata(files["raw: pickled metadata"], files["pickled metadata"])
    raw = write_dataset(root / "scratch" / "raw.npz", profile="raw", seed=6)
    with np.load(raw) as data:
        frames = data["diff3d"].copy()
    frames[1, 2, 2] = np.nan
    write_dataset(files["raw: NaN"], profile="raw", seed=6, overrides={"diff3d": frames})
    train = write_dataset(root / "scratch" / "train.npz", profile="train", seed=7)
    with np.load(train) as data:
        y4d = data["Y"][..., None]
    write_dataset(files["train: legacy 4-D Y"], profile="train", seed=7, overrides={"Y": y4d})
    shutil.rmtree(root / "scratch")
    return files


def _rel(root: Path, file: str) -> str:
    path = Path(file)
    return (path.relative_to(root) if path.is_absolute() else path).as_posix()


def _from_lines(root: Path, text: str) -> dict[str, set[tuple]]:
    found: dict[str, set[tuple]] = {}
    for line in text.splitlines():
        match = LINE.match(line.strip())
        if match and match["file"].endswith(".npz"):
            found.setdefault(_rel(root, match["file"]), set()).add(
                (match["key"], match["rule"], match["severity"]))
    return found


def _from_findings(root: Path, findings: list[dict]) -> dict[str, set[tuple]]:
    found: dict[str, set[tuple]] = {}
    for f in findings:
        if f["severity"] in ("error", "warning"):
            found.setdefault(_rel(root, f["file"]), set()).add((f["key"], f["rule"],
                                                                f["severity"]))
    return found


PLUGIN_TEST = """
import json, pathlib, pytest
from pytest_npzcontract import ContractViolation, assert_data_contract

FILES = sorted(str(p) for p in pathlib.Path("data").rglob("*.npz"))

def _dump(name, report):
    out = pathlib.Path("results") / name
    out.mkdir(parents=True, exist_ok=True)
    target = out / (report.file.replace("/", "__") + ".json")
    target.write_text(json.dumps({"file": report.file, "profile": report.profile,
                                  "findings": [f.to_dict() for f in report.findings]}))

@pytest.mark.parametrize("path", FILES)
def test_npz_check(path, npz_check):
    try:
        report = npz_check(path)
    except ContractViolation as exc:
        report = exc.report
    _dump("npz_check", report)

@pytest.mark.parametrize("path", FILES)
def test_assert_data_contract(path):
    try:
        report = assert_data_contract(path)
    except AssertionError as exc:
        report = exc.report
    _dump("assert_data_contract", report)
"""


@pytest.fixture(scope="module")
def surfaces(tmp_path_factory) -> tuple[Path, dict[str, dict[str, set]], dict[str, dict]]:
    """Run every surface once on the tree: (root, findings by surface and file, profiles by
    surface and file)."""
    root = tmp_path_factory.mktemp("consistency")
    files = build_tree(root)
    findings: dict[str, dict[str, set]] = {}
    profiles: dict[str, dict[str, str]] = {}
    text = clirun.lint("--no-cache", "data", cwd=root)
    assert text.exit_code == 1, text.output
    findings["lint"] = _from_lines(root, text.stdout)
    document = clirun.lint_json("--no-cache", "data", cwd=root)
    findings["json"] = _from_findings(root, document["findings"])
    profiles["json"] = {_rel(root, f["file"]): f["profile"] for f in document["files"]}
    findings["show"], profiles["show"] = {}, {}
    for path in files.values():
        shown = clirun.npzcontract("show", "--json", "--no-estimate", path.relative_to(root),
                                   cwd=root)
        info = json.loads(shown.stdout)
        rel = _rel(root, info["file"])
        findings["show"][rel] = _from_findings(root, info["findings"]).get(rel, set())
        profiles["show"][rel] = info["check"]["profile"]
    return root, findings, profiles


def _plugin_results(pytester: pytest.Pytester, root: Path) -> tuple[dict, dict]:
    for item in root.iterdir():
        target = pytester.path / item.name
        (shutil.copytree if item.is_dir() else shutil.copy)(item, target)
    pytester.makepyfile(test_surfaces=PLUGIN_TEST)
    result = pytester.runpytest_inprocess("test_surfaces.py", "-q")
    result.assert_outcomes(passed=2 * len(CLASSES))
    findings: dict[str, dict[str, set]] = {}
    profiles: dict[str, dict[str, str]] = {}
    for surface in ("npz_check", "assert_data_contract"):
        findings[surface], profiles[surface] = {}, {}
        for dumped in (pytester.path / "results" / surface).glob("*.json"):
            data = json.loads(dumped.read_text())
            rel = _rel(pytester.path, data["file"])
            findings[surface][rel] = _from_findings(pytester.path, data["findings"]).get(
                rel, set())
            profiles[surface][rel] = data["profile"]
    return findings, profiles


def _npz_lint_results(pytester: pytest.Pytester) -> tuple[dict, dict]:
    reprec = pytester.inline_run("--npz-lint", "data", "-W", "default")
    findings: dict[str, set] = {}
    profiles: dict[str, str] = {}
    for report in reprec.getreports("pytest_runtest_logreport"):
        if report.when != "call":
            continue
        rel = report.nodeid.split("::")[0]
        profiles[rel] = dict(report.user_properties)["npz_lint_profile"]
        findings.setdefault(rel, set())
        if report.failed:
            findings[rel] |= _from_lines(pytester.path, str(report.longrepr)).get(rel, set())
    for call in reprec.getcalls("pytest_warning_recorded"):
        for rel, seen in _from_lines(pytester.path, str(call.warning_message.message)).items():
            findings.setdefault(rel, set()).update(seen)
    return findings, profiles


def test_every_failure_class_is_reported_by_lint(surfaces):
    root, findings, _ = surfaces
    for name, (rel, rule) in CLASSES.items():
        rules = {r for _, r, _ in findings["lint"].get(rel, set())}
        if rule is None:
            assert not rules, f"{name}: {rules}"
        else:
            assert rule in rules, f"{name}: lint reports {rules} for {rel}"


def test_cli_surfaces_agree_with_lint(surfaces):
    _, findings, profiles = surfaces
    for surface in ("json", "show"):
        for name, (rel, _) in CLASSES.items():
            assert findings[surface].get(rel, set()) == findings["lint"].get(rel, set()), \
                f"{surface} disagrees with lint on {name} ({rel})"
    for rel, profile in profiles["json"].items():
        assert profiles["show"][rel] == profile == PROFILES[rel.split("/")[1]]


@pytest.mark.slow
def test_plugin_surfaces_agree_with_lint(surfaces, pytester: pytest.Pytester):
    root, findings, profiles = surfaces
    plugin, plugin_profiles = _plugin_results(pytester, root)
    linted, linted_profiles = _npz_lint_results(pytester)
    plugin["--npz-lint"], plugin_profiles["--npz-lint"] = linted, linted_profiles
    for surface, seen in plugin.items():
        for name, (rel, _) in CLASSES.items():
            assert seen.get(rel, set()) == findings["lint"].get(rel, set()), \
                f"{surface} disagrees with lint on {name} ({rel}): {seen.get(rel)}"
            assert plugin_profiles[surface][rel] == profiles["json"][rel], (surface, rel)


@pytest.mark.slow
def test_a_real_pre_commit_run_agrees_with_lint(surfaces, snapshot, tmp_path: Path):
    from test_precommit import PRE_COMMIT, commit, new_repo, sh

    root, findings, _ = surfaces
    source, sha, env = snapshot
    repo = new_repo(tmp_path / "repo", env)
    shutil.copytree(root / "data", repo / "data")
    shutil.copy(root / "pyproject.toml", repo / "pyproject.toml")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {source}\n    rev: {sha}\n    hooks:\n      - id: npz-contract\n")
    sh(PRE_COMMIT, "install", cwd=repo, env=env)
    sh("git", "add", ".pre-commit-config.yaml", "pyproject.toml", cwd=repo, env=env)
    result = commit(repo, env, "data")
    assert result.returncode == 1, result.stdout + result.stderr
    seen = _from_lines(repo, result.stdout + result.stderr)
    for name, (rel, _) in CLASSES.items():
        assert seen.get(rel, set()) == findings["lint"].get(rel, set()), \
            f"pre-commit disagrees with lint on {name} ({rel})"


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    from test_precommit import make_snapshot

    return make_snapshot(tmp_path_factory.mktemp("precommit"))


def _verdicts(document: dict) -> list:
    return [(f["file"], f["profile"], f["ok"],
             sorted((x["rule"], x["severity"]) for x in document["findings"]
                    if x["file"] == f["file"])) for f in document["files"]]


@pytest.mark.slow
@pytest.mark.parametrize("first", ["--npz-lint", "lint"])
def test_the_cache_cannot_cross_surfaces(pytester: pytest.Pytester, first: str,
                                         monkeypatch: pytest.MonkeyPatch):
    """With the cache on, whichever surface runs first, the other gives the verdict it gives
    alone (the cache key holds the options applied, and both apply the same ones)."""
    monkeypatch.delenv("NPZCONTRACT_NO_CACHE", raising=False)
    build_tree(pytester.path)
    alone = clirun.lint_json("--no-cache", "data", cwd=pytester.path)
    baseline, _ = _npz_lint_results(pytester)  # --npz-lint alone, cache populated
    shutil.rmtree(pytester.path / ".npzcontract_cache")
    if first == "lint":
        warm = clirun.lint_json("data", cwd=pytester.path)
        assert warm["summary"]["cached"] == 0
        again, _ = _npz_lint_results(pytester)
        assert again == baseline
    else:
        _npz_lint_results(pytester)
        after = clirun.lint_json("data", cwd=pytester.path)
        assert after["summary"]["cached"] == len(CLASSES)  # the same question, answered once
        assert _verdicts(after) == _verdicts(alone)
    # A different question (another mode) is never answered from those entries.
    warn = clirun.lint_json("--mode", "warn", "data", cwd=pytester.path)
    assert warn["summary"]["cached"] == 0
    assert _verdicts(warn) != _verdicts(alone)


AUDITED_TOOL = """
import pathlib, shutil
import pytest
from pytest_npzcontract import load_npz

CASES = {cases!r}

@pytest.mark.parametrize("rel", sorted(CASES))
def test_tool_writes(rel):
    load_npz("base.npz")                      # the tool reads its input first
    pathlib.Path(rel).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CASES[rel], rel)          # ... and writes this class's file as output
"""

#: What the audit adds on top of the file's own verdict, per class (propagation rules).
AUDIT_ADDS = {"pickled metadata": "pickled-metadata", "metadata dropped": "metadata-missing",
              "no transformation record": "transformation-missing",
              "nphotons missing": "parameter-missing"}


@pytest.mark.slow
def test_the_write_audit_agrees_with_lint(surfaces, pytester: pytest.Pytester):
    """``pytest --npz-audit``: a tool that reads an input and writes each class's file gets,
    for that output, every error lint reports for the file (under its per-path profile), and
    the propagation rule the class breaks."""
    root, findings, _ = surfaces
    shutil.copy(root / "pyproject.toml", pytester.path / "pyproject.toml")
    write_dataset(pytester.path / "base.npz", seed=5)
    cases = {}
    for rel, _ in CLASSES.values():
        source = pytester.path / "sources" / (rel.replace("/", "__") + ".bin")
        source.parent.mkdir(exist_ok=True)
        shutil.copy(root / rel, source)  # .bin: read by the tool, not taken as an NPZ input
        cases[rel] = str(source)
    pytester.makepyfile(test_tool=AUDITED_TOOL.format(cases=cases))
    result = pytester.runpytest_inprocess("--npz-audit", "--npz-audit-report", "audit.json")
    outcomes = result.parseoutcomes()
    document = json.loads((pytester.path / "audit.json").read_text())
    seen = {_rel(pytester.path, o["file"]): {(v["key"], v["rule"]) for v in o["violations"]}
            for test in document["tests"] for o in test["outputs"]}
    for name, (rel, _) in CLASSES.items():
        errors = {(k, r) for k, r, s in findings["lint"].get(rel, set()) if s == "error"}
        assert errors <= seen.get(rel, set()), f"audit misses lint's errors on {name}"
        if name in AUDIT_ADDS:
            assert AUDIT_ADDS[name] in {r for _, r in seen.get(rel, set())}, (name, seen.get(rel))
    clean = [rel for rel in seen if not seen[rel]]
    assert outcomes.get("failed", 0) == len(CLASSES) - len(clean)
