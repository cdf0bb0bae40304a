"""One regression test per class of hostile input that used to escape as an exception, a
memory blow-up or an inconsistent verdict (issue 12, classes 1-10 and three metadata edge
cases). Every input is built here, byte by byte; memory-sensitive ones run in a fresh,
address-space-capped interpreter (``hostile.run_bounded``)."""

from __future__ import annotations

import bz2
import io
import json
import lzma
import pickle
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hostile import (
    METADATA,
    MiB,
    base_members,
    npy_bytes,
    npy_header,
    object_npy,
    raw_zip,
    run_bounded,
    valid_npz,
    verdicts,
    with_member,
    write_case,
    zip_bytes,
)

from pytest_npzcontract import ContractViolation, check_file, load_npz, save_npz

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c",
       "import sys; from pytest_npzcontract.cli import main; sys.exit(main(sys.argv[1:]))"]


@pytest.fixture(scope="module")
def valid(tmp_path_factory) -> Path:
    return valid_npz(tmp_path_factory.mktemp("valid") / "valid.npz")


_write = write_case
_verdicts = verdicts


def _entries(members: list[tuple[str, bytes]]) -> list[tuple[str, bytes, int, int, int]]:
    """``raw_zip`` entries storing each member deflated, with a correct CRC and size."""
    out = []
    for name, data in members:
        packer = zlib.compressobj(6, zlib.DEFLATED, -15)
        out.append((name, packer.compress(data) + packer.flush(), zipfile.ZIP_DEFLATED,
                    zlib.crc32(data), len(data)))
    return out


def _pickled_metadata(value: object, protocol: int = 3) -> bytes:
    """``_metadata.npy`` as ``np.save`` writes an object array, with a chosen protocol."""
    array = np.empty((), dtype=object)
    array[()] = value
    return object_npy(pickle.dumps(array, protocol=protocol))


def _json_member(text: str) -> bytes:
    return npy_bytes(np.array(text))


# ----------------------------------------------------------------- 1. empty member name


def test_1_member_with_an_empty_name_is_a_finding_everywhere(tmp_path, valid):
    members = [*base_members(), ("", npy_bytes(np.zeros(2)))]
    path = _write(tmp_path, raw_zip(_entries(members)))
    rules, loaded = _verdicts(path)
    assert rules == {"unreadable"} and loaded == {"unreadable"}
    assert "empty name" in " ".join(f.message for f in check_file(path).findings)
    for command in (["lint", str(path)], ["show", str(path)]):
        proc = subprocess.run([*CLI, *command],
                              capture_output=True, text=True, cwd=ROOT, check=False)
        assert "Traceback" not in proc.stderr + proc.stdout
        assert proc.returncode == 1


# ----------------------------------------------------------------- 2. bz2 / lzma bombs


def _bomb_entry(method: int, real: int) -> list[tuple[str, bytes, int, int, int]]:
    """diffraction declares 4 floats (the directory agrees) but its stream inflates to
    ``real`` bytes of zeros."""
    header = npy_header("<f4", (1, 2, 2))
    declared = header + bytes(16)
    if method == zipfile.ZIP_BZIP2:
        packer = bz2.BZ2Compressor(1)
    else:
        packer = lzma.LZMACompressor(lzma.FORMAT_RAW,
                                     filters=[{"id": lzma.FILTER_LZMA1, "preset": 0}])
    chunk = bytes(4 * MiB)
    stream = packer.compress(header) + b"".join(packer.compress(chunk)
                                                for _ in range(real // len(chunk)))
    stream += packer.flush()
    if method == zipfile.ZIP_LZMA:
        props = lzma._encode_filter_properties({"id": lzma.FILTER_LZMA1, "preset": 0})
        stream = b"\x09\x14" + struct.pack("<H", len(props)) + props + stream
    members = [m for m in base_members() if m[0] != "diffraction.npy"]
    return [*_entries(members),
            ("diffraction.npy", stream, method, zlib.crc32(declared), len(declared))]


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=["bz2", "lzma"])
def test_2_bz2_and_lzma_members_are_inflated_with_an_output_bound(tmp_path, valid, method):
    path = _write(tmp_path, raw_zip(_bomb_entry(method, 48 * MiB)))
    run = run_bounded([{"path": str(path), "load": True}], valid, headroom_mib=256)
    (result,) = run["results"]
    assert "raised" not in result, result
    # Inflating past the declared size is corruption, whatever the cause (issue 19, class 7).
    assert result["rules"] == ["unreadable"] and result["load"] == ["unreadable"]
    assert any("inflates to more than" in m for m in result["messages"])
    # zipfile inflated whole blocks at once: 48 MiB here; bounded steps stay far below.
    assert run["rss_growth_mib"] < 24, run


# ----------------------------------------------------------------- 3. huge LZMA dictionary


def test_3_lzma_properties_claiming_a_huge_dictionary_are_refused_before_allocating(
        tmp_path, valid):
    props = bytes([0x5D]) + struct.pack("<I", 0xFFFF_FFF0)
    data = npy_bytes(np.zeros(2))
    stream = b"\x09\x14\x05\x00" + props + bytes(32)
    members = [m for m in base_members() if m[0] != "xcoords.npy"]
    path = _write(tmp_path, raw_zip([*_entries(members), ("xcoords.npy", stream,
                                      zipfile.ZIP_LZMA, zlib.crc32(data), len(data))]))
    run = run_bounded([{"path": str(path), "load": True}], valid, headroom_mib=256)
    (result,) = run["results"]
    assert "raised" not in result, result
    assert result["rules"] == ["resource-limit"] and result["load"] == ["resource-limit"]
    assert any("dictionary" in m for m in result["messages"])


# ----------------------------------------------------------------- 4. every member CRC-checked


@pytest.mark.parametrize("member", [
    ("notes.npy", npy_bytes(np.arange(64, dtype=np.int32))),        # not a contract key
    ("labels.npy", npy_bytes(np.array(["a", "bb", "ccc"] * 20))),   # not numeric
    ("xcoords.npy", npy_bytes(np.array(["a", "b", "c", "d"]))),     # contract key, wrong dtype
])
def test_4_a_crc_corrupt_member_fails_check_file_exactly_as_it_fails_load(tmp_path, member):
    name, data = member
    members = [*(m for m in base_members() if m[0] != name), member]
    entries = _entries(members)
    entries = [(n, s, m, crc ^ 0xFF if n == name else crc, size)
               for n, s, m, crc, size in entries]
    path = _write(tmp_path, raw_zip(entries))
    report = check_file(path)
    assert "unreadable" in report.rules("error")
    assert any(f.key == name[:-4] and "CRC" in f.message for f in report.findings)
    with pytest.raises(ContractViolation) as caught:
        load_npz(path)
    assert "unreadable" in caught.value.rules


# ----------------------------------------------------------------- 5. huge integers


def _huge_int_files(tmp_path: Path) -> dict[str, Path]:
    physics = {**METADATA["physics_parameters"], "nphotons": 10 ** 5000}
    json_text = json.dumps(METADATA).replace('"nphotons": 1000000.0', '"nphotons": 1' + "0" * 309)
    return {
        "pickled-value": _write(tmp_path, with_member("_metadata.npy", _pickled_metadata(
            {**METADATA, "physics_parameters": physics}, protocol=2)), "value.npz"),
        "pickled-key": _write(tmp_path, with_member("_metadata.npy", _pickled_metadata(
            {**METADATA, "additional_parameters": {10 ** 5000: 1}}, protocol=2)), "key.npz"),
        "json-1e309": _write(tmp_path, with_member("_metadata.npy", _json_member(json_text)),
                             "json.npz"),
        "json-5000-digits": _write(tmp_path, with_member("_metadata.npy", _json_member(
            json_text.replace("1" + "0" * 309, "7" * 5000))), "digits.npz"),
    }


def test_5_integers_beyond_the_digit_limit_or_float_range_are_findings(tmp_path):
    for name, path in _huge_int_files(tmp_path).items():
        rules, loaded = _verdicts(path)
        assert "metadata-invalid" in rules, name
        assert isinstance(loaded, set) and "metadata-invalid" in loaded, name
        for command in (["lint", "--expect", "nphotons=1e6", str(path)],
                        ["migrate", "--dry-run", str(path)]):
            proc = subprocess.run([*CLI, *command], capture_output=True, text=True, cwd=ROOT,
                                  check=False)
            assert "Traceback" not in proc.stderr + proc.stdout, (name, proc.stderr)
            assert proc.returncode == 1, (name, command, proc.stdout, proc.stderr)


def test_5_get_nphotons_survives_an_integer_beyond_float_range():
    from pytest_npzcontract.metadata.model import get_nphotons

    assert get_nphotons({"physics_parameters": {"nphotons": 10 ** 400}}) == float("inf")


# ----------------------------------------------------------------- 6. pickle FRAME


def _framed_metadata(frame_length: int) -> bytes:
    """A protocol-4 pickled metadata array whose first FRAME claims ``frame_length`` bytes."""
    raw = _pickled_metadata(METADATA, protocol=4)
    start = raw.index(b"\x80\x04\x95")
    return raw[:start + 3] + struct.pack("<Q", frame_length) + raw[start + 11:]


def test_6_a_frame_cannot_make_the_unpickler_allocate_what_the_prescan_never_saw(
        tmp_path, valid):
    jobs = []
    for length in (2 ** 31, 2 ** 34):
        path = _write(tmp_path, with_member("_metadata.npy", _framed_metadata(length)),
                      f"frame{length}.npz")
        jobs.append({"path": str(path), "load": True})
    run = run_bounded(jobs, valid, headroom_mib=256)
    for result in run["results"]:
        assert "raised" not in result, result
        # The frame header is dropped: the payload decodes like any protocol-4 pickle.
        assert result["rules"] == ["pickled-metadata"], result
        assert not any("MemoryError" in m for m in result["messages"])
    assert run["rss_growth_mib"] < 32, run


# ----------------------------------------------------------------- 7. code points > U+10FFFF


def test_7_unicode_metadata_beyond_u10ffff_is_a_finding(tmp_path):
    units = [ord(c) for c in '{"a": "'] + [0x110000] + [ord(c) for c in '"}']
    member = npy_header(f"<U{len(units)}", ()) + struct.pack(f"<{len(units)}I", *units)
    path = _write(tmp_path, with_member("_metadata.npy", member))
    rules, loaded = _verdicts(path)
    assert rules == {"metadata-invalid"} and loaded == {"metadata-invalid"}


# ----------------------------------------------------------------- 8. unparsable dtype


def test_8_a_pickled_dtype_numpy_cannot_parse_is_a_finding(tmp_path):
    raw = _pickled_metadata({**METADATA, "additional_parameters": {"w": np.zeros(2)}},
                            protocol=2)
    hostile = raw.replace(b"X\x02\x00\x00\x00f8", b"X\x07\x00\x00\x00(01,)f8")
    assert hostile != raw
    path = _write(tmp_path, with_member("_metadata.npy", hostile))
    rules, loaded = _verdicts(path)
    assert rules == {"unsafe-object-array"} and loaded == {"unsafe-object-array"}
    assert "cannot be parsed" in " ".join(f.message for f in check_file(path).findings)


# ----------------------------------------------------------------- 9. recursion in save_npz


def test_9_self_referencing_or_very_deep_metadata_is_a_contract_violation(tmp_path):
    looped = json.loads(json.dumps(METADATA))
    looped["additional_parameters"]["self"] = looped
    deep: dict = {}
    for _ in range(100_000):
        deep = {"x": deep}
    for metadata in (looped, {**METADATA, "additional_parameters": deep}):
        with pytest.raises(ContractViolation) as caught:
            save_npz(tmp_path / "out.npz", {"xcoords": np.zeros(2)}, metadata)
        assert caught.value.rules == {"resource-limit"}
    assert not (tmp_path / "out.npz").exists()


# ----------------------------------------------------------------- 10. one policy


@pytest.mark.parametrize("protocol", range(6))
def test_10_sets_in_pickled_metadata_load_alike_under_every_protocol(tmp_path, protocol):
    metadata = {**METADATA, "additional_parameters": {"tags": {"b", "a", "c"}}}
    path = _write(tmp_path, with_member("_metadata.npy", _pickled_metadata(metadata, protocol)))
    assert check_file(path).rules("error") == {"pickled-metadata"}
    _, loaded = load_npz(path)
    assert loaded["additional_parameters"]["tags"] == ["a", "b", "c"]


@pytest.mark.parametrize("encoding", ["json", "pickled"])
@pytest.mark.parametrize("number", ["NaN", "Infinity", "1e999"])
def test_10_non_finite_numbers_are_refused_by_check_file_and_load_alike(tmp_path, encoding,
                                                                        number):
    text = json.dumps(METADATA).replace('"nphotons": 1000000.0', f'"nphotons": {number}')
    member = (_json_member(text) if encoding == "json"
              else _pickled_metadata(json.loads(text), protocol=2))
    path = _write(tmp_path, with_member("_metadata.npy", member))
    rules, loaded = _verdicts(path)
    assert "metadata-invalid" in rules
    assert isinstance(loaded, set) and "metadata-invalid" in loaded


@pytest.mark.parametrize("name", ["../x.npy", "/abs.npy", "a/../../b.npy", "a\\b.npy",
                                  "./x.npy", "a//b.npy", "tab\tname.npy"])
def test_10_unsafe_member_names_are_refused_by_check_file_and_load_alike(tmp_path, name):
    raw = zip_bytes([*base_members(), (name, npy_bytes(np.zeros(2)))])
    assert name in zipfile.ZipFile(io.BytesIO(raw)).namelist()
    rules, loaded = _verdicts(_write(tmp_path, raw))
    assert rules == {"unreadable"} and loaded == {"unreadable"}
    with pytest.raises(ContractViolation):
        save_npz(tmp_path / "out.npz", {name[:-4]: np.zeros(2)})


# ----------------------------------------------------------------- metadata edge cases


def test_duplicate_json_keys_are_metadata_invalid(tmp_path):
    text = json.dumps(METADATA).replace('"nphotons": 1000000.0',
                                        '"nphotons": 1000000.0, "nphotons": 5.0')
    path = _write(tmp_path, with_member("_metadata.npy", _json_member(text)))
    rules, loaded = _verdicts(path)
    assert rules == {"metadata-invalid"} and loaded == {"metadata-invalid"}
    assert "duplicate key 'nphotons'" in " ".join(f.message for f in check_file(path).findings)


def test_pickled_metadata_with_invalid_json_text_reports_both_rules(tmp_path):
    path = _write(tmp_path, with_member("_metadata.npy", _pickled_metadata("{nphotons: 1e6")))
    assert check_file(path).rules("error") == {"metadata-invalid", "pickled-metadata"}


@pytest.mark.parametrize("text", ["[1, 2, 3]", "42", '"text"', "null"])
def test_json_that_is_not_an_object_is_a_schema_violation(tmp_path, text):
    path = _write(tmp_path, with_member("_metadata.npy", _json_member(text)))
    rules, loaded = _verdicts(path)
    assert rules == {"metadata-schema"} and loaded == {"metadata-schema"}
