"""Builders of corrupt and hostile ``.npz`` files, written byte by byte (never via ``save_npz``).

Every builder is deterministic. ``CASES`` is the hostile corpus: each case builds one file and
says which error rule ids ``check_file`` must report and which words a message must contain.
``PAYLOADS`` are malicious pickles; the live ones really create a marker file when NumPy loads
them with ``allow_pickle=True``. ``run_bounded`` checks files in a fresh interpreter under an
address-space limit and reports its peak memory growth.

>>> from hostile import CASES, build_corpus
>>> paths = build_corpus(tmp_path)          # {case name: path}
>>> CASES["duplicate-member"].rules
frozenset({'unreadable'})
"""

from __future__ import annotations

import copyreg
import io
import json
import resource
import shlex
import stat
import struct
import subprocess
import sys
import time
import warnings
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"\x93NUMPY"
DATE = (2020, 1, 1, 0, 0, 0)
MiB = 1 << 20
GiB = 1 << 30
#: A schema-valid metadata dict with fixed contents, so built files are byte-reproducible.
METADATA = {
    "schema_version": "1.0.0",
    "creation_info": {"timestamp": "2020-01-01T00:00:00Z", "script": "tests/hostile.py",
                      "hostname": "test", "version": "0.1.0"},
    "physics_parameters": {"nphotons": 1e6, "N": 64, "gridsize": 1},
    "training_parameters": {}, "additional_parameters": {}, "data_transformations": [],
    "compatibility": {"data_contract_version": "DATA-001/1.0"},
}

# --------------------------------------------------------------------------- .npy and zip bytes


def npy_header(descr: object = "<f8", shape: object = (), fortran: object = False, *,
               text: str | None = None, version: tuple[int, int] = (1, 0),
               magic: bytes = MAGIC, length: int | None = None) -> bytes:
    """A ``.npy`` preamble and header; ``text`` replaces the dict, ``length`` the length field."""
    if text is None:
        text = repr({"descr": descr, "fortran_order": fortran, "shape": shape})
    length_format = "<H" if version == (1, 0) else "<I"
    head = text.encode("latin1")
    prefix = len(magic) + 2 + struct.calcsize(length_format)
    head += b" " * (-(prefix + len(head) + 1) % 64) + b"\n"
    size = len(head) if length is None else length
    return magic + bytes(version) + struct.pack(length_format, size) + head


def npy_bytes(array: np.ndarray) -> bytes:
    """The bytes NumPy's own writer produces for a non-object array."""
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asanyarray(array), allow_pickle=False)
    return buf.getvalue()


def zip_bytes(members: Sequence[tuple[str | zipfile.ZipInfo, bytes]], *,
              method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive of ``(name or ZipInfo, data)`` pairs, duplicates allowed."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about deliberate duplicate names
        with zipfile.ZipFile(buf, "w") as zf:
            for name, data in members:
                info = name if isinstance(name, zipfile.ZipInfo) else zipfile.ZipInfo(name, DATE)
                info.compress_type = method
                zf.writestr(info, data)
    return buf.getvalue()


def _directory(raw: bytes) -> list[tuple[int, int, bytes]]:
    """``(central record offset, local header offset, name)`` of every entry (non-zip64)."""
    end = raw.rfind(b"PK\x05\x06")
    cd_size, cd_start = struct.unpack_from("<II", raw, end + 12)
    entries, pos = [], cd_start
    while pos < cd_start + cd_size:
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", raw, pos + 28)
        local = struct.unpack_from("<I", raw, pos + 42)[0]
        entries.append((pos, local, bytes(raw[pos + 46:pos + 46 + name_len])))
        pos += 46 + name_len + extra_len + comment_len
    return entries


def edit_entry(raw: bytes, name: str, **fields: int) -> bytes:
    """Overwrite ``flag_bits``, ``method`` or ``file_size`` of one member in both its local
    header and its central-directory record (non-zip64 archives)."""
    cd_offsets = {"flag_bits": (8, "<H"), "method": (10, "<H"), "file_size": (24, "<I")}
    buf = bytearray(raw)
    hits = [(pos, local) for pos, local, entry in _directory(raw) if entry == name.encode()]
    if not hits:
        raise KeyError(name)
    for pos, local in hits:
        for field, value in fields.items():
            offset, fmt = cd_offsets[field]
            struct.pack_into(fmt, buf, pos + offset, value)
            struct.pack_into(fmt, buf, local + offset - 2, value)
    return bytes(buf)


def structure_offsets(raw: bytes, member_head: int = 160) -> list[int]:
    """Byte offsets holding structure rather than array data: each local header with the
    first ``member_head`` bytes after it (the ``.npy`` header when stored), the central
    directory and the end record. Bit flips aimed here exercise the parsers."""
    offsets: set[int] = set()
    entries = _directory(raw)
    for _, local, name in entries:
        offsets.update(range(local, min(local + 30 + len(name) + member_head, len(raw))))
    offsets.update(range(min(pos for pos, _, _ in entries), len(raw)))
    return sorted(offsets)


# --------------------------------------------------------------------------- a valid base file


def small_arrays(n: int = 4, N: int = 64, seed: int = 0) -> dict[str, np.ndarray]:
    """Small arrays that satisfy DATA-001 (amplitudes in [0, 1), complex64 object and probe)."""
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi, (N + 32, N + 32))
    return {
        "diffraction": rng.random((n, N, N), dtype=np.float32),
        "objectGuess": np.exp(1j * phase).astype(np.complex64),
        "probeGuess": (rng.random((N, N)) + 1j * rng.random((N, N))).astype(np.complex64),
        "xcoords": rng.uniform(0, 32, n),
        "ycoords": rng.uniform(0, 32, n),
        "scan_index": np.arange(n, dtype=np.int64),
    }


def metadata_member() -> bytes:
    """``_metadata.npy`` in the canonical form: a 0-d unicode array of JSON text."""
    return npy_bytes(np.array(json.dumps(METADATA)))


def base_members(*, without: Sequence[str] = ()) -> list[tuple[str, bytes]]:
    """The members of a clean file, in NumPy's own ``.npy`` bytes."""
    members = [(f"{k}.npy", npy_bytes(v)) for k, v in small_arrays().items() if k not in without]
    if "_metadata" not in without:
        members.append(("_metadata.npy", metadata_member()))
    return members


def with_member(name: str, data: bytes) -> bytes:
    """The clean file with member ``name`` (``key.npy``) replaced or added."""
    return zip_bytes([*(m for m in base_members() if m[0] != name), (name, data)])


def valid_npz(path: Path) -> Path:
    path.write_bytes(zip_bytes(base_members()))
    return path


# --------------------------------------------------------------------------- malicious pickles


def _text(value: str) -> bytes:
    raw = value.encode("utf-8")
    return b"X" + struct.pack("<I", len(raw)) + raw


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _call(module: str, name: str, *args: bytes) -> bytes:
    """``module.name(*args)``: GLOBAL, MARK, the argument opcodes, TUPLE, REDUCE."""
    return _global(module, name) + b"(" + b"".join(args) + b"tR"


def _long(value: int) -> bytes:
    raw = value.to_bytes((value.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8a" + bytes([len(raw)]) + raw


def _shape(*dims: int) -> bytes:
    return b"(" + b"".join(_long(d) for d in dims) + b"t"


def _touch(marker: Path) -> str:
    return f"touch {shlex.quote(str(marker))}"


def _create(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').close()"


def _ndarray(state_shape: bytes, core: str = "numpy.core.multiarray") -> bytes:
    """NumPy's own ndarray pickle layout with a chosen shape in its state and no data."""
    dtype = _call("numpy", "dtype", _text("f8"), b"\x89\x88") + b"(K\x03" + _text("<") + \
        b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb"
    return (_call(core, "_reconstruct", _global("numpy", "ndarray"), b"K\x00\x85", b"C\x01b")
            + b"(K\x01" + state_shape + dtype + b"\x89C\x00tb")


def _inner_npy(marker: Path) -> Path:
    """A second file for the ``numpy.load`` payload: a .npy whose pickle runs a command."""
    inner = marker.with_name(f"inner-{marker.name}.npy")
    inner.write_bytes(object_npy(b"\x80\x02" + _call("posix", "system", _text(_touch(marker)))
                                 + b"."))
    return inner


@dataclass(frozen=True)
class Payload:
    """A pickle builder; ``live`` payloads create the marker under plain ``pickle.loads``
    (``ext_code``: the copyreg extension code the reader must have registered)."""

    build: Callable[[Path], bytes]
    live: bool = True
    ext_code: int | None = None


EXT_CODE = 0x7A11
PAYLOADS: dict[str, Payload] = {
    "os-system-protocol-0": Payload(lambda m: (
        b"cos\nsystem\n(S" + repr(_touch(m)).encode() + b"\ntR.")),
    "posix-system-protocol-2": Payload(lambda m: (
        b"\x80\x02" + _call("posix", "system", _text(_touch(m))) + b".")),
    "os-system-protocol-5-stack-global": Payload(lambda m: (
        b"\x80\x05\x8c\x02os\x8c\x06system\x93" + _text(_touch(m)) + b"\x85R.")),
    "os-system-inst-opcode": Payload(lambda m: (
        b"(" + _text(_touch(m)) + b"ios\nsystem\n.")),
    "subprocess-popen": Payload(lambda m: (
        b"\x80\x02" + _call("subprocess", "Popen",
                            b"]" + b"(" + _text("touch") + _text(str(m)) + b"e") + b".")),
    "builtins-exec": Payload(lambda m: b"\x80\x02" + _call("builtins", "exec",
                                                           _text(_create(m))) + b"."),
    "builtins-eval": Payload(lambda m: b"\x80\x02" + _call(
        "builtins", "eval", _text(f"__import__('os').system({_touch(m)!r})")) + b"."),
    "builtins-import-getattr": Payload(lambda m: b"\x80\x02" + _global("builtins", "getattr")
                                       + b"(" + _call("builtins", "__import__", _text("os"))
                                       + _text("system") + b"tR(" + _text(_touch(m)) + b"tR."),
    "numpy-load-allow-pickle": Payload(lambda m: b"\x80\x02" + _call(
        "numpy", "load", _text(str(_inner_npy(m))), b"N", b"\x88") + b"."),
    "numpy-testing-runstring": Payload(lambda m: b"\x80\x02" + _call(
        "numpy.testing._private.utils", "runstring", _text(_create(m)), b"}") + b"."),
    "ext-opcode-copyreg": Payload(lambda m: (
        b"\x80\x02\x83" + struct.pack("<H", EXT_CODE) + b"(" + _text(_touch(m)) + b"tR."),
        ext_code=EXT_CODE),
    "nested-in-object-array": Payload(lambda m: (
        b"\x80\x02" + _call("numpy.core.multiarray", "_reconstruct", _global("numpy", "ndarray"),
                            b"K\x00\x85", b"C\x01b")
        + b"(K\x01)" + _call("numpy", "dtype", _text("O8"), b"\x89\x88")
        + b"(K\x03" + _text("|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tb\x89]"
        + _call("posix", "system", _text(_touch(m))) + b"atb.")),
    "codecs-encode-weird-encoding": Payload(lambda m: b"\x80\x02" + _call(
        "_codecs", "encode", _text(_touch(m)), _text("rot13")) + b".", live=False),
    "persistent-id": Payload(lambda m: b"P" + _touch(m).encode() + b"\n.", live=False),
    "binpersid": Payload(lambda m: b"\x80\x02" + _text(_touch(m)) + b"Q.", live=False),
    "reconstruct-huge-shape": Payload(lambda m: b"\x80\x02" + _call(
        "numpy.core.multiarray", "_reconstruct", _global("numpy", "ndarray"),
        _shape(10**12), b"C\x01b") + b".", live=False),
    "ndarray-state-1e12-items": Payload(
        lambda m: b"\x80\x02" + _ndarray(_shape(10**6, 10**6)) + b".", live=False),
    "ndarray-state-1e12-items-numpy2": Payload(
        lambda m: b"\x80\x02" + _ndarray(_shape(10**6, 10**6), "numpy._core.multiarray") + b".",
        live=False),
}


def object_npy(payload: bytes) -> bytes:
    """A 0-d object-array ``.npy`` whose data is ``payload`` (``np.save`` pickles object
    arrays), e.g. as the ``_metadata.npy`` member."""
    return npy_header("|O") + payload


def shared_reference_pickle(levels: int) -> bytes:
    """A pickled dict holding a list nested ``levels`` deep in which every level references the
    one below twice: a few hundred bytes that expand to 2**levels leaves if copied naively."""
    x: list = [0]
    for _ in range(levels):
        x = [x, x]
    array = np.empty((), dtype=object)
    array[()] = {**METADATA, "additional_parameters": {"tree": x}}
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, allow_pickle=True)
    return buf.getvalue()


def memo_index_pickle(index: int) -> bytes:
    """A 9-byte pickle storing ``None`` at memo slot ``index`` (LONG_BINPUT)."""
    return b"\x80\x02Nr" + struct.pack("<I", index) + b"."


# --------------------------------------------------------------------------- the hostile corpus


@dataclass(frozen=True)
class Case:
    """One hostile file: ``rules`` are the exact error rule ids of ``check_file`` (values
    scanned), ``words`` must each appear (case-insensitive) in some finding message."""

    name: str
    #: Writes nothing itself: returns the file's bytes; gets the corpus directory, where a
    #: payload that ran would create ``PWNED``.
    build: Callable[[Path], bytes]
    rules: frozenset[str]
    words: tuple[str, ...]
    load_fails: bool = True
    #: Set when the package currently gets this case wrong (the test is a strict xfail).


def _header_case(name: str, header: bytes, rule: str, *words: str, data: bytes = b"",
                 key: str = "diffraction") -> Case:
    return Case(name, lambda d: with_member(f"{key}.npy", header + data), frozenset({rule}),
                words)


def _truncated(fraction: float) -> Callable[[Path], bytes]:
    def build(directory: Path) -> bytes:
        raw = zip_bytes(base_members())
        return raw[:max(1, int(len(raw) * fraction))]
    return build


def _attr_member(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, DATE)
    info.external_attr = mode << 16
    return info


def _lying_directory(directory: Path) -> bytes:
    """``diffraction`` declares 64 KiB and the directory agrees, but the deflate stream really
    inflates to 64 MiB (with the CRC of all of it); reading stops at the declared size."""
    header = npy_header("<f4", (4, 64, 64))
    real = header + bytes(64 * MiB)
    raw = with_member("diffraction.npy", real)
    return edit_entry(raw, "diffraction.npy", file_size=len(header) + 4 * 64 * 64 * 4)


def _metadata_case(name: str, member: bytes, rule: str, *words: str,
                   load_fails: bool = True) -> Case:
    return Case(name, lambda d: with_member("_metadata.npy", member), frozenset({rule}), words,
                load_fails)


def _nested_json(levels: int) -> bytes:
    return npy_bytes(np.array('{"a": ' + "[" * levels + "]" * levels + "}"))


def _cases() -> list[Case]:
    f8 = "<f8"
    unread = "unreadable"
    cases = [
        Case("empty", lambda d: b"", frozenset({unread}), ("empty",)),
        Case("plain-text", lambda d: b"diffraction,xcoords\n0.1,0.2\n" * 40, frozenset({unread}),
             ("not an .npz",)),
        Case("bare-npy", lambda d: npy_bytes(small_arrays()["diffraction"]),
             frozenset({unread}), ("bare .npy",)),
        Case("duplicate-member", lambda d: zip_bytes(
            [*base_members(), ("xcoords.npy", npy_bytes(np.zeros(4)))]),
            frozenset({unread}), ("more than once",)),
        Case("non-npy-member", lambda d: zip_bytes([*base_members(), ("notes.txt", b"hello")]),
             frozenset({unread}), ("not a .npy",)),
        Case("directory-entry", lambda d: zip_bytes(
            [*base_members(), (_attr_member("extra/", stat.S_IFDIR | 0o755), b"")]),
            frozenset({unread}), ("directory",)),
        Case("symlink-member", lambda d: zip_bytes(
            [*base_members(), (_attr_member("link.npy", stat.S_IFLNK | 0o777), b"/etc/passwd")]),
            frozenset({unread}), ("symbolic link",)),
        Case("encrypted-member", lambda d: edit_entry(
            zip_bytes(base_members()), "xcoords.npy", flag_bits=0x1),
            frozenset({unread}), ("encrypted",)),
        Case("unknown-compression-99", lambda d: edit_entry(
            zip_bytes(base_members(), method=zipfile.ZIP_STORED), "probeGuess.npy", method=99),
            frozenset({unread}), ("compression method 99",)),
        Case("too-many-members", lambda d: zip_bytes(
            [*base_members(), *((f"m{i}.npy", b"") for i in range(5000))],
            method=zipfile.ZIP_STORED), frozenset({"resource-limit"}), ("members",)),
        _header_case("negative-shape", npy_header(f8, (4, -64, 64)), unread, "negative"),
        _header_case("1e12-elements", npy_header(f8, (10**6, 10**6)), "resource-limit",
                     "declares", "limit", key="objectGuess"),
        _header_case("absurd-ndim", npy_header(f8, (1,) * 1000), unread, "at most 64"),
        _header_case("header-not-a-dict", npy_header(text="[1, 2, 3]"), unread, "keys"),
        _header_case("header-code-injection", npy_header(
            text="{'descr': __import__('os').system('false'), 'fortran_order': False, "
                 "'shape': ()}"), unread, "literal"),
        _header_case("huge-header-length", npy_header(f8, (4,), version=(2, 0),
                                                      length=0xFFFFFFF0),
                     "resource-limit", "header", "limit"),
        _header_case("wrong-magic", npy_header(f8, (4, 64, 64), magic=b"\x93NUMPX"), unread,
                     "magic"),
        _header_case("unsupported-version", npy_header(f8, (4, 64, 64), version=(9, 9)),
                     unread, "version 9.9"),
        _header_case("descr-garbage", npy_header("zz<>9", (4, 64, 64)), unread,
                     "invalid dtype"),
        _header_case("shape-not-ints", npy_header(f8, (4.0, 64, 64)), unread, "non-integer"),
        _header_case("header-truncated", npy_header(f8, (4, 64, 64))[:30], unread,
                     "truncated"),
        _header_case("lying-header-claims-more", npy_header("<f4", (8, 64, 64)), unread,
                     "declares", "holds", data=bytes(4 * 64 * 64 * 4)),
        _header_case("lying-header-claims-less", npy_header("<f4", (2, 64, 64)), unread,
                     "declares", "holds", data=bytes(4 * 64 * 64 * 4)),
        Case("lying-zip-directory", _lying_directory, frozenset({"unreadable"}),
             ("inflates to more than",)),
        Case("object-dtype-data-member", lambda d: with_member(
            "diffraction.npy", object_npy(PAYLOADS["posix-system-protocol-2"].build(
                d / "PWNED"))),
            frozenset({"unsafe-object-array"}), ("object array", "pickle enabled")),
        _metadata_case("metadata-oversized", npy_bytes(np.array(b"{" + b" " * (17 * MiB) + b"}")),
                       "resource-limit", "limit"),
        _metadata_case("metadata-nested-100000", _nested_json(100_000), "resource-limit",
                       "deeper"),
        _metadata_case("metadata-nested-100", _nested_json(100), "resource-limit", "deeper"),
        _metadata_case("metadata-json-list", npy_bytes(np.array("[1, 2, 3]")),
                       "metadata-schema", "not an object"),
        _metadata_case("metadata-not-json", npy_bytes(np.array("{nphotons: 1e6")),
                       "metadata-invalid", "not valid json"),
        _metadata_case("metadata-invalid-utf8", npy_bytes(np.array(b'{"a": "\xff\xfe"}')),
                       "metadata-invalid", "utf-8"),
        _metadata_case("metadata-nan", npy_bytes(np.array(json.dumps(
            {**METADATA, "additional_parameters": {"x": float("nan")}}))),
            "metadata-invalid", "nan"),
    ]
    cases += [Case(f"truncated-{int(fraction * 1000)}", _truncated(fraction),
                   frozenset({unread}), ("truncated",))
              for fraction in (0.001, 0.01, 0.3, 0.9, 0.999)]
    return cases


CASES: dict[str, Case] = {case.name: case for case in _cases()}


def build_corpus(directory: Path) -> dict[str, Path]:
    """Write every case of ``CASES`` to ``directory/<name>.npz``."""
    paths = {}
    for name, case in CASES.items():
        paths[name] = directory / f"{name}.npz"
        paths[name].write_bytes(case.build(directory))
    return paths


# --------------------------------------------------------------------------- zip bombs


def write_zip_bomb(path: Path, total: int = 4 * GiB, frame: int = 64) -> Path:
    """A dataset whose ``diffraction`` is ``total`` bytes of zeros deflated at level 9 (about
    ``total / 1000`` on disk); every other key is consistent, so only its size is hostile."""
    n = total // (frame * frame * 4)
    arrays = small_arrays(N=frame)
    arrays["xcoords"] = arrays["ycoords"] = np.zeros(n)
    del arrays["scan_index"]
    zero = bytes(16 * MiB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for key, value in arrays.items():
            data = npy_bytes(value)
            if key == "diffraction":
                with zf.open("diffraction.npy", "w", force_zip64=True) as out:
                    out.write(npy_header("<f4", (n, frame, frame)))
                    for _ in range(total // len(zero)):
                        out.write(zero)
            else:
                zf.writestr(f"{key}.npy", data)
        zf.writestr("_metadata.npy", metadata_member())
    return path


def write_split_bomb(path: Path, members: int = 64, each: int = 64 * MiB) -> Path:
    """The clean file plus ``members`` arrays of ``each`` bytes of zeros: each member stays at
    the per-member ratio floor, together they inflate to ``members * each`` bytes."""
    data = npy_header("<f8", ((each - 128) // 8,)) + bytes(each - 128)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = deflate.compress(data) + deflate.flush()
    entries = [(name, raw, zipfile.ZIP_STORED, zlib.crc32(raw), len(raw))
               for name, raw in base_members()]
    entries += [(f"chunk{i:03d}.npy", stream, zipfile.ZIP_DEFLATED, zlib.crc32(data), len(data))
                for i in range(members)]
    path.write_bytes(raw_zip(entries))
    return path


def raw_zip(entries: Sequence[tuple]) -> bytes:
    """A zip from ``(name, stored bytes, method, crc, file_size[, declared compressed size])``,
    written with ``struct`` (the compressed size field says ``len(stored)`` unless given)."""
    out, central = bytearray(), bytearray()
    for name, stored, method, crc, size, *declared in entries:
        encoded = name.encode()
        packed = declared[0] if declared else len(stored)
        fields = struct.pack("<HHHHHIIIHH", 20, 0, method, 0, 0x5021, crc, packed, size,
                             len(encoded), 0)
        central += (b"PK\x01\x02" + struct.pack("<H", 20) + fields
                    + struct.pack("<HHHII", 0, 0, 0, 0o644 << 16, len(out)) + encoded)
        out += b"PK\x03\x04" + fields + encoded + stored
    end = struct.pack("<4HII", 0, 0, len(entries), len(entries), len(central), len(out))
    return bytes(out + central + b"PK\x05\x06" + end + b"\x00\x00")


# --------------------------------------------------------------------------- bounded runs


def run_bounded(jobs: list[dict], warm: Path, *, headroom_mib: int | None = 512,
                timeout: float = 300) -> dict:
    """Run ``check_file`` (and ``load_npz`` when ``job["load"]``) on each job's ``path`` in a
    fresh interpreter whose address space is capped at its post-import size plus
    ``headroom_mib`` (no cap when ``None``). Job keys: ``path``, ``values`` (default true),
    ``limits`` (``Limits`` fields), ``load``, ``ext_code`` (copyreg code to register as
    ``posix.system`` first). Returns ``{"results": [...], "rss_growth_mib", "seconds"}``;
    each result has ``rules`` (errors), ``messages``, ``ok``, ``load`` (``"ok"`` or the
    ContractViolation's rules), ``rss_growth_mib`` after that job, and ``raised`` for any
    other exception; ``stderr`` is whatever the child printed there.
    """
    spec = {"jobs": jobs, "warm": str(warm), "headroom_mib": headroom_mib}
    code = (f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
            "import hostile; hostile.bounded_main()")
    proc = subprocess.run([sys.executable, "-c", code], input=json.dumps(spec),
                          capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"bounded run failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return {**json.loads(proc.stdout), "stderr": proc.stderr}


def bounded_main() -> None:
    """The child side of :func:`run_bounded` (reads the spec on stdin, prints JSON)."""
    spec = json.load(sys.stdin)
    from pytest_npzcontract import ContractViolation, Limits, check_file, load_npz

    check_file(spec["warm"])  # pay for every lazy import before measuring
    load_npz(spec["warm"])
    if spec["headroom_mib"] is not None:
        cap = _status("VmSize") + spec["headroom_mib"] * MiB
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    _reset_peak_rss()
    base, start, results = _peak_rss(), time.perf_counter(), []
    for job in spec["jobs"]:
        code, out = job.get("ext_code"), {"path": job["path"]}
        if code:
            copyreg.add_extension("posix", "system", code)
        limits = Limits(**job.get("limits", {}))
        try:
            report = check_file(job["path"], values=job.get("values", True), limits=limits)
            out.update(rules=sorted(report.rules("error")), ok=report.ok,
                       messages=[f.message for f in report.findings])
            if job.get("load"):
                try:
                    load_npz(job["path"], limits=limits)
                    out["load"] = "ok"
                except ContractViolation as exc:
                    out["load"] = sorted(exc.rules)
        except BaseException as exc:  # the parent asserts this never happens
            out["raised"] = f"{type(exc).__name__}: {exc}"
        if code:
            copyreg.remove_extension("posix", "system", code)
        out["rss_growth_mib"] = (_peak_rss() - base) / MiB
        results.append(out)
    print(json.dumps({"results": results, "rss_growth_mib": (_peak_rss() - base) / MiB,
                      "seconds": time.perf_counter() - start}))


def _status(field: str) -> int:
    """A ``/proc/self/status`` size field in bytes (``VmSize``, ``VmRSS``, ``VmHWM``)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak_rss() -> None:
    """Make the high-water mark restart from the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass  # the mark then includes the import peak, which only understates growth


def _peak_rss() -> int:
    # Not ru_maxrss: Linux carries the parent's high-water mark into a forked child, which
    # would hide any growth below the size of the pytest process that started us.
    return _status("VmHWM")


def write_case(tmp_path: Path, raw: bytes, name: str = "case.npz") -> Path:
    """``raw`` written as ``tmp_path / name``."""
    path = tmp_path / name
    path.write_bytes(raw)
    return path


def verdicts(path: Path) -> tuple[set[str], set[str] | str]:
    """(error rules of check_file, load_npz's rules or "ok"); neither may raise anything else,
    no finding may be the checker's last-resort "unexpected error", and each finding is one
    line."""
    from pytest_npzcontract import ContractViolation, check_file, load_npz
    from pytest_npzcontract.contract.checker import UNEXPECTED

    report = check_file(path)
    assert not any(UNEXPECTED in f.message for f in report.findings), report.findings
    assert all("\n" not in f.line() for f in report.findings)
    try:
        load_npz(path)
        loaded: set[str] | str = "ok"
    except ContractViolation as exc:
        loaded = exc.rules
    return report.rules("error"), loaded
