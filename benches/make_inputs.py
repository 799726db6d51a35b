#!/usr/bin/env python3
"""Deterministic inputs for benches/compare.sh.

    python benches/make_inputs.py [OUT_DIR]      (default: bench-work/ in the repo)

Writes three benign files into OUT_DIR, skipping any that already exists:

  arrays_400mb.pkl  ~400 MB: a dict of numpy float32 arrays pickled with
                    protocol 5 (raw array data travels as BYTEARRAY8 blobs).
  torch_1gb.pt      ~1 GB: a torch.save (>= 1.6) style zip: archive/data.pkl
                    (protocol 2, persistent ids, _rebuild_tensor_v2 inside an
                    OrderedDict), archive/data/<key> stored storages,
                    archive/version, archive/byteorder; ZIP64 end records.
  opcodes_2m.pkl    ~2 million opcodes: list(range(2_000_000)) at protocol 4
                    (BININT* per item, MARK/APPENDS per 1000, FRAMEs).

Needs numpy; torch is NOT needed (stub modules named torch / torch._utils are
put into sys.modules only while pickling). Files are written to NAME.tmp and
renamed, so an interrupted run never leaves a truncated input behind.
"""

from __future__ import annotations

import collections
import contextlib
import os
import pathlib
import pickle
import pickletools
import struct
import sys
import types
import zlib

import numpy as np

SEED = 20240601
MiB = 1 << 20


def out_dir() -> pathlib.Path:
    if len(sys.argv) > 1:
        return pathlib.Path(sys.argv[1])
    return pathlib.Path(__file__).resolve().parent.parent / "bench-work"


@contextlib.contextmanager
def atomic(path: pathlib.Path):
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        yield f
    os.replace(tmp, path)


# ------------------------------------------------------------ 1. numpy pickle
def make_arrays_pickle(path: pathlib.Path) -> None:
    rng = np.random.default_rng(SEED)
    arrays = {}
    # 100 arrays x 1M float32 = 400 MB of raw data, shapes of a plausible model.
    for i in range(100):
        arrays[f"layer{i:03d}.weight"] = rng.standard_normal((1024, 1024), dtype=np.float32)
    arrays["meta.step"] = np.arange(16, dtype=np.int64)
    with atomic(path) as f:
        pickle.dump(arrays, f, protocol=5)


# ------------------------------------------------------- 2. torch-style zip
class Storage:
    def __init__(self, key: str, numel: int):
        self.key = key
        self.numel = numel


class Tensor:
    """Reduces exactly like a contiguous torch.Tensor (_reduce_ex_internal)."""

    def __init__(self, storage: Storage, shape: tuple):
        self.storage = storage
        stride, acc = [], 1
        for dim in reversed(shape):
            stride.append(acc)
            acc *= dim
        self.shape = tuple(shape)
        self.stride = tuple(reversed(stride))

    def __reduce_ex__(self, proto):
        rebuild = sys.modules["torch._utils"]._rebuild_tensor_v2
        return (
            rebuild,
            (self.storage, 0, self.shape, self.stride, False, collections.OrderedDict()),
        )


@contextlib.contextmanager
def torch_stubs():
    assert "torch" not in sys.modules, "a real torch must not be imported here"
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):  # only pickled by reference, never called
        raise RuntimeError("stub")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch._utils = utils
    torch.FloatStorage = type("FloatStorage", (), {"__module__": "torch"})
    sys.modules["torch"] = torch
    sys.modules["torch._utils"] = utils
    try:
        yield torch
    finally:
        del sys.modules["torch"]
        del sys.modules["torch._utils"]


def torch_data_pkl(state: collections.OrderedDict) -> bytes:
    class TorchPickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, Storage):
                return ("storage", sys.modules["torch"].FloatStorage, o.key, "cpu", o.numel)
            return None

    import io

    buf = io.BytesIO()
    with torch_stubs():
        TorchPickler(buf, protocol=2).dump(state)
    return buf.getvalue()


class TorchZipWriter:
    """Streams a zip the way torch's PyTorchStreamWriter (miniz) lays it out:
    stored records, 'FB' padding extra aligning data to 64 bytes, data
    descriptors, ZIP64 local/central extras where sizes or offsets need them,
    ZIP64 end record + locator + classic end record."""

    def __init__(self, f, archive="archive"):
        self.f = f
        self.archive = archive
        self.pos = 0
        self.central = []

    def _w(self, b: bytes) -> None:
        self.f.write(b)
        self.pos += len(b)

    def add(self, name: str, chunks) -> None:
        """chunks: an iterable of bytes (the record's data, in order)."""
        full = f"{self.archive}/{name}".encode()
        offset = self.pos
        # Sizes are unknown up front: write them in a data descriptor (flag 8),
        # as miniz does. Records here are < 4 GiB, so 32-bit sizes suffice in
        # the local header; the offset may exceed 4 GiB only for huge files.
        start = offset + 30 + len(full) + 4
        pad = (-start) % 64
        extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
        flags = 0x0808
        self._w(struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, flags, 0, 0, 0, 0, 0, 0,
                            len(full), len(extra)))
        self._w(full + extra)
        assert self.pos % 64 == 0
        crc, size = 0, 0
        for c in chunks:
            crc = zlib.crc32(c, crc)
            size += len(c)
            self._w(c)
        assert size < 0xFFFFFFFF
        self._w(struct.pack("<IIII", 0x08074B50, crc, size, size))
        self.central.append((full, flags, crc, size, offset))

    def close(self) -> None:
        cd_offset = self.pos
        for full, flags, crc, size, offset in self.central:
            if offset >= 0xFFFFFFFF:
                z64 = struct.pack("<HHQ", 0x0001, 8, offset)
                off32 = 0xFFFFFFFF
            else:
                z64, off32 = b"", offset
            self._w(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 0, flags, 0, 0, 0,
                                crc, size, size, len(full), len(z64), 0, 0, 0, 0, off32))
            self._w(full + z64)
        cd_size = self.pos - cd_offset
        n = len(self.central)
        z64_offset = self.pos
        self._w(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 0x002D, 0, 0, n, n,
                            cd_size, cd_offset))
        self._w(struct.pack("<IIQI", 0x07064B50, 0, z64_offset, 1))
        self._w(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                            min(cd_size, 0xFFFFFFFF), min(cd_offset, 0xFFFFFFFF), 0))


def make_torch_zip(path: pathlib.Path) -> None:
    rng = np.random.default_rng(SEED + 1)
    # 19 transformer blocks (~50 MB each) + embedding and head: ~1.02 GB float32.
    shapes = []
    for b in range(19):
        p = f"blocks.{b}."
        shapes += [(p + "attn.qkv.weight", (3072, 1024)), (p + "attn.qkv.bias", (3072,)),
                   (p + "attn.proj.weight", (1024, 1024)), (p + "attn.proj.bias", (1024,)),
                   (p + "mlp.fc1.weight", (4096, 1024)), (p + "mlp.fc1.bias", (4096,)),
                   (p + "mlp.fc2.weight", (1024, 4096)), (p + "mlp.fc2.bias", (1024,)),
                   (p + "ln1.weight", (1024,)), (p + "ln1.bias", (1024,)),
                   (p + "ln2.weight", (1024,)), (p + "ln2.bias", (1024,))]
    shapes += [("embed.weight", (8192, 1024)), ("head.weight", (8192, 1024))]
    state = collections.OrderedDict()
    storages = []
    for i, (name, shape) in enumerate(shapes):
        st = Storage(str(i), int(np.prod(shape)))
        storages.append(st)
        state[name] = Tensor(st, shape)
    data_pkl = torch_data_pkl(state)

    def storage_chunks(st: Storage):
        left = st.numel
        while left:
            n = min(left, 4 * MiB)  # 16 MiB of float32 per chunk
            yield rng.standard_normal(n, dtype=np.float32).astype("<f4").tobytes()
            left -= n

    with atomic(path) as f:
        z = TorchZipWriter(f)
        z.add("data.pkl", [data_pkl])
        z.add("byteorder", [b"little"])
        for st in storages:
            z.add(f"data/{st.key}", storage_chunks(st))
        z.add("version", [b"3\n"])
        z.close()


# ----------------------------------------------------- 3. many small opcodes
def make_opcodes_pickle(path: pathlib.Path) -> None:
    with atomic(path) as f:
        f.write(pickle.dumps(list(range(2_000_000)), protocol=4))


def count_opcodes(path: pathlib.Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in pickletools.genops(f))


def check_torch_zip(path: pathlib.Path) -> None:
    import zipfile

    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        assert names[0] == "archive/data.pkl", names[:3]
        assert z.read("archive/version") == b"3\n"
        assert z.read("archive/byteorder") == b"little"
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
        ops = [op.name for op, _, _ in pickletools.genops(z.read("archive/data.pkl"))]
        assert "BINPERSID" in ops
        # CRC of one storage, to prove the stream is a valid zip.
        z.read(names[3])


def main() -> int:
    out = out_dir()
    out.mkdir(parents=True, exist_ok=True)
    jobs = [
        ("arrays_400mb.pkl", make_arrays_pickle, None),
        ("torch_1gb.pt", make_torch_zip, check_torch_zip),
        ("opcodes_2m.pkl", make_opcodes_pickle, None),
    ]
    for name, make, check in jobs:
        path = out / name
        if path.exists():
            print(f"exists  {path} ({path.stat().st_size / MiB:.0f} MiB)")
            continue
        make(path)
        if check:
            check(path)
        print(f"made    {path} ({path.stat().st_size / MiB:.0f} MiB)")
    n = count_opcodes(out / "opcodes_2m.pkl")
    print(f"opcodes_2m.pkl: {n} opcodes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
