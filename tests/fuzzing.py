"""A deterministic, seeded mutation fuzzer for ``check_file`` and ``load_npz``.

Seeds are small valid, legacy and pickled files (every compression method); each mutant is one
seed with a few structure-aware mutations: raw byte edits, zip and ``.npy`` field overwrites at
known offsets, and edits *inside* a member's decompressed bytes re-packed with a correct CRC
(so they reach the ``.npy``, pickle and JSON decoders). The invariants checked per mutant:

1. ``check_file`` never raises and never reports an unexpected internal error;
2. ``load_npz`` raises nothing but ``ContractViolation``;
3. a file ``check_file`` passes (no error) loads;
4. time and memory are bounded (the run happens under an address-space cap, and each mutant
   must finish within ``max_seconds``).

Used by ``tests/io/test_fuzz.py`` (a few thousand mutants) and by the long campaign
``benchmarks/fuzz_campaign.py``, which saves failing mutants to ``tests/fuzz_corpus/``::

    python tests/fuzzing.py --seed 1 --count 2000 --cap-mib 512    # prints a JSON summary
"""

from __future__ import annotations

import argparse
import ast
import json
import pickle
import random
import resource
import struct
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile import (  # noqa: E402
    METADATA,
    _directory,
    npy_bytes,
    npy_header,
    raw_zip,
    zip_bytes,
)

CORPUS = Path(__file__).resolve().parent / "fuzz_corpus"
INTERESTING = (0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF,
               0x8000_0000, 0xFFFF_FFFF)


# --------------------------------------------------------------------------- seeds


def _arrays(seed: int, n: int = 2, N: int = 16) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "diffraction": rng.random((n, N, N), dtype=np.float32),
        "objectGuess": (rng.random((N + 8, N + 8)) + 1j).astype(np.complex64),
        "probeGuess": (rng.random((N, N)) + 1j).astype(np.complex64),
        "xcoords": rng.uniform(0, 8, n),
        "ycoords": rng.uniform(0, 8, n),
    }


def _object_member(value: object, protocol: int) -> bytes:
    array = np.empty((), dtype=object)
    array[()] = value
    return npy_header("|O") + pickle.dumps(array, protocol=protocol)


def seeds() -> dict[str, list[tuple[str, bytes]]]:
    """Named seed files as member lists ``[(name, uncompressed .npy bytes)]``."""
    meta = json.dumps({**METADATA, "physics_parameters": {"nphotons": 1e6, "N": 16,
                                                          "gridsize": 1}})
    canonical = [(f"{k}.npy", npy_bytes(v)) for k, v in _arrays(0).items()]
    canonical.append(("_metadata.npy", npy_bytes(np.array(meta))))
    legacy = [(f"{'diff3d' if k == 'diffraction' else k}.npy", npy_bytes(v))
              for k, v in _arrays(1).items()]
    legacy += [("Y.npy", npy_bytes(np.ones((2, 16, 16, 1), np.complex64))),
               ("nphotons.npy", npy_bytes(np.array(1e6)))]
    counts = [(f"{k}.npy", npy_bytes((v * 100).astype(np.uint16) if k == "diffraction" else v))
              for k, v in _arrays(2).items()]
    out = {"canonical": canonical, "legacy": legacy, "counts": counts}
    for protocol in (2, 4):
        body = [m for m in canonical if m[0] != "_metadata.npy"]
        out[f"pickled-json-p{protocol}"] = body + [("_metadata.npy",
                                                    _object_member(meta, protocol))]
        out[f"pickled-dict-p{protocol}"] = body + [("_metadata.npy", _object_member(
            {**json.loads(meta), "additional_parameters": {"tags": {"a", "b"},
                                                           "w": np.arange(3.0)}}, protocol))]
    out["bytes-metadata"] = [*canonical[:-1], ("_metadata.npy",
                                               npy_bytes(np.array(meta.encode())))]
    return out


METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


# --------------------------------------------------------------------------- mutations


def _flip(rng: random.Random, data: bytearray) -> None:
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)


def _set_bytes(rng: random.Random, data: bytearray) -> None:
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] = rng.randrange(256)


def _field(rng: random.Random, data: bytearray) -> None:
    """Overwrite a 1/2/4/8-byte little-endian field with an interesting value."""
    size = rng.choice((1, 2, 4, 8))
    if len(data) < size:
        return
    pos = rng.randrange(len(data) - size + 1)
    value = rng.choice(INTERESTING) + rng.choice((-1, 0, 0, 1))
    data[pos:pos + size] = (value % (1 << (8 * size))).to_bytes(size, "little")


def _cut(rng: random.Random, data: bytearray) -> None:
    start = rng.randrange(len(data))
    del data[start:start + rng.randint(1, 64)]


def _insert(rng: random.Random, data: bytearray) -> None:
    pos = rng.randrange(len(data) + 1)
    if rng.random() < 0.5:
        data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    else:  # repeat a slice of the data itself (duplicated structures)
        start = rng.randrange(len(data))
        data[pos:pos] = data[start:start + rng.randint(1, 256)]


def _truncate(rng: random.Random, data: bytearray) -> None:
    del data[rng.randrange(len(data)):]


def _text_edit(rng: random.Random, data: bytearray) -> None:
    """Swap a token typical of headers, JSON and pickles for another."""
    tokens = [b"<f4", b"<f8", b"|O", b"<U", b"True", b"False", b"(", b")", b",", b"{", b"}",
              b"[", b"]", b'"', b"1e6", b"NaN", b"1e999", b"-1", b"0", b"\x80", b"\x95",
              b"q", b"X", b"J", b"\x8a", b"\x94", b"h", b"r", b"\xff\xff\xff\x7f", b"."]
    old = rng.choice(tokens)
    pos = bytes(data).find(old, rng.randrange(len(data)))
    if pos < 0:
        pos = bytes(data).find(old)
    if pos >= 0:
        data[pos:pos + len(old)] = rng.choice(tokens)


BYTE_MUTATIONS: list[Callable[[random.Random, bytearray], None]] = [
    _flip, _set_bytes, _field, _field, _cut, _insert, _truncate, _text_edit]


def _mutate_bytes(rng: random.Random, data: bytes, rounds: int) -> bytes:
    buf = bytearray(data)
    for _ in range(rounds):
        if not buf:
            break
        rng.choice(BYTE_MUTATIONS)(rng, buf)
    return bytes(buf)


# --------------------------------------------------------------------------- structure-aware

SHAPE_DIMS = (0, 1, 2, 3, 7, 64, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 61, 2 ** 62,
              2 ** 63 - 1, 2 ** 63, 2 ** 64)
DESCRS = ("<f8", "<f4", "<f2", "<c16", "|u1", "<i8", "|b1", "|V0", "|S0", "<U0", "|V8",
          "<U999999999", "|S2147483648", "<f8", ">f8", "|O")


def npy_shape_mutant(rng: random.Random, data: bytes) -> bytes:
    """Rewrite a member's ``.npy`` header with another shape and/or item size, keeping its data:
    zero dimensions beside huge ones, products overflowing with the item size, dimensions that
    do not match the data held, zero-size and giant dtypes."""
    if not data.startswith(b"\x93NUMPY") or len(data) < 10:
        return data
    version = (data[6], data[7])
    fmt = "<H" if version == (1, 0) else "<I"
    start = 8 + (2 if version == (1, 0) else 4)
    (length,) = struct.unpack_from(fmt, data, 8)
    body = data[start + length:]
    try:
        header = ast.literal_eval(data[start:start + length].decode("latin1").strip())
        descr, shape = header["descr"], list(header["shape"])
    except Exception:  # noqa: BLE001 - a seed member that is not a plain header
        descr, shape = "<f8", [1]
    for _ in range(rng.randint(1, 3)):
        choice = rng.random()
        if choice < 0.45 and shape:
            shape[rng.randrange(len(shape))] = rng.choice(SHAPE_DIMS)
        elif choice < 0.6:
            shape.insert(rng.randrange(len(shape) + 1), rng.choice(SHAPE_DIMS))
        elif choice < 0.7 and shape:
            del shape[rng.randrange(len(shape))]
        elif isinstance(descr, str) or choice < 0.9:
            descr = rng.choice(DESCRS)
    fortran = rng.random() < 0.2
    return npy_header(descr, tuple(shape), fortran, version=version if version in (
        (1, 0), (2, 0), (3, 0)) else (1, 0)) + body


def zip_size_mutant(rng: random.Random, raw: bytes) -> bytes:
    """Lie about one member's sizes in the zip directory and/or its local header: the
    compressed size against the bytes its stream really consumes (short, long, reaching into
    the next member or the directory, zero, huge) and the uncompressed size (half, double,
    off by one, zero, huge)."""
    entries = _directory(raw)
    if not entries:
        return raw
    buf = bytearray(raw)
    pos, local, _ = rng.choice(entries)
    packed = struct.unpack_from("<I", buf, pos + 20)[0]
    size = struct.unpack_from("<I", buf, pos + 24)[0]
    offsets = sorted(loc for _, loc, _ in entries)
    following = next((o for o in offsets if o > local), min(p for p, _, _ in entries))
    room = following - local
    packed_choices = (packed + 1, packed - 1, max(packed - 8, 0), packed * 2, room, room + 64,
                      0, 0xFFFF_FFFF, len(raw), packed + rng.randint(2, 4096))
    size_choices = (size // 2, size * 2, size + 1, max(size - 1, 0), 0, 0xFFFF_FFFF,
                    size * 1000)
    where = rng.choice(("both", "both", "central", "local"))
    fields = []
    if rng.random() < 0.7:
        fields.append((20, rng.choice(packed_choices)))
    if not fields or rng.random() < 0.5:
        fields.append((24, rng.choice(size_choices)))
    for offset, value in fields:
        value %= 1 << 32
        if where in ("both", "central"):
            struct.pack_into("<I", buf, pos + offset, value)
        if where in ("both", "local") and local + offset - 2 + 4 <= len(buf):
            struct.pack_into("<I", buf, local + offset - 2, value)
    return bytes(buf)


def mutant(rng: random.Random, seed_members: list[tuple[str, bytes]]) -> bytes:
    """One mutant: member-level edits re-packed with correct CRCs, then maybe raw edits; about
    one in five lies about zip sizes or rewrites a ``.npy`` shape/itemsize instead."""
    return labelled_mutant(rng, seed_members)[1]


def labelled_mutant(rng: random.Random, seed_members: list[tuple[str, bytes]]
                    ) -> tuple[str, bytes]:
    """``(kind, bytes)``: kind is ``zip-sizes``, ``npy-shape`` or ``bytes``."""
    members = list(seed_members)
    special = rng.random()
    if special < 0.1:  # shape/itemsize of one member, data kept, CRC correct
        i = rng.randrange(len(members))
        members[i] = (members[i][0], npy_shape_mutant(rng, members[i][1]))
        return "npy-shape", zip_bytes(members, method=rng.choice(METHODS))
    if special < 0.2:  # declared sizes against consumed bytes
        return "zip-sizes", zip_size_mutant(rng, zip_bytes(members, method=rng.choice(METHODS)))
    return "bytes", _byte_mutant(rng, members)


def _byte_mutant(rng: random.Random, members: list[tuple[str, bytes]]) -> bytes:
    kind = rng.random()
    if kind < 0.55:  # edit inside a member (reaches the decoders past the CRC check)
        i = rng.randrange(len(members))
        name, data = members[i]
        if rng.random() < 0.1:
            name = rng.choice(["", "../x.npy", "/abs.npy", "a//b.npy", name.upper(),
                               name[:-4], name + "/", "_metadata.npy"])
        members[i] = (name, _mutate_bytes(rng, data, rng.randint(1, 3)))
    elif kind < 0.65:  # drop or duplicate a member
        i = rng.randrange(len(members))
        if rng.random() < 0.5:
            del members[i]
        else:
            members.append(members[i])
    method = rng.choice(METHODS)
    try:
        raw = zip_bytes(members, method=method)
    except Exception:  # names zipfile will not write (""): write the archive by hand
        raw = raw_zip([(n, d, zipfile.ZIP_STORED, zlib.crc32(d), len(d)) for n, d in members])
    if kind >= 0.55 or rng.random() < 0.2:  # raw edits of the archive itself
        raw = _mutate_bytes(rng, raw, rng.randint(1, 4))
    return raw


def mutants(seed: int, count: int) -> list[tuple[str, bytes]]:
    """``count`` deterministic mutants ``(label, bytes)`` for ``seed``."""
    rng = random.Random(seed)
    pool = seeds()
    names = sorted(pool)
    out = []
    for i in range(count):
        name = names[i % len(names)]
        kind, data = labelled_mutant(rng, pool[name])
        out.append((f"{seed}-{i}-{name}-{kind}", data))
    return out


# --------------------------------------------------------------------------- invariants


def check_one(path: Path, max_seconds: float) -> str | None:
    """The first broken invariant for the file at ``path``, or ``None``."""
    from pytest_npzcontract import ContractViolation, check_file, load_npz
    from pytest_npzcontract.contract.checker import UNEXPECTED

    start = time.perf_counter()
    try:
        report = check_file(path)
    except BaseException as exc:  # noqa: BLE001 - exactly what the fuzzer looks for
        return f"check_file raised {type(exc).__name__}: {str(exc)[:300]}"
    unexpected = [f.message for f in report.findings if UNEXPECTED in f.message]
    if unexpected:
        return f"check_file: {unexpected[0][:300]}"
    try:
        load_npz(path)
        loaded = True
    except ContractViolation:
        loaded = False
    except BaseException as exc:  # noqa: BLE001
        return f"load_npz raised {type(exc).__name__}: {str(exc)[:300]}"
    if report.ok and not loaded:
        return "check_file passed but load_npz refused the file"
    seconds = time.perf_counter() - start
    if seconds > max_seconds:
        return f"took {seconds:.1f} s (limit {max_seconds} s)"
    return None


def run(items: list[tuple[str, bytes]], *, max_seconds: float = 5.0,
        save: Path | None = None) -> dict:
    """Check every mutant; failures are returned (and saved under ``save`` if given)."""
    failures, start, slowest = [], time.perf_counter(), 0.0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mutant.npz"
        for label, data in items:
            path.write_bytes(data)
            one = time.perf_counter()
            problem = check_one(path, max_seconds)
            slowest = max(slowest, time.perf_counter() - one)
            if problem:
                failures.append({"label": label, "problem": problem})
                if save is not None:
                    save.mkdir(parents=True, exist_ok=True)
                    (save / f"{label}.npz").write_bytes(data)
    return {"mutants": len(items), "failures": failures, "seconds": time.perf_counter() - start,
            "slowest": slowest}


def cap_memory(headroom_mib: int) -> None:
    """Cap this process's address space at its current size plus ``headroom_mib``."""
    with open("/proc/self/status") as fh:
        size = next(int(line.split()[1]) * 1024 for line in fh if line.startswith("VmSize:"))
    cap = size + headroom_mib * (1 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _warm() -> None:
    """Import everything lazily imported before capping memory."""
    from pytest_npzcontract import check_file, load_npz

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "warm.npz"
        path.write_bytes(zip_bytes(seeds()["pickled-dict-p4"]))
        check_file(path)
        load_npz(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--cap-mib", type=int, default=512)
    parser.add_argument("--max-seconds", type=float, default=5.0)
    parser.add_argument("--save", type=Path, default=None)
    parser.add_argument("--replay", type=Path, default=None,
                        help="check every .npz in this folder instead of making mutants")
    args = parser.parse_args(argv)
    items = (sorted((p.stem, p.read_bytes()) for p in args.replay.glob("*.npz"))
             if args.replay else mutants(args.seed, args.count))
    _warm()
    if args.cap_mib:
        cap_memory(args.cap_mib)
    print(json.dumps(run(items, max_seconds=args.max_seconds, save=args.save)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
