"""One example fixture for each rule that no other fixture shows alone, so the rule
catalog can name a file that fires every rule (as ruff's rule pages do). Written by the
real libraries where one writes the structure (pickle, zipfile, numpy); the few that no
library writes are assembled byte-exactly, with a note on why the loader reads them.
Imported by generate.py."""

import collections
import copyreg
import io
import pickle
import zipfile

import numpy as np


def zip_of(members, method=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members:
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def npy_bytes(array) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def generate(r):
    # MV105: a framework module's callable, called. sklearn.utils has no `load_it`; the
    # pickle names it as a crafted file would (GLOBAL, EMPTY_TUPLE, REDUCE).
    r.finding("formats/rule_mv105_framework_call.pkl",
              b"\x80\x02csklearn.utils\nload_it\n)R.",
              ["MV105"], "a call of an unlisted sklearn.utils callable (GLOBAL + REDUCE)")

    # MV104: a framework class the allowlist was not traced from, rebuilt (NEWOBJ + BUILD):
    # an unfitted estimator, pickled by the real library.
    from sklearn.neighbors import NearestCentroid

    r.notice("formats/rule_mv104_framework_class.pkl", pickle.dumps(NearestCentroid(), protocol=4),
             ["MV104"], "pickle.dumps(sklearn.neighbors.NearestCentroid()): a framework class "
             "not on the traced allowlist, rebuilt")

    # MV107: the copyreg extension registry, as the real pickler writes it: with an
    # extension code registered, a global becomes EXT1 and the name is not in the file.
    copyreg.add_extension("collections", "OrderedDict", 240)
    try:
        ext = pickle.dumps(collections.OrderedDict, protocol=2)
    finally:
        copyreg.remove_extension("collections", "OrderedDict", 240)
    assert b"\x82\xf0" in ext, ext
    r.finding("formats/rule_mv107_extension_code.pkl", ext, ["MV107"],
              "pickle.dumps(collections.OrderedDict) with copyreg extension code 240: EXT1")

    # MV112: bytes after STOP, which pickle.load never reads.
    r.notice("formats/rule_mv112_trailing_data.pkl",
              pickle.dumps({"w": [1.0]}, protocol=2) + b"not read by pickle.load\n",
              ["MV112"], "pickle.dumps output followed by text after STOP")

    # MV201: a torch checkpoint whose data.pkl names storage 0 with 4 floats (16 bytes)
    # while data/0 holds 8: torch would read past the record.
    data_pkl = (b"\x80\x02ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00w(X\x07\x00\x00\x00"
                b"storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQu.")
    r.finding("formats/rule_mv201_storage_mismatch.pt",
              zip_of([("m/data.pkl", data_pkl), ("m/data/0", bytes(8)), ("m/version", b"3\n")]),
              ["MV201"], "torch zip: storage 0 declares 4 floats, its record holds 8 bytes")

    # MV203: TorchScript source that loads a native library when torch.jit.load
    # compiles it.
    r.finding("formats/rule_mv203_torchscript_load_library.pt",
              zip_of([("m/data.pkl", pickle.dumps(None, protocol=2)),
                      ("m/constants.pkl", pickle.dumps((), protocol=2)),
                      ("m/code/__torch__/m.py",
                       b"def forward(self):\n  torch.ops.load_library('x.so')\n")]),
              ["MV202", "MV203"], "TorchScript archive whose code calls torch.ops.load_library")

    # MV306: two ways a zip's structure is inconsistent. A directory offset pointing into
    # the data, and an archive behind prepended bytes (Python's zipfile finds it from its
    # end record, a reader of the first bytes sees a script).
    broken = bytearray(zip_of([("a.pkl", pickle.dumps(None, protocol=2))]))
    broken[-6:-2] = (5).to_bytes(4, "little")
    r.finding("formats/rule_mv306_bad_directory_offset.zip", bytes(broken), ["MV306"],
              "zipfile output with the end record's directory offset changed to 5")
    prepended = b"#!/usr/bin/env python3\nprint('modelvet-fixture')\n" + zip_of(
        [("model.pkl", pickle.dumps({"w": [1.0]}, protocol=2))])
    with zipfile.ZipFile(io.BytesIO(prepended)) as z:
        assert z.namelist() == ["model.pkl"]  # Python's zipfile accepts it
    r.finding("formats/rule_mv306_prepended_script.zip", prepended, ["MV306"],
              "a Python script followed by a zipfile archive, which Python's zipfile opens")

    # MV402: np.save output with the last 8 payload bytes cut.
    full = npy_bytes(np.arange(4, dtype="<f4"))
    r.notice("formats/rule_mv402_payload_short.npy", full[:-8], ["MV402"],
              "np.save of 4 float32 values, cut by 8 bytes")

    # MV403: a header without the fortran_order key np.load requires.
    header = b"{'descr': '<f4', 'shape': (4,), }"
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    r.finding("formats/rule_mv403_header_missing_key.npy",
              b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(16),
              ["MV403"], ".npy v1.0 header without fortran_order (np.load refuses it)")
