"""Every fix line lint prints, followed, leaves the file clean under its own profile.

For each rule, under each built-in profile where its defect can occur: a file clean under that
profile (the per-path table of a real ``pyproject.toml`` names the profile) gets the defect;
``npzcontract lint`` must print a ``fix RULE:`` line; the test follows it (a backticked
command is run as printed, ``FILE`` being the file and ``VALUE`` the value the user knows; other
advice is done as said) and lint must then report no error and no warning.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pytest_npzcontract.cli import cli
from pytest_npzcontract.contract.profiles import PROFILES
from pytest_npzcontract.io.reader import load_npz
from pytest_npzcontract.io.writer import save_npz
from pytest_npzcontract.metadata.model import config_from_metadata, create_metadata
from pytest_npzcontract.physics.factory import write_dataset

NAMES = ("canonical", "train", "raw", "count-intensity")
AMPLITUDE = ("canonical", "train", "raw")
FRAMES = {"canonical": "diffraction", "train": "diffraction", "raw": "diff3d",
          "count-intensity": "diffraction"}
NPHOTONS = 1e3
CONFIG = "[tool.npzcontract]\n[tool.npzcontract.profiles]\n" + "".join(
    f'"{name}/**" = "{name}"\n' for name in NAMES)


def invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def lint(path: Path, *extra: str):
    return invoke("lint", "--no-cache", path, *extra)


def fix_lines(output: str) -> dict[str, str]:
    return dict(re.findall(r"^fix (\S+): (.*)$", output, re.MULTILINE))


def run_commands(fix: str, path: Path, value: str | None = None) -> int:
    """Run every backticked ``npzcontract`` command of ``fix``; returns how many ran."""
    commands = re.findall(r"`npzcontract ([^`]+)`", fix)
    for command in commands:
        words = [str(path) if w == "FILE" else (value if w == "VALUE" else w)
                 for w in shlex.split(command)]
        assert None not in words, f"{command}: the test gives no VALUE"
        result = invoke(*words)
        assert result.exit_code == 0, (command, result.output)
    return len(commands)


def write_raw(path: Path, arrays: dict, metadata: object = None) -> None:
    """Write exactly these members with NumPy (defects save_npz refuses)."""
    members = dict(arrays)
    if metadata is not None:
        members["_metadata"] = metadata
    with open(path, "wb") as fh:
        np.savez(fh, **members)


def pickled(metadata: dict) -> np.ndarray:
    holder = np.empty((), dtype=object)
    holder[()] = metadata
    return holder


@dataclass(frozen=True)
class Case:
    rule: str
    profiles: tuple[str, ...]
    #: (path, profile, clean arrays, clean metadata) -> extra lint arguments
    defect: Callable[..., tuple[str, ...]]
    #: (path, profile, fix text, clean arrays, clean metadata) -> extra lint arguments after
    follow: Callable[..., tuple[str, ...]]
    #: the fix must contain a command to run (and running it is the whole fix)
    command: bool = False


def _frames(profile: str) -> str:
    return FRAMES[profile]


def _counts(profile: str, integer: bool) -> np.ndarray:
    """Photon counts of the same simulation the clean file holds as amplitudes."""
    path = write_dataset(Path(profile) / "counts.npz", profile="count-intensity",
                         nphotons=NPHOTONS, seed=1)
    counts = load_npz(path)[0]["diffraction"]
    path.unlink()
    return counts.astype(np.uint16) if integer else counts


def _resave(arrays: dict, metadata: dict | None = None, **changes: object) -> Callable:
    def write(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
        save_npz(path, {**a, **changes}, m if metadata is None else metadata)
        return ()
    return write


def _command(value: Callable[[dict], str] | None = None) -> Callable:
    def follow(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
        assert run_commands(fix, path, value(m) if value else None) >= 1, fix
        return ()
    return follow


def _restore(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    save_npz(path, a, m)          # the data as it should have been written
    return ()


def _edit(path: Path, change: Callable[[dict, dict], None], raw: bool = False) -> None:
    arrays, metadata = load_npz(path)
    change(arrays, metadata)
    if raw:
        write_raw(path, arrays, np.array(_json(metadata)))
    else:
        save_npz(path, arrays, metadata)


def _nphotons(m: dict) -> str:
    return repr(m["physics_parameters"]["nphotons"])


def _defect(change: Callable[[dict, dict, str], None], raw: bool = False) -> Callable:
    def make(path: Path, profile: str, a: dict, m: dict) -> tuple[str, ...]:
        _edit(path, lambda arrays, metadata: change(arrays, metadata, profile), raw=raw)
        return ()
    return make


def _pickle_metadata(path: Path, profile: str, a: dict, m: dict) -> tuple[str, ...]:
    write_raw(path, a, pickled(m))
    return ()


def _transpose(arrays: dict, metadata: dict, profile: str) -> None:
    key = _frames(profile)
    arrays[key] = np.ascontiguousarray(np.transpose(arrays[key], (1, 2, 0)))


def _drop_metadata(path: Path, profile: str, a: dict, m: dict) -> tuple[str, ...]:
    write_raw(path, a)
    return ()


def _with_metadata(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    assert "create_metadata" in fix and "save_npz" in fix
    config = {k: m["physics_parameters"][k] for k in ("nphotons", "N", "gridsize")}
    if profile == "count-intensity":
        config.update(scale_contract_version="ci_intensity_v2",
                      measurement_domain="count_intensity")
    save_npz(path, a, create_metadata(config, "fix.py"))
    return ()


def _schema_defect(arrays: dict, metadata: dict, profile: str) -> None:
    metadata["physics_parameters"]["gridsize"] = "one"


def _schema_follow(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    assert run_commands(fix, path) == 1
    schema = invoke("schema")
    assert "gridsize" in schema.output
    save_npz(path, a, m)          # gridsize written as the number the schema asks for
    return ()


def _no_nphotons(arrays: dict, metadata: dict, profile: str) -> None:
    del metadata["physics_parameters"]["nphotons"]


def _expect_other(path: Path, profile: str, a: dict, m: dict) -> tuple[str, ...]:
    return ("--expect", f"nphotons={NPHOTONS * 100:g}")


def _expect_dataset(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    assert "config_from_metadata" in fix
    config = config_from_metadata(load_npz(path)[1])
    return ("--expect", f"nphotons={config['nphotons']:g}")


def _wrong_n(arrays: dict, metadata: dict, profile: str) -> None:
    metadata["physics_parameters"]["N"] = 128


def _fix_n(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    assert "physics_parameters.N" in fix
    _edit(path, lambda arrays, metadata: metadata["physics_parameters"].update(N=64))
    return ()


def _dose_defect(arrays: dict, metadata: dict, profile: str) -> None:
    metadata["physics_parameters"]["nphotons"] = NPHOTONS * 100


def _partial_pair(arrays: dict, metadata: dict, profile: str) -> None:
    metadata["physics_parameters"].pop("measurement_domain", None)
    metadata["physics_parameters"]["scale_contract_version"] = (
        "ci_intensity_v2" if profile == "count-intensity" else "legacy_v1")


def _record_pair(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    pair = ("ci_intensity_v2", "count_intensity") if profile == "count-intensity" else (
        "legacy_v1", "normalized_amplitude")
    assert all(word in fix for word in pair)
    _edit(path, lambda arrays, metadata: metadata["physics_parameters"].update(
        scale_contract_version=pair[0], measurement_domain=pair[1]))
    return ()


def _small_frames(path: Path, profile: str, a: dict, m: dict) -> tuple[str, ...]:
    write_dataset(path, profile=profile, nphotons=NPHOTONS, seed=1, N=32)
    return ()


def _sizes_profile(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    assert "use a profile with other sizes" in fix
    Path("pyproject.toml").write_text(
        CONFIG + f'"{profile}/small.npz" = "small"\n'
        f'[tool.npzcontract.custom-profiles.small]\nextends = "{profile}"\nsizes = []\n')
    path.rename(path.with_name("small.npz"))
    return ("SMALL",)


def _truncate(path: Path, profile: str, a: dict, m: dict) -> tuple[str, ...]:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return ()


def _recreate(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    assert "save_npz" in fix
    return _restore(path, profile, fix, a, m)


def _object_coords(path: Path, profile: str, a: dict, m: dict) -> tuple[str, ...]:
    write_raw(path, {**a, "xcoords": np.array(list(a["xcoords"]), dtype=object)},
              np.array(_json(m)))
    return ()


def _json(metadata: dict) -> str:
    from pytest_npzcontract.io.codec import to_json_text

    return to_json_text(metadata)


def _low_limit(path: Path, profile: str, a: dict, m: dict) -> tuple[str, ...]:
    Path("pyproject.toml").write_text(CONFIG.replace(
        "[tool.npzcontract]\n", "[tool.npzcontract]\nlimits = { max_array_bytes = 1000 }\n"))
    return ()


def _raise_limit(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    assert "raise the limit in configuration" in fix
    Path("pyproject.toml").write_text(CONFIG.replace(
        "[tool.npzcontract]\n", "[tool.npzcontract]\nlimits = { max_array_bytes = 1e9 }\n"))
    return ()


def _scale(factor: float) -> Callable:
    def change(arrays: dict, metadata: dict, profile: str) -> None:
        arrays[_frames(profile)] = (arrays[_frames(profile)] * factor).astype(np.float32)
    return change


def _normalize(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    assert "normalize amplitudes" in fix

    def change(arrays: dict, metadata: dict) -> None:
        key = _frames(profile)
        arrays[key] = (arrays[key] / arrays[key].max()).astype(np.float32)
    _edit(path, change)
    return ()


def _counts_defect(integer: bool) -> Callable:
    def change(arrays: dict, metadata: dict, profile: str) -> None:
        arrays[_frames(profile)] = _counts(profile, integer)
    return change


def _sqrt_counts(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    assert "np.sqrt(counts).astype(np.float32)" in fix

    def change(arrays: dict, metadata: dict) -> None:
        key = _frames(profile)
        arrays[key] = np.sqrt(arrays[key]).astype(np.float32)
    _edit(path, change)
    return ()


SINGLE_DOSE = tuple(n for n in NAMES if PROFILES[n].single_dose)


def _sources(profile: str) -> list[Path]:
    return [write_dataset(Path(profile) / f"{name}.npz", profile=profile, nphotons=dose,
                          seed=1) for name, dose in (("lo", NPHOTONS), ("hi", NPHOTONS * 100))]


def _mixed_doses(path: Path, profile: str, a: dict, m: dict) -> tuple[str, ...]:
    """Two doses merged per source (as canonical keeps them), judged by a one-dose reader."""
    import warnings

    from pytest_npzcontract.tools.merge import merge_files

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")      # raw's diff3d is a legacy key under canonical
        merge_files(_sources(profile), path.with_name("m.npz"), profile="canonical",
                    mode="warn")
    path.with_name("m.npz").replace(path)
    return ()


def _merge_with_one_dose(path: Path, profile: str, fix: str, a: dict, m: dict
                         ) -> tuple[str, ...]:
    assert "merge --nphotons VALUE" in fix
    result = invoke("merge", *_sources(profile), "-o", path, "--force", "--profile", profile,
                    "--nphotons", repr(NPHOTONS))
    assert result.exit_code == 0, result.output
    return ()


def _set(key_of: Callable[[str], str], value: Callable[[np.ndarray], np.ndarray]) -> Callable:
    def change(arrays: dict, metadata: dict, profile: str) -> None:
        key = key_of(profile)
        arrays[key] = value(arrays[key])
    return change


def _poke(value: float) -> Callable[[np.ndarray], np.ndarray]:
    def change(array: np.ndarray) -> np.ndarray:
        array = array.copy()
        array[0, 0, 0] = value
        return array
    return change


def _clip(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    assert "np.clip(a, 0, None)" in fix

    def change(arrays: dict, metadata: dict) -> None:
        arrays[_frames(profile)] = np.clip(arrays[_frames(profile)], 0, None)
    _edit(path, change)
    return ()


def _cast_coords(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    match = re.search(r"arr\.astype\('(\w+)'\)", fix)
    assert match, fix
    _edit(path, lambda arrays, metadata: arrays.update(
        xcoords=arrays["xcoords"].astype(match.group(1))))
    return ()


def _reshape_coords(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    assert "reshape to the documented layout" in fix
    _edit(path, lambda arrays, metadata: arrays.update(xcoords=arrays["xcoords"].reshape(-1)))
    return ()


def _slice_coords(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    assert "slice every per-image array with the same index" in fix
    n = a["xcoords"].shape[0]
    _edit(path, lambda arrays, metadata: arrays.update(xcoords=arrays["xcoords"][:n]))
    return ()


def _same_probe(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    assert "the same N x N" in fix
    _edit(path, lambda arrays, metadata: arrays.update(probeGuess=a["probeGuess"]))
    return ()


def _drop_nan(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
    assert "do not save it" in fix
    return _restore(path, profile, fix, a, m)


def _drop(key: str) -> Callable:
    def make(path: Path, profile: str, a: dict, m: dict) -> tuple[str, ...]:
        save_npz(path, {k: v for k, v in a.items() if k != key}, m)
        return ()
    return make


def _write_key(key: str) -> Callable:
    def follow(path: Path, profile: str, fix: str, a: dict, m: dict) -> tuple[str, ...]:
        assert f"write '{key}' with layout" in fix, fix
        _edit(path, lambda arrays, metadata: arrays.update({key: a[key]}))
        return ()
    return follow


def _missing_keys() -> list[Case]:
    """One case per required key, under every profile that requires it."""
    keys = sorted({k for name in NAMES for k in PROFILES[name].required})
    return [Case("missing-key", tuple(n for n in NAMES if key in PROFILES[n].required),
                 _drop(key), _write_key(key)) for key in keys]


CASES = [*_missing_keys(),
    Case("pickled-metadata", NAMES, _pickle_metadata, _command(), command=True),
    Case("legacy-key", ("canonical",), _defect(
        lambda a, m, p: a.update(diff3d=a.pop("diffraction"))), _command(), command=True),
    Case("legacy-key", NAMES, _defect(lambda a, m, p: a.update(Y=a["Y"][..., None])),
         _command(), command=True),
    Case("legacy-key", NAMES, _defect(lambda a, m, p: a.update(
        nphotons=np.array(m["physics_parameters"]["nphotons"]))), _command(), command=True),
    Case("dtype-precision", NAMES, _defect(lambda a, m, p: a.update(
        probeGuess=a["probeGuess"].astype(np.complex128))), _command(), command=True),
    Case("transposed-layout", NAMES, _defect(_transpose), _command(), command=True),
    Case("bad-dtype", AMPLITUDE, _defect(_counts_defect(integer=True)), _command(),
         command=True),
    Case("bad-dtype", NAMES, _defect(lambda a, m, p: a.update(
        xcoords=a["xcoords"].astype(np.int32))), _cast_coords),
    Case("parameter-missing", NAMES, _defect(_no_nphotons), _command(_nphotons), command=True),
    Case("intensity-not-amplitude", AMPLITUDE, _defect(_counts_defect(integer=False)),
         _sqrt_counts),
    # raw diff3d is sqrt(counts), unnormalized by the reference's spec: no advisory there
    Case("not-normalized", ("canonical", "train"), _defect(_scale(40.0)), _normalize),
    Case("mixed-dose", SINGLE_DOSE, _mixed_doses, _merge_with_one_dose),
    Case("negative-amplitude", NAMES, _defect(_set(_frames, _poke(-1.0))), _clip),
    Case("non-finite", NAMES, _defect(_set(_frames, _poke(np.nan))), _drop_nan),
    Case("bad-ndim", NAMES, _defect(lambda a, m, p: a.update(xcoords=a["xcoords"][:, None])),
         _reshape_coords),
    Case("n-images-mismatch", NAMES, _defect(lambda a, m, p: a.update(
        xcoords=np.append(a["xcoords"], a["xcoords"][0]))), _slice_coords),
    Case("shape-mismatch", NAMES, _defect(lambda a, m, p: a.update(
        probeGuess=np.ascontiguousarray(a["probeGuess"][:32, :32]))), _same_probe),
    Case("metadata-missing", NAMES, _drop_metadata, _with_metadata),
    Case("metadata-invalid", NAMES, lambda path, p, a, m: write_raw(path, a, np.array(
        "{not json")) or (), _recreate),
    Case("metadata-schema", NAMES, _defect(_schema_defect, raw=True), _schema_follow),
    Case("parameter-mismatch", NAMES, _expect_other, _expect_dataset),
    Case("parameter-mismatch", NAMES, _defect(_wrong_n), _fix_n),
    Case("nphotons-inconsistent", NAMES, _defect(_dose_defect), _restore),
    Case("scale-contract", NAMES, _defect(_partial_pair), _record_pair),
    Case("unsupported-size", NAMES, _small_frames, _sizes_profile),
    Case("unreadable", NAMES, _truncate, _recreate),
    Case("unsafe-object-array", NAMES, _object_coords, _restore),
    Case("resource-limit", NAMES, _low_limit, _raise_limit),
]


def _ids() -> list:
    seen: dict[str, int] = {}
    params = []
    for case in CASES:
        seen[case.rule] = seen.get(case.rule, 0) + 1
        for profile in case.profiles:
            params.append(pytest.param(case, profile,
                                       id=f"{case.rule}-{seen[case.rule]}-{profile}"))
    return params


@pytest.mark.parametrize(("case", "profile"), _ids())
def test_following_the_printed_fix_leaves_the_file_clean(tmp_path, monkeypatch, case, profile):
    monkeypatch.chdir(tmp_path)
    Path("pyproject.toml").write_text(CONFIG)
    path = write_dataset(Path(profile) / "x.npz", profile=profile, nphotons=NPHOTONS, seed=1)
    arrays, metadata = load_npz(path)
    assert lint(path).exit_code == 0
    extra = case.defect(path, profile, arrays, metadata)
    before = lint(path, *extra)
    assert f" {case.rule}: " in before.output, before.output
    fix = fix_lines(before.output).get(case.rule)
    assert fix, f"no fix line for {case.rule}:\n{before.output}"
    if case.command:
        assert "`npzcontract " in fix, fix
    after_args = case.follow(path, profile, fix, arrays, metadata)
    if after_args == ("SMALL",):
        path, after_args = path.with_name("small.npz"), ()
    after = lint(path, *after_args)
    assert after.exit_code == 0 and "0 errors, 0 warnings" in after.output, (
        fix, after.output)
    assert f"checked against profile {profile}" in after.output or profile not in NAMES \
        or path.name == "small.npz", after.output


def test_every_rule_with_a_fix_has_a_case():
    from pytest_npzcontract.contract.rules import RULES

    assert {rule for rule, r in RULES.items() if r.fix} == {case.rule for case in CASES}
    assert set(NAMES) == set(PROFILES)
