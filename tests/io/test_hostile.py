"""Corrupt and hostile files give one-line findings: no exception, no traceback, no code run,
bounded memory. Files are built byte by byte in ``hostile.py``; bounded-memory runs happen in
a fresh interpreter under an address-space limit (``hostile.run_bounded``)."""

from __future__ import annotations

import contextlib
import copyreg
import json
import random
import struct
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hostile import (
    CASES,
    METADATA,
    PAYLOADS,
    base_members,
    build_corpus,
    memo_index_pickle,
    npy_bytes,
    npy_header,
    object_npy,
    run_bounded,
    shared_reference_pickle,
    structure_offsets,
    valid_npz,
    with_member,
    write_split_bomb,
    write_zip_bomb,
    zip_bytes,
)

from pytest_npzcontract import ContractViolation, check_file, load_npz, save_npz


def assert_one_line(findings) -> None:
    for f in findings:
        assert f.message and "\n" not in f.message, f
        assert "Traceback" not in f.message


def assert_silent(capfd, recwarn) -> None:
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert [str(w.message) for w in recwarn] == []


@contextlib.contextmanager
def extension(code: int | None):
    """Register ``posix.system`` under a copyreg extension code, as a victim process might."""
    if code is None:
        yield
        return
    copyreg.add_extension("posix", "system", code)
    try:
        yield
    finally:
        copyreg.remove_extension("posix", "system", code)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    return build_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def valid(tmp_path_factory) -> Path:
    return valid_npz(tmp_path_factory.mktemp("valid") / "valid.npz")



def test_base_file_is_clean(valid):
    """Every case is the clean base plus one defect, so exact rule sets are meaningful."""
    report = check_file(valid)
    assert report.findings == []
    arrays, metadata = load_npz(valid)
    assert set(arrays) == {"diffraction", "objectGuess", "probeGuess", "xcoords", "ycoords",
                           "scan_index"}
    assert metadata["physics_parameters"]["N"] == 64


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_file_gives_named_one_line_findings(name, corpus, capfd, recwarn):
    case, path = CASES[name], corpus[name]
    report = check_file(path)
    assert report.rules("error") == case.rules, [f.line() for f in report.findings]
    assert_one_line(report.findings)
    assert all("\n" not in f.line(with_hint=True) for f in report.findings)
    messages = " | ".join(f.message.lower() for f in report.findings)
    for word in case.words:
        assert word.lower() in messages
    assert check_file(path, values=False).rules("error") <= case.rules
    if case.load_fails:
        with pytest.raises(ContractViolation) as exc:
            load_npz(path)
        assert exc.value.rules == case.rules
        assert isinstance(exc.value, ValueError) and "\n" not in str(exc.value)
    else:
        load_npz(path)
    assert not (path.parent / "PWNED").exists()
    assert_silent(capfd, recwarn)


@pytest.mark.parametrize(("method", "trials"),
                         [(zipfile.ZIP_STORED, 250), (zipfile.ZIP_DEFLATED, 250),
                          (zipfile.ZIP_BZIP2, 50), (zipfile.ZIP_LZMA, 50)],
                         ids=["stored", "deflated", "bzip2", "lzma"])
def test_random_bit_flips_give_findings_or_a_clean_result(method, trials, tmp_path, capfd,
                                                          recwarn):
    """Seeded: half the flips hit headers and the directory, half land anywhere."""
    raw = zip_bytes(base_members(), method=method)
    targets = structure_offsets(raw)
    rng = random.Random(20260 + method)
    path = tmp_path / "flipped.npz"
    with_findings = 0
    for trial in range(trials):
        data = bytearray(raw)
        for _ in range(rng.randint(1, 3)):
            pos = rng.choice(targets) if trial % 2 else rng.randrange(len(data))
            data[pos] ^= 1 << rng.randrange(8)
        path.write_bytes(data)
        report = check_file(path)
        assert_one_line(report.findings)
        with_findings += not report.ok
        try:
            load_npz(path)
        except ContractViolation as exc:
            assert exc.findings and not report.ok
    assert with_findings > trials // 2
    assert_silent(capfd, recwarn)


# --------------------------------------------------------------------------- malicious pickles


def _evil_file(directory: Path, name: str) -> tuple[Path, Path]:
    marker = directory / f"PWNED-{name}"
    path = directory / f"{name}.npz"
    path.write_bytes(with_member("_metadata.npy", object_npy(PAYLOADS[name].build(marker))))
    return path, marker


@pytest.mark.parametrize("name", PAYLOADS)
def test_malicious_metadata_pickle_is_refused_and_never_run(name, tmp_path, capfd, recwarn):
    path, marker = _evil_file(tmp_path, name)
    with extension(PAYLOADS[name].ext_code):
        report = check_file(path)
        with pytest.raises(ContractViolation) as exc:
            load_npz(path)
    if name == "subprocess-popen":
        time.sleep(0.3)  # a started child would need a moment to create the marker
    assert not marker.exists()
    assert report.rules("error") == {"unsafe-object-array"} == exc.value.rules
    (finding,) = report.errors
    assert finding.key == "_metadata" and "refused" in finding.message
    assert_one_line(report.findings)
    assert "\n" not in str(exc.value)
    assert_silent(capfd, recwarn)


def test_payloads_are_live_under_allow_pickle(tmp_path):
    """Control: NumPy with ``allow_pickle=True`` runs every payload marked live."""
    live = [n for n, p in PAYLOADS.items() if p.live]
    files = {n: _evil_file(tmp_path, n) for n in live}
    control = ("import copyreg, json, sys, numpy as np\n"
               "for path, code in json.load(sys.stdin):\n"
               "    if code: copyreg.add_extension('posix', 'system', code)\n"
               "    try: np.load(path, allow_pickle=True)['_metadata']\n"
               "    except Exception: pass\n")
    jobs = [(str(files[n][0]), PAYLOADS[n].ext_code) for n in live]
    subprocess.run([sys.executable, "-c", control], input=json.dumps(jobs), text=True,
                   check=True, capture_output=True, timeout=60)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not all(m.exists() for _, m in files.values()):
        time.sleep(0.05)
    assert [n for n in live if not files[n][1].exists()] == []


# --------------------------------------------------------------------------- bounded memory


def test_corpus_runs_under_an_address_space_limit(corpus, valid, tmp_path):
    """Every hostile file and payload, in one process capped at its size + 512 MiB."""
    payload_files = {n: _evil_file(tmp_path, n)[0] for n in PAYLOADS}
    jobs = [{"path": str(corpus[n]), "load": True} for n in CASES]
    jobs += [{"path": str(p), "load": True, "ext_code": PAYLOADS[n].ext_code}
             for n, p in payload_files.items()]
    run = run_bounded(jobs, valid)
    expected = {str(corpus[n]): c for n, c in CASES.items()}
    for result in run["results"]:
        assert "raised" not in result, result
        case = expected.get(result["path"])
        rules = case.rules if case else {"unsafe-object-array"}
        assert rules <= set(result["rules"]), result
        assert result["load"] == ("ok" if case and not case.load_fails else sorted(rules))
    assert run["rss_growth_mib"] < 64 and run["stderr"] == ""
    assert not list(tmp_path.glob("PWNED*"))


def test_shared_reference_pickle_is_bounded(tmp_path, valid):
    path = tmp_path / "laughs.npz"
    path.write_bytes(with_member("_metadata.npy", shared_reference_pickle(40)))
    assert path.stat().st_size < 200_000
    run = run_bounded([{"path": str(path), "values": False}], valid, headroom_mib=160,
                      timeout=120)
    (result,) = run["results"]
    assert "raised" not in result
    assert set(result["rules"]) & {"unsafe-object-array", "resource-limit"}
    assert run["rss_growth_mib"] < 64 and run["seconds"] < 5 and run["stderr"] == ""


def test_memo_index_pickle_is_bounded(tmp_path, valid):
    path = tmp_path / "memo.npz"
    path.write_bytes(with_member("_metadata.npy", object_npy(memo_index_pickle(1 << 24))))
    run = run_bounded([{"path": str(path), "values": False}], valid, headroom_mib=None)
    (result,) = run["results"]
    assert "raised" not in result
    assert set(result["rules"]) & {"unsafe-object-array", "metadata-invalid"}
    assert run["rss_growth_mib"] < 64


# --------------------------------------------------------------------------- more hostile inputs


def test_zero_itemsize_metadata_is_a_finding(tmp_path):
    path = tmp_path / "u0.npz"
    path.write_bytes(with_member("_metadata.npy", npy_header("<U0", ())))
    report = check_file(path)
    assert report.rules("error") & {"metadata-invalid", "unreadable"}
    with pytest.raises(ContractViolation):
        load_npz(path)


def test_zero_itemsize_member_fails_load_with_contract_violation(tmp_path):
    path = tmp_path / "v0.npz"
    path.write_bytes(with_member("extra.npy", npy_header("|V0", (3,))))
    check_file(path)
    with pytest.raises(ContractViolation):
        load_npz(path)


def test_zero_size_shape_with_overflowing_dims_is_refused(tmp_path):
    path = tmp_path / "dims.npz"
    path.write_bytes(with_member("extra.npy", npy_header("<f8", (0, 2**62, 2**62))))
    assert check_file(path).rules("error") & {"unreadable", "resource-limit"}
    with pytest.raises(ContractViolation):
        load_npz(path)


def test_json_integer_beyond_the_digit_limit_is_a_finding(tmp_path):
    path = tmp_path / "digits.npz"
    path.write_bytes(with_member("_metadata.npy",
                                 npy_bytes(np.array('{"a": ' + "1" * 5000 + "}"))))
    assert check_file(path).rules("error") == {"metadata-invalid"}
    with pytest.raises(ContractViolation):
        load_npz(path)


def test_corrupt_legacy_nphotons_is_a_finding(tmp_path):
    header = npy_header(text=repr({"descr": "<f8", "fortran_order": False, "shape": ()})
                        + " " * 20_000)
    raw = zip_bytes([*base_members(without=["_metadata"]),
                     ("nphotons.npy", header + struct.pack("<d", 1e6))],
                    method=zipfile.ZIP_STORED)
    flipped = bytearray(raw)
    flipped[raw.rindex(struct.pack("<d", 1e6))] ^= 1  # data only: the header still parses
    path = tmp_path / "nphotons.npz"
    path.write_bytes(flipped)
    assert "unreadable" in check_file(path).rules("error")


def test_member_name_with_newline_stays_on_one_line(tmp_path):
    path = tmp_path / "newline.npz"
    path.write_bytes(with_member("evil\nname.npy", b"garbage"))
    report = check_file(path)
    assert report.rules("error") == {"unreadable"}
    assert all("\n" not in f.line() for f in report.findings)


def _json_metadata(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "meta.npz"
    path.write_bytes(with_member("_metadata.npy", npy_bytes(np.array(text))))
    return path


def test_out_of_range_json_number_is_a_finding(tmp_path):
    text = json.dumps(METADATA).replace('"nphotons": 1000000.0', '"nphotons": 1e999')
    assert check_file(_json_metadata(tmp_path, text)).rules("error") == {"metadata-invalid"}


def test_lone_surrogate_in_json_is_a_finding(tmp_path):
    text = json.dumps(METADATA).replace('"hostname": "test"', '"hostname": "\\ud800"')
    assert check_file(_json_metadata(tmp_path, text)).rules("error") == {"metadata-invalid"}


def test_save_refuses_unencodable_metadata_with_contract_violation(tmp_path):
    with pytest.raises(ContractViolation):
        save_npz(tmp_path / "out.npz", {"xcoords": np.zeros(2)},
                 {**METADATA, "creation_info": {**METADATA["creation_info"],
                                                "hostname": "\ud800"}})


def test_schema_error_flood_is_bounded(tmp_path, valid):
    text = json.dumps({**METADATA, "data_transformations": [{}] * 50_000})
    assert len(text) < 250_000
    path = _json_metadata(tmp_path, text)
    run = run_bounded([{"path": str(path), "values": False}], valid)
    (result,) = run["results"]
    assert "raised" not in result and "metadata-schema" in result["rules"]
    assert len(result["messages"]) <= 100
    assert run["rss_growth_mib"] < 64 and run["seconds"] < 2


def test_wide_metadata_within_the_limit_stays_bounded(tmp_path, valid):
    text = json.dumps({**METADATA, "additional_parameters": {"x": [0] * 5_500_000}})
    assert len(text) < 16 * 1024 * 1024  # stored as UTF-8 bytes (json-bytes), under the limit
    path = tmp_path / "wide.npz"
    path.write_bytes(with_member("_metadata.npy", npy_bytes(np.array(text.encode()))))
    run = run_bounded([{"path": str(path), "values": False}], valid, headroom_mib=None)
    (result,) = run["results"]
    assert "raised" not in result and result["ok"]
    assert run["rss_growth_mib"] < 200


# --------------------------------------------------------------------------- zip bombs (slow)


@pytest.fixture(scope="session")
def zip_bomb(tmp_path_factory) -> Path:
    path = write_zip_bomb(tmp_path_factory.mktemp("bomb") / "bomb.npz")
    assert path.stat().st_size < 10 * 1024 * 1024
    return path


@pytest.mark.slow
def test_zip_bomb_is_refused_by_the_ratio_rule(zip_bomb, capfd, recwarn):
    report = check_file(zip_bomb)
    assert report.rules("error") == {"resource-limit"}
    (finding,) = report.errors
    assert finding.key == "diffraction" and "zip bomb" in finding.message
    assert "4.0 GiB" in finding.message
    with pytest.raises(ContractViolation) as exc:
        load_npz(zip_bomb)
    assert exc.value.rules == {"resource-limit"}
    assert_silent(capfd, recwarn)


@pytest.mark.slow
def test_zip_bomb_streams_in_bounded_memory_when_allowed(zip_bomb, valid):
    """With the ratio limit raised, the 4 GiB value scan runs under a 512 MiB cap without
    growing; loading it fails cleanly with resource-limit instead of crashing."""
    allow = {"max_compression_ratio": 1e9}
    run = run_bounded([{"path": str(zip_bomb), "limits": allow},
                       {"path": str(zip_bomb), "limits": allow, "values": False, "load": True}],
                      valid)
    scan, load = run["results"]
    assert "raised" not in scan and scan["ok"] and scan["rules"] == []
    assert scan["rss_growth_mib"] < 64
    assert "raised" not in load and load["load"] == ["resource-limit"]
    assert run["stderr"] == ""


@pytest.fixture(scope="session")
def split_bomb(tmp_path_factory) -> Path:
    path = write_split_bomb(tmp_path_factory.mktemp("split") / "split.npz")
    assert path.stat().st_size < 10 * 1024 * 1024
    return path


@pytest.mark.slow
def test_split_zip_bomb_load_fails_cleanly_under_a_memory_cap(split_bomb, valid):
    run = run_bounded([{"path": str(split_bomb), "values": False, "load": True}], valid)
    (result,) = run["results"]
    assert "raised" not in result and result["load"] == ["resource-limit"]
    assert run["stderr"] == ""


@pytest.mark.slow
def test_split_zip_bomb_is_refused(split_bomb):
    report = check_file(split_bomb, values=False)
    assert "resource-limit" in report.rules("error")
