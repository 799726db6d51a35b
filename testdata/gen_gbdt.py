"""Gradient-boosted tree models in their libraries' own file formats (issue 13): XGBoost JSON
and UBJSON (`Booster.save_model`), LightGBM text (`Booster.save_model`) and CatBoost binary
(`save_model`, `.cbm`), written by the
real libraries at the versions pinned in requirements.txt. These formats hold no code, so a
scan of a library-written file must end complete and clean.

The crafted variants start from those real files and change one field each, the way an
attacker edits a model to reach an unchecked index in the loader (LightGBM issue #7357).
Imported by generate.py."""

import json
import os
import tempfile

FOLDER = "formats/gbdt"


def _data():
    import numpy as np

    rng = np.random.RandomState(0)
    X = rng.rand(80, 4)
    y = (X[:, 0] + X[:, 1] > 1.0).astype(int)
    return np, X, y


def _xgboost_models():
    import xgboost as xgb

    np, X, y = _data()
    clf = xgb.XGBClassifier(n_estimators=3, max_depth=2, n_jobs=1, random_state=0, tree_method="exact")
    clf.fit(X, y)
    dart = xgb.XGBRegressor(booster="dart", n_estimators=2, max_depth=2, n_jobs=1, random_state=0,
                            tree_method="exact")
    dart.fit(X, X[:, 0])
    multi = xgb.XGBClassifier(n_estimators=2, max_depth=2, n_jobs=1, random_state=0, tree_method="exact")
    multi.fit(X, (X[:, 0] * 3).astype(int))
    return clf, dart, multi


def _saved(booster, suffix):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model" + suffix)
        booster.save_model(path)
        with open(path, "rb") as f:
            return f.read()


def _lightgbm_models():
    import lightgbm as lgb
    import pandas as pd

    np, X, y = _data()
    params = dict(n_estimators=3, num_leaves=4, n_jobs=1, random_state=0, verbose=-1,
                  deterministic=True, force_row_wise=True)
    clf = lgb.LGBMClassifier(**params).fit(X, y)
    frame = pd.DataFrame({"colour": pd.Categorical(np.array(["r", "g", "b", "y"])[(X[:, 0] * 4).astype(int)]),
                          "size": X[:, 1]})
    cat = lgb.LGBMRegressor(**params, min_data_per_group=1, cat_smooth=1, min_child_samples=2).fit(frame, X[:, 0])
    return clf, cat


def _lgb_text(model):
    return model.booster_.model_to_string().encode()


def generate(r):
    clf, dart, multi = _xgboost_models()
    for name, model, what in [
        ("xgboost_classifier", clf, "XGBClassifier, 3 trees"),
        ("xgboost_dart", dart, "XGBRegressor with the dart booster"),
        ("xgboost_multiclass", multi, "XGBClassifier with 3 classes"),
    ]:
        booster = model.get_booster()
        r.benign(f"{FOLDER}/{name}.json", _saved(booster, ".json"), f"{what}, Booster.save_model JSON")
        r.benign(f"{FOLDER}/{name}.ubj", _saved(booster, ".ubj"), f"{what}, Booster.save_model UBJSON")

    text = _saved(clf.get_booster(), ".json")
    model = json.loads(text)
    tree = model["learner"]["gradient_booster"]["model"]["trees"][0]
    tree["left_children"][0] = 40
    r.finding(f"{FOLDER}/xgboost_child_out_of_range.json", json.dumps(model, separators=(",", ":")).encode(),
              ["MV1102"], "a real XGBoost JSON model whose first tree's root has left child 40 "
              "in a tree of fewer nodes")
    model = json.loads(text)
    model["learner"]["gradient_booster"]["model"]["trees"][1]["split_indices"][0] = 9
    r.finding(f"{FOLDER}/xgboost_split_feature_out_of_range.json",
              json.dumps(model, separators=(",", ":")).encode(), ["MV1102"],
              "a real XGBoost JSON model whose second tree splits on feature 9 of 4")
    model = json.loads(text)
    del model["learner"]["gradient_booster"]["model"]["trees"][0]["right_children"][-1]
    r.finding(f"{FOLDER}/xgboost_array_length_mismatch.json",
              json.dumps(model, separators=(",", ":")).encode(), ["MV1101"],
              "a real XGBoost JSON model whose first tree lost one right_children entry")
    ubj = _saved(clf.get_booster(), ".ubj")
    r.add(f"{FOLDER}/xgboost_truncated.ubj", ubj[: len(ubj) // 2], "incomplete",
          "the first half of a real XGBoost UBJSON model")

    lgb_clf, lgb_cat = _lightgbm_models()
    real = _lgb_text(lgb_clf)
    r.benign(f"{FOLDER}/lightgbm_classifier.txt", real, "LGBMClassifier, 3 trees, Booster.save_model")
    r.benign(f"{FOLDER}/lightgbm_categorical.txt", _lgb_text(lgb_cat),
             "LGBMRegressor with a pandas categorical feature (cat_boundaries, cat_threshold)")
    r.finding(f"{FOLDER}/lightgbm_child_out_of_range.txt", _lightgbm_edit(real, b"left_child", 0, b"7"),
              ["MV1102"], "a real LightGBM model whose first tree's root has left child 7, "
              "past the tree's split nodes (LightGBM issue #7357)")
    r.finding(f"{FOLDER}/lightgbm_split_feature_out_of_range.txt",
              _lightgbm_edit(real, b"split_feature", 0, b"12"), ["MV1102"],
              "a real LightGBM model whose first tree splits on feature 12 of 4")
    sizes_line = next(line for line in real.split(b"\n") if line.startswith(b"tree_sizes="))
    sizes = sizes_line[len(b"tree_sizes="):].split(b" ")
    sizes[0] = str(int(sizes[0]) + 10).encode()
    r.finding(f"{FOLDER}/lightgbm_tree_sizes_wrong.txt",
              real.replace(sizes_line, b"tree_sizes=" + b" ".join(sizes), 1), ["MV1101"],
              "a real LightGBM model whose tree_sizes says the first tree is 10 bytes longer "
              "than it is")
    r.add(f"{FOLDER}/lightgbm_truncated.txt", real[: real.index(b"Tree=1")], "incomplete",
          "a real LightGBM model cut after its first tree")
    gen_catboost(r)


def _lightgbm_edit(text: bytes, key: bytes, position: int, value: bytes) -> bytes:
    """Sets value number `position` of the first `key=` line of the first tree."""
    start = text.index(b"\n" + key + b"=", text.index(b"Tree=0")) + 1
    end = text.index(b"\n", start)
    values = text[start + len(key) + 1:end].split(b" ")
    values[position] = value
    edited = text[:start] + key + b"=" + b" ".join(values) + text[end:]
    # Keep tree_sizes true to the edited text, so only the edited field is wrong.
    sizes_line = next(line for line in text.split(b"\n") if line.startswith(b"tree_sizes="))
    sizes = sizes_line[len(b"tree_sizes="):].split(b" ")
    sizes[0] = str(int(sizes[0]) + len(edited) - len(text)).encode()
    return edited.replace(sizes_line, b"tree_sizes=" + b" ".join(sizes), 1)


def _catboost_models():
    import numpy as np
    import pandas as pd
    from catboost import CatBoostClassifier, CatBoostRegressor

    _, X, y = _data()
    common = dict(depth=2, verbose=False, random_seed=0, thread_count=1, allow_writing_files=False)
    symmetric = CatBoostClassifier(iterations=3, **common).fit(X, y)
    depthwise = CatBoostRegressor(iterations=2, grow_policy="Depthwise", **common).fit(X, X[:, 0])
    frame = pd.DataFrame({"colour": np.array(["r", "g", "b", "y"])[(X[:, 0] * 4).astype(int)],
                          "size": X[:, 1]})
    categorical = CatBoostClassifier(iterations=2, **common).fit(frame, y, cat_features=["colour"])
    return symmetric, depthwise, categorical


def _cbm(model) -> bytes:
    """save_model bytes, with the two info entries that change per run (a random model guid,
    the finish time) fixed through CatBoost's own metadata proxy."""
    meta = model.get_metadata()
    meta["model_guid"] = "00000000-00000000-00000000-00000000"
    meta["train_finish_time"] = "2025-01-01T00:00:00Z"
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.cbm")
        model.save_model(path)
        with open(path, "rb") as f:
            return f.read()


def _fb_vector(data: bytes, trees_field: int):
    """(offset of the first element, count) of a vector field of the model's trees table,
    found the way a FlatBuffer reader finds it: root table at 8 + u32, field 1 of the core,
    then `trees_field` of the trees table."""
    import struct

    def u32(at):
        return struct.unpack_from("<I", data, at)[0]

    def field(table, i):
        vtable = table - struct.unpack_from("<i", data, table)[0]
        offset = struct.unpack_from("<H", data, vtable + 4 + 2 * i)[0]
        assert offset, (table, i)
        return table + offset

    core = 8 + u32(8)
    trees_at = field(core, 1)
    trees = trees_at + u32(trees_at)
    vec_at = field(trees, trees_field)
    vec = vec_at + u32(vec_at)
    return vec + 4, u32(vec)


def gen_catboost(r):
    import struct

    symmetric, depthwise, categorical = _catboost_models()
    sym = _cbm(symmetric)
    r.benign(f"{FOLDER}/catboost_classifier.cbm", sym,
             "CatBoostClassifier, 3 symmetric trees of depth 2, save_model .cbm")
    deep = _cbm(depthwise)
    r.benign(f"{FOLDER}/catboost_depthwise.cbm", deep,
             "CatBoostRegressor with grow_policy Depthwise (non-symmetric trees: step nodes and "
             "leaf ids), save_model .cbm")
    r.benign(f"{FOLDER}/catboost_categorical.cbm", _cbm(categorical),
             "CatBoostClassifier with a categorical feature: its CTR tables follow the core as "
             "the static_provider_v1 part")

    at, count = _fb_vector(sym, 2)  # TreeSizes
    assert count == 3
    edited = bytearray(sym)
    struct.pack_into("<i", edited, at, 3)
    r.finding(f"{FOLDER}/catboost_tree_depth_wrong.cbm", bytes(edited), ["MV1101", "MV1102"],
              "the classifier with its first tree's size set to 3: the sizes no longer add up to "
              "the splits, and the trees need more leaf values than the model has")

    at, count = _fb_vector(deep, 10)  # NonSymmetricStepNodes (two uint16 each)
    assert count >= 1
    edited = bytearray(deep)
    struct.pack_into("<H", edited, at + 2, 40)
    r.finding(f"{FOLDER}/catboost_step_out_of_tree.cbm", bytes(edited), ["MV1102"],
              "the depthwise model with its first node's right step set to 40 nodes ahead, past "
              "the end of its tree")
