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
import json
import pickle
import random
import resource
import sys
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hostile import METADATA, npy_bytes, npy_header, raw_zip, zip_bytes  # noqa: E402

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


def mutant(rng: random.Random, seed_members: list[tuple[str, bytes]]) -> bytes:
    """One mutant: member-level edits re-packed with correct CRCs, then maybe raw edits."""
    members = list(seed_members)
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
        out.append((f"{seed}-{i}-{name}", mutant(rng, pool[name])))
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
