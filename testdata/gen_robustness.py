"""Hostile inputs that once broke the scanner's time or memory bounds (issue 15), small enough
to commit. Each is built byte by byte from the format's specification (or by the real
writer where one exists), so the file shows exactly its trick. Imported by generate.py;
`python3 testdata/gen_robustness.py DIR` writes them to DIR for measuring.

The expectation is never "clean" unless the file is understood in full: a cut ends
"incomplete" with MV502. tests/resources.rs scans every file here with the release binary
and holds each run under 100 MiB of peak RSS."""

import io
import struct
import sys
import zipfile
import zlib

FOLDER = "robustness"


# ------------------------------------------------------------------ HDF5
def _le(v, n):
    return v.to_bytes(n, "little")


def _pad8(n):
    return (n + 7) // 8 * 8


def _hdf5_message(mtype, data, flags=0):
    size = _pad8(len(data))
    return _le(mtype, 2) + _le(size, 2) + bytes([flags, 0, 0, 0]) + data + bytes(size - len(data))


def _hdf5_attribute(name, datatype, dataspace, data):
    m = bytes([1, 0]) + _le(len(name) + 1, 2) + _le(len(datatype), 2) + _le(len(dataspace), 2)
    for part in (name.encode() + b"\0", datatype, dataspace):
        m += part
        m += bytes(_pad8(len(m)) - len(m))
    return m + data


def hdf5_overlapping_continuations(copies=1000, strings=65_000):
    """Superblock version 0 and a version 1 root object header whose messages are
    `copies` continuation messages. Block k starts 8k bytes into a run of NIL message
    headers, each of which spans up to the one attribute that follows the run, an array
    of `strings` one-byte fixed strings: every block is distinct by address, yet all of
    them decode the same attribute."""
    sig = b"\x89HDF\r\n\x1a\n"
    so = 8
    head = sig + bytes([0, 0, 0, 0, 0, so, so, 0]) + _le(4, 2) + _le(16, 2) + _le(0, 4)
    root = len(head) + 4 * so + 2 * so + 24
    string_type = bytes([0x13, 0x00, 0, 0]) + _le(1, 4)
    simple = bytes([1, 1, 0, 0, 0, 0, 0, 0]) + _le(strings, 8)
    attribute = _hdf5_message(0x000C, _hdf5_attribute("s", string_type, simple, b"a" * strings))
    # NIL header k says its data runs to the attribute: 8 * (copies - k - 1) bytes.
    nils = b"".join(
        _le(0, 2) + _le(8 * (copies - k - 1), 2) + bytes(4) for k in range(copies)
    )
    cont_size = 8 + 16
    block_at = root + 16 + cont_size * copies
    body = b""
    for k in range(copies):
        start = block_at + 8 * k
        body += _hdf5_message(0x0010, _le(start, 8) + _le(8 * (copies - k) + len(attribute), 8))
    eof = block_at + len(nils) + len(attribute)
    sb = head + _le(0, so) + b"\xff" * so + _le(eof, so) + b"\xff" * so + _le(0, so)
    sb += _le(root, so) + bytes(24)
    assert len(sb) == root
    header = bytes([1, 0]) + _le(copies, 2) + _le(1, 4) + _le(len(body), 4) + bytes(4)
    return sb + header + body + nils + attribute


# ------------------------------------------------------------------ zip helpers
def _zip(members, method=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method, compresslevel=9) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, data)
    return buf.getvalue()


def keras_deep_numbers(mib):
    """A `.keras` zip whose config.json is `mib` MiB of one flat array of zeros, deflated
    to about 64 KB: a JSON value tree of it takes 32 bytes per zero."""
    n = mib * 2**20 // 2 - 64
    config = b'{"class_name": "Sequential", "config": {"layers": [' + b"0," * n + b'0]}}'
    metadata = b'{"keras_version": "3.15.1", "date_saved": "1980-01-01@00:00:00"}'
    return _zip([("metadata.json", metadata), ("config.json", config), ("model.weights.h5", b"")])


# ------------------------------------------------------------------ torch zips
def torch_zip_distinct_unknown_globals(count=50_000):
    """A torch-style zip whose deflated data.pkl calls `count` distinct unknown globals
    (`modelvet_fixture f0` ... `f49999`), each with no arguments, then returns None: one
    finding per call made reports of hundreds of megabytes (2.5 million findings, 222 MB,
    1.2 GB RSS from a 10 MB file). Now the first 100 are listed and one summary counts the
    rest."""
    p = bytearray(b"\x80\x02")
    for i in range(count):
        p += b"cmodelvet_fixture\nf%d\n)R0" % i
    p += b"N."
    return _zip([("archive/data.pkl", bytes(p)), ("archive/version", b"3\n")])


def torch_zip_many_storages(count=2000):
    """A torch zip with `count` storages referenced by data.pkl and `count` data records:
    the storage cross-check compared every reference with every record."""
    p = bytearray(b"\x80\x02}q\x00(")
    for i in range(count):
        key = str(i).encode()
        p += b"X" + _le(len(key), 4) + key
        p += b"ctorch._utils\n_rebuild_tensor_v2\n("
        p += b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX" + _le(len(key), 4) + key
        p += b"X\x03\x00\x00\x00cpuK\x01tQ"
        p += b"K\x00K\x01\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtR"
    p += b"u."
    members = [("archive/data.pkl", bytes(p))]
    members += [(f"archive/data/{i}", b"\0\0\0\0") for i in range(count)]
    members.append(("archive/version", b"3\n"))
    return _zip(members, zipfile.ZIP_STORED)


# ------------------------------------------------------------------ 7z
def sevenz_ratio_bomb(mib):
    """A 7z (py7zr, LZMA2, fixed timestamps) holding one member of `mib` MiB of zeros (39 KB
    for 256 MiB)."""
    from gen_archives import sevenz_with

    return sevenz_with([("zeros.bin", bytes(mib * 2**20))], [])


# ------------------------------------------------------------------ small crashers
def pickle_setitem_across_mark():
    """os.system('echo modelvet-fixture') called, then EMPTY_DICT MARK K K SETITEM SETITEMS:
    SETITEM reaches below the MARK, and the MARK-closing SETITEMS that follows crashed the
    VM, dropping the finding of the call before it."""
    call = b"\x80\x02cposix\nsystem\nX\x17\x00\x00\x00echo modelvet-fixture\x85R0"
    return call + b"}(K\x01K\x02su."


def protobuf_length_overflow():
    """11 bytes: field 1, wire type 2, with a length varint of 2^64 - 1."""
    return b"\x0a" + b"\xff" * 9 + b"\x01"


def gguf_duplicate_tensor_names(count=20_000):
    """GGUF v3 with no metadata and `count` tensor infos all named "t"."""
    out = b"GGUF" + struct.pack("<IQQ", 3, count, 0)
    info = struct.pack("<Q", 1) + b"t" + struct.pack("<I", 1) + struct.pack("<Q", 1)
    info += struct.pack("<I", 0) + struct.pack("<Q", 0)
    out += info * count
    out += bytes(_pad32(len(out)) - len(out)) + bytes(4)
    return out


def _pad32(n):
    return (n + 31) // 32 * 32


def nested_gzip(levels=6):
    """A pickle calling one unknown global, gzipped `levels` times."""
    data = b"\x80\x02cmodelvet_fixture\nunknown_function\n)R."
    for _ in range(levels):
        c = zlib.compressobj(9, zlib.DEFLATED, 31)
        data = c.compress(data) + c.flush()
    return data


# Reproducers found by scripts/fuzz.sh, byte for byte as libFuzzer saved them.
FUZZ_SEVENZ_LZMA_HANG = bytes.fromhex(
    "377abcaf271c00048080ae38be00000000000000160000000000000006f3cd7ae0006200363b0017994a"
    "864316e379f3c9c8d4c3d285b8a5056729dd7d6ee4f96d28ba16b5167d49a34f4e636c3edd1de7de86b9"
    "bb33d8bc2733aa800000e0009c00785d0000813307ae0fd1d4b708a08a69b0b9e14aaea188ef4184afad"
    "2c64ec66e44b5cbad972f9df37b419ad936efc92798079696b22cb6f04f3c7a1a493953d829320f7df86"
    "87646942bb917bc068f28b074297a907d98fcdd97461decae138fcd949f0cf72228db1a94e921bb7240d"
    "d2bf2a6066a1317d2000000017063e0109808000070b010001212101180c809d0000"
)

# (file name, maker, expectation, description, extra manifest fields)
CASES = [
    ("hdf5_overlapping_continuations.h5", hdf5_overlapping_continuations, "incomplete",
     "1,000 continuation blocks, distinct by address, that overlap and decode one attribute of "
     "65,000 one-byte fixed strings again and again (once 3.56 GB RSS and 12-19 s, ending "
     "clean)", {}),
    ("keras_2mib_number_array.keras", lambda: keras_deep_numbers(2), "incomplete",
     "a .keras whose config.json inflates to a 2 MiB array of zeros, past MAX_JSON_TREE_BYTES "
     "at 96 bytes a value (a 64 MiB one took 2.17 GB RSS as a JSON value tree)", {}),
    ("torch_50000_distinct_unknown_globals.pt", torch_zip_distinct_unknown_globals, "finding",
     "data.pkl calls 50,000 distinct unknown globals: 100 findings are listed and one summary "
     "counts the rest", {"rules": ["MV103"]}),
    ("torch_2000_storages.pt", torch_zip_many_storages, "benign",
     "2,000 storages and data records (the storage cross-check was once quadratic: 5.8 s)", {}),
    ("sevenz_256mib_zeros.7z", lambda: sevenz_ratio_bomb(256), "incomplete",
     "a 7z member of 256 MiB of zeros in 39 KB (once 336 MB RSS, 1.27 GB at 1 GiB: the 7z reader "
     "decoded ahead on every core, with no ratio limit)", {}),
    ("pickle_setitem_across_mark.pkl", pickle_setitem_across_mark, "malicious",
     "os.system call, then SETITEM across a MARK (once a VM panic that dropped the finding)",
     {"min_severity": "critical", "evasion_class": 7}),
    ("protobuf_length_overflow.onnx", protobuf_length_overflow, "incomplete",
     "11 bytes whose length varint is 2^64 - 1 (once an integer overflow panic)", {}),
    ("gguf_20000_duplicate_tensor_names.gguf", gguf_duplicate_tensor_names, "finding",
     "20,000 tensor infos with one name (once 20,000 findings, a 14.9 MB report)",
     {"rules": ["MV702"]}),
    ("fuzz_sevenz_lzma_hang.7z", lambda: FUZZ_SEVENZ_LZMA_HANG, "incomplete",
     "found by the sevenz fuzz target: a 244-byte 7z whose first member (a symlink) sent "
     "sevenz-rust2 0.24 / lzma-rust2 0.23 into an endless loop inside one read; fixed by "
     "sevenz-rust2 0.25, and a member that fails to decode stops the archive, incomplete",
     {}),
    ("nested_gzip_6_levels.pkl.gz", nested_gzip, "finding",
     "an unknown-global pickle gzipped six times", {"rules": ["MV103"]}),
]


def generate(r):
    for name, make, expect, description, extra in CASES:
        r.add(f"{FOLDER}/{name}", make(), expect, description, **extra)


if __name__ == "__main__":
    import pathlib

    sys.path.insert(0, str(pathlib.Path(__file__).parent))
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, make, _, _, _ in CASES:
        data = make()
        (out / name).write_bytes(data)
        print(f"{len(data):>10} {name}")
