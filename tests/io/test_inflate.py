"""Every available deflate backend inflates real NPZ members to the same bytes and CRC as zlib;
the choice falls back to zlib when the optional modules are missing."""

from __future__ import annotations

import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from pytest_npzcontract.io import inflate
from pytest_npzcontract.physics.factory import write_dataset


def raw_members(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    out = []
    with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
        for info in zf.infolist():
            fh.seek(info.header_offset + 26)
            name_len, extra_len = int.from_bytes(fh.read(2), "little"), \
                int.from_bytes(fh.read(2), "little")
            fh.seek(info.header_offset + 30 + name_len + extra_len)
            out.append((info, fh.read(info.compress_size)))
    return out


@pytest.mark.parametrize("name", sorted(inflate.available()))
def test_backend_matches_zlib_on_real_members(tmp_path: Path, name: str):
    path = write_dataset(tmp_path / "d.npz", n_images=16, N=64, compressed=True)
    module = inflate.available()[name]
    for info, raw in raw_members(path):
        assert info.compress_type == zipfile.ZIP_DEFLATED
        obj, pieces = module.decompressobj(-15), []
        for start in range(0, len(raw), 4096):
            pieces.append(obj.decompress(raw[start:start + 4096]))
        data = b"".join(pieces) + obj.flush()
        assert len(data) == info.file_size
        assert module.crc32(data) == zlib.crc32(data) == info.CRC


def test_preference_and_forced_choice(monkeypatch: pytest.MonkeyPatch):
    inflate._choose.cache_clear()
    monkeypatch.delenv(inflate.ENV, raising=False)
    expected = next(n for n, _ in inflate.CANDIDATES if n in inflate.available())
    assert inflate.fastest()[0] == expected
    monkeypatch.setenv(inflate.ENV, "zlib")
    assert inflate.fastest() == ("zlib", zlib)


def test_falls_back_to_zlib_without_the_optional_modules(monkeypatch: pytest.MonkeyPatch):
    inflate._choose.cache_clear()
    monkeypatch.delenv(inflate.ENV, raising=False)
    for module in ("zlib_ng", "zlib_ng.zlib_ng", "isal", "isal.isal_zlib"):
        monkeypatch.setitem(sys.modules, module, None)
    try:
        assert inflate.fastest() == ("zlib", zlib)
        monkeypatch.setenv(inflate.ENV, "isal")
        assert inflate.fastest() == ("zlib", zlib)
        assert set(inflate.available()) == {"zlib"}
    finally:
        inflate._choose.cache_clear()


def test_member_reader_uses_the_fastest_backend_for_every_member(tmp_path: Path):
    """The default decoder of io.members is the fastest installed backend for every member,
    large or small, and it reads the same bytes as zipfile."""
    import numpy as np

    from pytest_npzcontract.io import members

    path = tmp_path / "two.npz"
    rng = np.random.default_rng(0)
    with open(path, "wb") as fh:
        np.savez_compressed(fh, big=rng.integers(0, 9, (1 << 19,), dtype=np.int32),
                            small=np.arange(100, dtype=np.int32))
    name, module = inflate.fastest()
    with zipfile.ZipFile(path) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        for member in ("big.npy", "small.npy"):
            data = b"".join(members.open_member(zf, infos[member]))
            assert data == zf.read(member)
            chosen = members._decoder(infos[member], iter(()), members.MAX_LZMA_DICT)
            assert isinstance(chosen._obj, type(module.decompressobj(-15)))


def test_default_install_has_isal():
    """ISA-L is a default dependency where it has wheels (this machine): the default install
    inflates with it."""
    import platform

    if platform.machine().lower() not in ("x86_64", "amd64", "aarch64", "arm64"):
        pytest.skip("ISA-L is not a default dependency on this platform")
    inflate._choose.cache_clear()
    assert "isal" in inflate.available()
