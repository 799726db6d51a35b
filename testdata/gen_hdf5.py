"""HDF5 layouts (superblock versions, object header versions, attribute storage)
for the pure-Rust HDF5 reader (src/formats/hdf5.rs). Called by generate.py.

Every file is written by h5py (pinned in requirements.txt) into a temporary
directory and read back as bytes; h5py then re-opens it and the root group's
attributes are checked against what was written. The output is deterministic:
datasets use track_times=False and HDF5 writes no other clock-dependent field.

What each layout exercises in the reader:
  * default libver: superblock 0, version 1 object headers, version 1 attribute
    messages (8-byte padded name/datatype/dataspace), symbol-table root group;
  * libver v108: superblock 2; libver latest: superblock 3, "OHDR" version 2
    object headers, version 3 attribute messages (name character set);
  * non-default sizes of offsets/lengths (4 and 2 bytes): superblock 2;
  * a 512-byte user block: the superblock is found at offset 512;
  * many attributes: continuation messages (v1 continuation blocks, "OCHK");
  * more than 8 attributes with libver latest: dense attribute storage
    (fractal heap), which the reader reports as unsupported;
  * bytes values: fixed-length strings (class 3); str values: variable-length
    strings (class 9) whose bytes live in the global heap ("GCOL");
    lists: 1-D simple dataspaces.

None of these files is a model with code in it: they are registered as
"incomplete-or-clean" (benign content; the HDF5 scanner integration decides
between complete and incomplete), with the root attributes in the description.
"""

import json
import os
import tempfile

import h5py
import numpy as np

DIR = "formats/hdf5/"

# A Keras 2 style Sequential config: only built-in layers, nothing that runs code.
MODEL_CONFIG = {
    "class_name": "Sequential",
    "config": {
        "name": "sequential",
        "layers": [
            {"class_name": "InputLayer",
             "config": {"batch_input_shape": [None, 4], "dtype": "float32", "name": "input_1"}},
            {"class_name": "Dense",
             "config": {"name": "dense", "trainable": True, "dtype": "float32", "units": 3,
                        "activation": "relu", "use_bias": True}},
            {"class_name": "Dense",
             "config": {"name": "dense_1", "trainable": True, "dtype": "float32", "units": 1,
                        "activation": "linear", "use_bias": True}},
        ],
    },
}
MODEL_CONFIG_JSON = json.dumps(MODEL_CONFIG, sort_keys=True)
TRAINING_CONFIG_JSON = json.dumps(
    {"loss": "mse", "metrics": None, "optimizer_config": {"class_name": "SGD",
                                                          "config": {"learning_rate": 0.01}}},
    sort_keys=True,
)


def _h5_bytes(build, *, fcpl_sizes=None, **file_kw) -> bytes:
    """Runs build(f) on a fresh h5py.File and returns the file's bytes."""
    with tempfile.TemporaryDirectory(prefix="modelvet-h5-") as tmp:
        path = os.path.join(tmp, "f.h5")
        if fcpl_sizes is not None:
            fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
            fcpl.set_sizes(*fcpl_sizes)
            fcpl.set_obj_track_times(False)  # else the root OHDR stores the clock
            fid = h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl)
            with h5py.File(fid) as f:
                build(f)
        else:
            with h5py.File(path, "w", **file_kw) as f:
                build(f)
        with open(path, "rb") as fh:
            return fh.read()


def _root_attrs(data: bytes) -> dict:
    """The root attributes as h5py reads them back (proves the file is valid), each as
    (value, is variable-length string)."""
    with tempfile.TemporaryDirectory(prefix="modelvet-h5-") as tmp:
        path = os.path.join(tmp, "f.h5")
        with open(path, "wb") as fh:
            fh.write(data)
        with h5py.File(path, "r") as f:
            out = {}
            for k in f.attrs:
                t = f.attrs.get_id(k).get_type()
                vlen = t.get_class() == h5py.h5t.STRING and t.is_variable_str()
                out[k] = (f.attrs[k], vlen)
            return out


def _weights(f):
    """A small weights group like Keras' legacy layout (no attributes at the root)."""
    g = f.create_group("model_weights")
    g.attrs["layer_names"] = np.array([b"dense", b"dense_1"])
    for name, shape in (("dense", (4, 3)), ("dense_1", (3, 1))):
        lg = g.create_group(name)
        lg.attrs["weight_names"] = np.array([f"{name}/kernel:0".encode()])
        lg.create_dataset(f"{name}/kernel:0", data=np.arange(np.prod(shape), dtype="<f4")
                          .reshape(shape) / 10, track_times=False)


def _fixed_keras_attrs(f):
    _weights(f)
    # np.bytes_ is stored as a fixed-length string (as h5py 2 stored bytes); h5py 3
    # stores plain bytes as variable-length ASCII (see _small).
    f.attrs["backend"] = np.bytes_(b"tensorflow")
    f.attrs["keras_version"] = np.bytes_(b"2.15.0")
    f.attrs["model_config"] = np.bytes_(MODEL_CONFIG_JSON.encode())
    f.attrs["training_config"] = np.bytes_(TRAINING_CONFIG_JSON.encode())


def _vlen_attrs(f):
    _weights(f)
    f.attrs["keras_version"] = "2.15.0"
    f.attrs["model_config"] = MODEL_CONFIG_JSON
    f.attrs["note"] = "mod\u00e8le \u03b3"


def _arrays(f):
    f.attrs["layer_names"] = np.array([b"dense", b"dense_1", b"dropout"])
    f.attrs["tags"] = np.array(["alpha", "beta", "\u03b3"], dtype=h5py.string_dtype())
    f.attrs["one_name"] = np.array([b"only"])
    f.attrs["epoch"] = np.int64(7)
    f.attrs["lr"] = np.array([0.5, 0.25], dtype="<f4")


def _many_attrs(f):
    # The dataset is written first, so the root object header cannot grow in place.
    f.create_dataset("w", data=np.arange(16, dtype="<f4"), track_times=False)
    for i in range(40):
        f.attrs[f"attr_{i:02d}"] = np.bytes_((f"value {i} " * (10 + i)).encode())


def _ochk(f):
    f.create_dataset("w", data=np.arange(4, dtype="<f4"), track_times=False)
    f.attrs["a0"] = np.bytes_(b"first")
    f.flush()
    f.create_dataset("w2", data=np.arange(4, dtype="<f4"), track_times=False)
    for i in range(1, 8):
        f.attrs[f"attr_{i:02d}"] = np.bytes_(bytes([0x61 + i]) * 3000)


def _dense(f):
    f.attrs["model_config"] = np.bytes_(MODEL_CONFIG_JSON.encode())
    for i in range(11):
        f.attrs[f"attr_{i:02d}"] = np.bytes_(f"value {i}".encode())


def _small(f):
    f.attrs["keras_version"] = np.bytes_(b"2.15.0")
    f.attrs["backend"] = b"tensorflow"  # h5py 3: variable-length ASCII
    f.create_dataset("w", data=np.arange(4, dtype="<f4"), track_times=False)


def _plain(f):
    f.create_dataset("kernel", data=np.linspace(-1, 1, 12, dtype="<f4").reshape(4, 3),
                     track_times=False)
    f.create_dataset("bias", data=np.zeros(3, dtype="<f4"), track_times=False)
    f.attrs["epoch"] = np.int32(3)


def _describe(attrs: dict) -> str:
    if len(attrs) > 8:
        names = sorted(k for k in attrs if k.startswith("attr_"))
        kinds = sorted({"vlen" if attrs[k][1] else "fixed" for k in attrs})
        others = sorted(set(attrs) - set(names))
        return (f"{len(attrs)} {'/'.join(kinds)} string attributes: {names[0]} ... {names[-1]}"
                + "".join(f", {k}" for k in others))
    parts = []
    for k in sorted(attrs):
        v, vlen = attrs[k]
        kind = "vlen" if vlen else "fixed"
        if isinstance(v, (bytes, str)):
            n = len(v.encode() if isinstance(v, str) else v)
            parts.append(f"{k}={kind} string ({n} bytes)")
        elif isinstance(v, np.ndarray) and v.dtype.kind in "SO":
            parts.append(f"{k}={kind} string array of {v.size}")
        else:
            parts.append(f"{k}=numeric")
    return "; ".join(parts)


def generate(r):
    """Adds this module's fixtures to the registry `r` (generate.Registry)."""
    layouts = [
        ("h5_sb0_fixed_strings.h5", _fixed_keras_attrs, {},
         "h5py default libver (superblock 0, v1 object headers, v1 attribute messages), "
         "Keras-legacy-like root attributes as fixed-length strings"),
        ("h5_sb3_fixed_strings.h5", _fixed_keras_attrs, {"libver": "latest"},
         "h5py libver=latest (superblock 3, OHDR v2 object headers, v3 attribute messages), "
         "Keras-legacy-like root attributes as fixed-length strings"),
        ("h5_sb0_vlen_strings.h5", _vlen_attrs, {},
         "superblock 0, variable-length UTF-8 string attributes (global heap)"),
        ("h5_sb2_vlen_strings.h5", _vlen_attrs, {"libver": "v108"},
         "h5py libver=v108 (superblock 2, OHDR v2), variable-length UTF-8 string attributes "
         "(global heap)"),
        ("h5_sb0_string_arrays.h5", _arrays, {},
         "superblock 0, 1-D string array attributes (fixed and variable length) and numeric "
         "attributes"),
        ("h5_sb3_string_arrays.h5", _arrays, {"libver": "latest"},
         "superblock 3, 1-D string array attributes (fixed and variable length) and numeric "
         "attributes"),
        ("h5_sb0_continuation.h5", _many_attrs, {},
         "superblock 0, 40 attributes written after a dataset: v1 continuation blocks"),
        ("h5_sb3_ochk_continuation.h5", _ochk, {"libver": "latest"},
         "superblock 3, 8 attributes (7 of 3000 bytes) written after datasets: OCHK "
         "continuation chunks"),
        ("h5_sb3_dense_attributes.h5", _dense, {"libver": "latest"},
         "superblock 3, 12 attributes: dense attribute storage (fractal heap + v2 B-tree); "
         "the reader reports it as unsupported"),
        ("h5_sb2_offsets4.h5", _small, {"fcpl_sizes": (4, 4)},
         "4-byte offsets and lengths (superblock 2)"),
        ("h5_sb2_offsets2.h5", _small, {"fcpl_sizes": (2, 2)},
         "2-byte offsets and lengths (superblock 2)"),
        ("h5_userblock512.h5", _small, {"userblock_size": 512},
         "512-byte user block: superblock 0 at offset 512, addresses relative to it"),
        ("h5_sb3_track_order.h5", _small, {"libver": "latest", "track_order": True},
         "superblock 3 with attribute creation order tracked (OHDR message creation-order "
         "fields)"),
        ("h5_sb0_plain_weights.h5", _plain, {},
         "plain HDF5 weights (two datasets), not a Keras model: no model_config"),
    ]
    for name, build, kw, what in layouts:
        data = _h5_bytes(build, **kw)
        assert _h5_bytes(build, **kw) == data, f"{name}: h5py output is not deterministic"
        # No object header may store times (flag 0x20): they would change every run.
        at = data.find(b"OHDR")
        while at >= 0:
            assert not data[at + 5] & 0x20, f"{name}: object header at {at} stores times"
            at = data.find(b"OHDR", at + 4)
        attrs = _root_attrs(data)
        assert attrs, name
        desc = f"{what}. Root attributes: {_describe(attrs)}"
        r.add(DIR + name, data, "incomplete-or-clean", desc)
