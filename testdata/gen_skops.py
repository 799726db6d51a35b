"""skops files (issue 13): scikit-learn models saved by skops.io.dumps (pinned in
requirements.txt). skops is a format without code, but skops.io.load builds whatever types
the file's schema names once the caller trusts them, and most callers trust what
`get_untrusted_types` lists. Each entry records that list (`skops_untrusted`); the Rust
reader must report exactly the same types.

skops names array members and `__id__` fields after Python object ids, which change from
run to run; the generator renumbers them in order of appearance (and renames the members
to match), then proves the renumbered file loads and predicts as the original did.
Imported by generate.py."""

import io
import json
import re
import zipfile

FOLDER = "formats/skops"


def _data():
    import numpy as np

    rng = np.random.RandomState(0)
    X = rng.rand(40, 3)
    y = (X[:, 0] + X[:, 1] > 1.0).astype(int)
    return np, X, y


def _renumbered(data: bytes) -> bytes:
    """The skops zip with object ids renumbered 1, 2, ... in order of appearance, and every
    member named after one (`<id>.npy`, `<id>.npz`, `<uuid4>.bin`) renamed `m<k><ext>` in
    the order the schema names them."""
    import generate as g

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    schema = members.pop("schema.json").decode()
    ids = {}
    for match in re.finditer(r'"__id__": (\d+)', schema):
        ids.setdefault(match.group(1), str(len(ids) + 1))
    schema = re.sub(r'"__id__": (\d+)', lambda m: f'"__id__": {ids[m.group(1)]}', schema)
    names = {}
    if not members:
        return g.plain_zip([("schema.json", schema.encode())])
    quoted = re.compile("|".join(re.escape(f'"{n}"') for n in sorted(members, key=len, reverse=True)))
    for match in quoted.finditer(schema):
        old = match.group(0)[1:-1]
        ext = old[old.index("."):] if "." in old else ""
        names.setdefault(old, f"m{len(names) + 1}{ext}")
    assert set(names) == set(members), (sorted(members), names)
    schema = quoted.sub(lambda m: f'"{names[m.group(0)[1:-1]]}"', schema)
    renamed = sorted((names[n], blob) for n, blob in members.items())
    return g.plain_zip(renamed + [("schema.json", schema.encode())])


def _saved(model, X):
    """skops bytes of `model`, renumbered, checked to load (trusting what skops lists) and to
    predict as the model does; with the list of types skops does not trust by default."""
    import skops.io as sio

    data = _renumbered(sio.dumps(model))
    untrusted = sorted(sio.get_untrusted_types(data=data))
    if X is not None:
        loaded = sio.loads(data, trusted=untrusted)
        assert (loaded.predict(X) == model.predict(X)).all()
    return data, untrusted


def generate(r):
    import builtins
    import functools
    import os

    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    np, X, y = _data()

    pipeline = make_pipeline(FunctionTransformer(np.log1p), StandardScaler(),
                             LogisticRegression()).fit(X, y)
    data, untrusted = _saved(pipeline, X)
    assert untrusted == [], untrusted
    r.benign(f"{FOLDER}/logistic_pipeline.skops", data,
             "skops 0.16.0 dump of a Pipeline (FunctionTransformer(numpy.log1p), StandardScaler, "
             "LogisticRegression): every type is one skops trusts", skops_untrusted=untrusted)

    forest = RandomForestClassifier(n_estimators=2, max_depth=2, random_state=0).fit(X, y)
    data, untrusted = _saved(forest, X)
    r.notice(f"{FOLDER}/random_forest.skops", data, ["MV1301"],
             "skops dump of a RandomForestClassifier: skops 0.16.0 does not trust "
             "sklearn.tree._tree.Tree by default (scikit-learn indexes its nodes unchecked); "
             "scikit-learn's own class, so low", skops_untrusted=untrusted)

    hist = HistGradientBoostingClassifier(max_iter=3, random_state=0).fit(X, y)
    data, untrusted = _saved(hist, X)
    r.notice(f"{FOLDER}/hist_gradient_boosting.skops", data, ["MV1301"],
             "skops dump of a HistGradientBoostingClassifier (loss and binning objects; "
             "TreePredictor untrusted by skops 0.16.0 by default); scikit-learn's own, so low",
             skops_untrusted=untrusted)

    shell = make_pipeline(FunctionTransformer(os.system)).fit(X, y)
    data, untrusted = _saved(shell, None)
    r.finding(f"{FOLDER}/function_os_system.skops", data, ["MV1301"],
              "a FunctionTransformer whose func is os.system: once trusted, transform() runs each "
              "input row as a shell command (critical)", skops_untrusted=untrusted)

    evaluate = make_pipeline(FunctionTransformer(functools.partial(builtins.eval))).fit(X, y)
    data, untrusted = _saved(evaluate, None)
    r.finding(f"{FOLDER}/partial_eval.skops", data, ["MV1301"],
              "a FunctionTransformer whose func is functools.partial(builtins.eval) (critical)",
              skops_untrusted=untrusted)

    blobs = {"vocabulary": b"alpha\nbeta\n", "state": bytearray(b"\x00\x01\x02"),
             "weights": np.arange(4.0)}
    data, untrusted = _saved(blobs, None)
    assert untrusted == [], untrusted
    r.benign(f"{FOLDER}/bytes_values.skops", data,
             "a dict of bytes, bytearray and an array: skops writes the first two as raw "
             "members named <uuid>.bin, which are data, not models", skops_untrusted=untrusted)

    import collections
    import operator

    import scipy.sparse

    mixed = {
        "ordered": collections.OrderedDict(a=1), "default": collections.defaultdict(list),
        "random_state": np.random.RandomState(0), "generator": np.random.default_rng(0),
        "sparse": scipy.sparse.csr_matrix(np.eye(3)), "slice": slice(1, 5), "type": int,
        "dtype": np.dtype("<f4"), "bytes": b"xy", "bytearray": bytearray(b"z"),
        "masked": np.ma.masked_array([1.0, 2.0], mask=[False, True]), "set": {1, 2},
        "tuple": (1.5, "a"), "operator": operator.add, "method": "text".upper,
    }
    data, untrusted = _saved(mixed, None)
    r.finding(f"{FOLDER}/mixed_types.skops", data, ["MV1301"],
              "a dict of the types skops has loaders for (OrderedDict, defaultdict, RandomState, "
              "Generator, a CSR matrix, slice, type, dtype, bytes, bytearray, masked array, set, "
              "tuple, operator.add, a bound method); skops lists the ones it does not trust",
              skops_untrusted=untrusted)

    with zipfile.ZipFile(io.BytesIO(_saved(pipeline, X)[0])) as z:
        members = [(n, z.read(n)) for n in z.namelist()]
    edited = []
    for name, blob in members:
        if name == "schema.json":
            schema = json.loads(blob)
            assert schema["__loader__"] == "ObjectNode"
            schema["__loader__"] = "UnknownNode"
            blob = json.dumps(schema).encode()
        edited.append((name, blob))
    import generate as g
    import skops.io as sio
    try:
        sio.get_untrusted_types(data=g.plain_zip(edited))
        raise AssertionError("skops accepted an unknown loader")
    except TypeError:
        pass
    r.add(f"{FOLDER}/unknown_loader.skops", g.plain_zip(edited), "incomplete",
          "the logistic pipeline with its root node's __loader__ renamed UnknownNode: skops "
          "cannot read it, and neither can a checker")
