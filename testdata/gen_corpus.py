"""The benign corpus of issue 13: ordinary objects written by the real libraries at the versions
pinned in requirements.txt, each saved three ways (pickle protocol 2, pickle protocol 5,
joblib.dump), plus dill's own pickles of plain data. Every file must scan clean at the default
gate (tests/fixtures.rs); a rule that fires on one of them is a false alarm.

Each file is loaded back through an unpickler that records every global it imports; the record,
with the library versions, is written to `library_globals.json` and tests/benign_corpus.rs
checks the built-in allowlist against it. Imported by generate.py."""

import collections
import datetime
import decimal
import fractions
import io
import json
import pathlib
import pickle
import random
import re
import types
import uuid
import warnings
import zoneinfo

FOLDER = "corpus"
RECORD = "library_globals.json"
LIBRARIES = ("numpy", "pandas", "scikit-learn", "scipy", "statsmodels", "omegaconf", "joblib", "dill",
             "transformers", "tokenizers", "gensim")


def _versions():
    from importlib.metadata import version

    return {lib: version(lib) for lib in LIBRARIES}


def _data():
    import numpy as np

    rng = np.random.RandomState(0)
    X = rng.rand(40, 3)
    y = (X[:, 0] > 0.5).astype(int)
    return np, rng, X, y


def numpy_objects():
    np, _, _, _ = _data()
    return {
        "numpy_generator": (np.random.default_rng(0), "numpy.random.Generator(PCG64) with its SeedSequence"),
        "numpy_randomstate": (np.random.RandomState(0), "legacy numpy.random.RandomState"),
        "numpy_seedsequence": (np.random.SeedSequence(0), "numpy.random.SeedSequence"),
        "numpy_mt19937": (np.random.MT19937(0), "numpy.random.MT19937 bit generator"),
        "numpy_datetime64": (np.array(["2024-01-01", "2024-02-01"], dtype="datetime64[D]"), "datetime64 array"),
        "numpy_structured": (np.zeros(2, dtype=[("a", "<i4"), ("b", "<f8")]), "structured dtype array"),
        "numpy_scalars": ([np.float64(1.5), np.int32(3), np.bool_(True)], "numpy scalars"),
        "numpy_masked": (np.ma.masked_array([1, 2, 3], mask=[0, 1, 0]), "masked array"),
    }


def pandas_objects():
    import pandas as pd

    return {
        "pandas_series": (pd.Series([1.0, 2.0]), "pd.Series([1.0, 2.0])"),
        "pandas_frame": (pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}), "a two-column DataFrame"),
        "pandas_tz_series": (pd.Series(pd.date_range("2024-01-01", periods=2, tz="Europe/Paris")),
                             "tz-aware datetimes (zoneinfo)"),
        "pandas_period": (pd.Series([1, 2], index=pd.period_range("2024-01", periods=2, freq="M")),
                          "a Period index"),
        "pandas_multiindex": (pd.DataFrame({"v": [1, 2]}, index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)])),
                              "a MultiIndex DataFrame"),
        "pandas_categorical": (pd.Series(["a", "b", "a"], dtype="category"), "a categorical Series"),
        "pandas_timestamp": (pd.Timestamp("2024-01-01", tz="UTC"), "a UTC Timestamp"),
        "pandas_timedelta": (pd.Series(pd.to_timedelta([1, 2], unit="s")), "timedeltas"),
        "pandas_interval": (pd.Series([1, 2], index=pd.interval_range(0, 2)), "an interval index"),
    }


def sklearn_objects():
    from sklearn.cluster import KMeans
    from sklearn.compose import ColumnTransformer
    from sklearn.decomposition import PCA
    from sklearn.ensemble import (GradientBoostingClassifier, HistGradientBoostingClassifier,
                                  IsolationForest, RandomForestClassifier)
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import (LinearRegression, LogisticRegression, PoissonRegressor, Ridge,
                                      SGDClassifier)
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import LabelEncoder, OneHotEncoder, StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeRegressor

    np, rng, X, y = _data()
    Xc = np.c_[rng.randint(0, 3, 40), X[:, 1:]]
    tfidf = TfidfVectorizer().fit(["alpha beta gamma", "beta gamma delta"])
    # id() of the stop-word list, kept only to warn once: a memory address, different on
    # every run, so it is dropped to keep the file reproducible.
    del tfidf._stop_words_id
    return {
        "sklearn_gradient_boosting": (GradientBoostingClassifier(n_estimators=3, random_state=0).fit(X, y),
                                      "GradientBoostingClassifier (Cython loss)"),
        "sklearn_hist_gb_categorical": (
            HistGradientBoostingClassifier(max_iter=3, categorical_features=[0], random_state=0).fit(Xc, y),
            "HistGradientBoostingClassifier with categorical_features (functools.partial(check_array))"),
        "sklearn_sgd": (SGDClassifier(random_state=0, max_iter=5, tol=None).fit(X, y),
                        "SGDClassifier (Cython Hinge loss)"),
        "sklearn_poisson": (PoissonRegressor().fit(X, y + 1), "PoissonRegressor"),
        "sklearn_random_forest": (RandomForestClassifier(n_estimators=2, max_depth=2, random_state=0).fit(X, y),
                                  "RandomForestClassifier"),
        "sklearn_isolation_forest": (IsolationForest(n_estimators=2, random_state=0).fit(X), "IsolationForest"),
        "sklearn_kmeans": (KMeans(2, n_init=1, random_state=0).fit(X), "KMeans"),
        "sklearn_pca": (PCA(2, random_state=0).fit(X), "PCA"),
        "sklearn_svc": (SVC().fit(X, y), "SVC"),
        "sklearn_knn_kdtree": (KNeighborsClassifier(algorithm="kd_tree").fit(X, y),
                               "KNeighborsClassifier on a KDTree"),
        "sklearn_tfidf": (tfidf, "TfidfVectorizer"),
        "sklearn_naive_bayes": (GaussianNB().fit(X, y), "GaussianNB"),
        "sklearn_linear": (LinearRegression().fit(X, y), "LinearRegression"),
        "sklearn_logistic_regression": (LogisticRegression().fit(X, y), "LogisticRegression"),
        "sklearn_ridge": (Ridge().fit(X, y), "Ridge"),
        "sklearn_tree": (DecisionTreeRegressor(max_depth=2, random_state=0).fit(X, y), "DecisionTreeRegressor"),
        "sklearn_onehot": (OneHotEncoder().fit([["a"], ["b"]]), "OneHotEncoder"),
        "sklearn_label_encoder": (LabelEncoder().fit(["a", "b"]), "LabelEncoder"),
        "sklearn_column_pipeline": (make_pipeline(ColumnTransformer([("s", StandardScaler(), [0])]),
                                                  LinearRegression()).fit(X, y),
                                    "Pipeline(ColumnTransformer(StandardScaler), LinearRegression)"),
    }


def statsmodels_objects():
    import numpy as np
    import statsmodels.api as sm
    from statsmodels.tsa.arima.model import ARIMA
    from statsmodels.tsa.holtwinters import ExponentialSmoothing
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    _, _, X, y = _data()
    ts = np.sin(np.arange(40) / 3.0) + 2
    return {
        "statsmodels_ols": (sm.OLS(y, sm.add_constant(X)).fit(), "OLS results"),
        "statsmodels_arima": (ARIMA(ts, order=(1, 0, 0)).fit(), "ARIMA results (types.SimpleNamespace)"),
        "statsmodels_sarimax": (SARIMAX(ts, order=(1, 0, 0)).fit(disp=False), "SARIMAX results"),
        "statsmodels_holt_winters": (ExponentialSmoothing(ts, trend="add").fit(), "Holt-Winters results"),
    }


def omegaconf_objects():
    from omegaconf import OmegaConf

    return {
        "omegaconf_dictconfig": (OmegaConf.create({"lr": 0.1, "model": {"layers": [1, 2]}}),
                                 "DictConfig (typing.Any)"),
        "omegaconf_listconfig": (OmegaConf.create([1, "x"]), "ListConfig"),
    }


def transformers_objects():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import TrainingArguments

    tokenizer = Tokenizer(models.WordLevel({"a": 0, "b": 1, "[UNK]": 2}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    return {
        # What Trainer writes as training_args.bin (torch.save pickles the same object).
        "transformers_training_args": (TrainingArguments(output_dir="out", report_to="none"),
                                       "transformers TrainingArguments with its enums "
                                       "(IntervalStrategy, SaveStrategy, HubStrategy, SchedulerType, "
                                       "OptimizerNames)"),
        "tokenizers_word_level": (tokenizer, "a tokenizers Tokenizer (WordLevel model, Whitespace "
                                             "pre-tokenizer), rebuilt from its JSON"),
    }


def gensim_files():
    """gensim's own save format (SaveLoad.save: a pickle, arrays inline when small) of a
    Word2Vec model and its KeyedVectors. Word2Vec keeps `hashfxn=builtins.hash` as a stored
    value. Vectors are set by hand (gensim seeds them from str hashes, which vary by
    process) and the lifecycle log (timestamps, host platform) is left out."""
    import os
    import tempfile

    import numpy as np
    from gensim import utils
    from gensim.models import Word2Vec

    sentences = [["a", "b", "c"], ["b", "c", "d"], ["a", "d"]] * 5
    keep = utils.SaveLoad.add_lifecycle_event
    utils.SaveLoad.add_lifecycle_event = lambda self, *a, **k: None
    try:
        model = Word2Vec(vector_size=4, min_count=1, workers=1, seed=1)
        model.build_vocab(sentences)
        vectors = model.wv.vectors
        vectors[:] = np.arange(vectors.size, dtype=vectors.dtype).reshape(vectors.shape) / 10
        model.lifecycle_events = model.wv.lifecycle_events = None
        with tempfile.TemporaryDirectory() as tmp:
            model.save(os.path.join(tmp, "w2v.model"))
            model.wv.save(os.path.join(tmp, "vectors.kv"))
            files = {n: pathlib.Path(tmp, n).read_bytes() for n in ("w2v.model", "vectors.kv")}
    finally:
        utils.SaveLoad.add_lifecycle_event = keep
    return [
        ("gensim_word2vec.model", files["w2v.model"],
         "gensim Word2Vec.save (hashfxn=builtins.hash stored as a value, call_on_class_only)"),
        ("gensim_keyed_vectors.kv", files["vectors.kv"], "gensim KeyedVectors.save"),
    ]


def stdlib_objects():
    return {
        "stdlib_regex": (re.compile(r"a+b", re.I), "a compiled regex (re._compile, re.RegexFlag)"),
        "stdlib_regex_flag": (re.RegexFlag.IGNORECASE, "an enum member of the standard library"),
        "stdlib_random": (random.Random(0), "random.Random state"),
        "stdlib_zoneinfo": (datetime.datetime(2024, 1, 1, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
                            "a tz-aware datetime (getattr(zoneinfo.ZoneInfo, '_unpickle'))"),
        "stdlib_utc": (datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc), "a UTC datetime"),
        "stdlib_numbers": ([decimal.Decimal("1.5"), fractions.Fraction(1, 3), complex(1, 2)],
                           "Decimal, Fraction, complex"),
        "stdlib_paths": ([pathlib.PurePosixPath("/a/b"), pathlib.PurePath("c")], "pure paths"),
        "stdlib_collections": ([collections.OrderedDict(a=1), collections.Counter("aab"),
                                collections.deque([1]), collections.defaultdict(list)],
                               "OrderedDict, Counter, deque, defaultdict(list)"),
        "stdlib_namespaces": ([types.SimpleNamespace(a=1)], "types.SimpleNamespace"),
        "stdlib_uuid": (uuid.UUID(int=1), "a UUID"),
        "stdlib_containers": ([frozenset([1]), bytearray(b"x"), range(3), slice(1, 2), {1}],
                              "frozenset, bytearray, range, slice, set"),
    }


class _Recorder(pickle.Unpickler):
    def __init__(self, f, seen):
        super().__init__(f)
        self.seen = seen

    def find_class(self, module, name):
        self.seen.add((module, name))
        return super().find_class(module, name)


def _joblib_recorder(seen):
    from joblib import numpy_pickle

    class JoblibRecorder(numpy_pickle.NumpyUnpickler):
        def find_class(self, module, name):
            seen.add((module, name))
            return super().find_class(module, name)

    return JoblibRecorder


def _globals_of(data, joblib_file):
    """Loads a file the generator itself just wrote with the real library (never a fixture
    of unknown origin) and returns the globals the load imported."""
    seen = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if joblib_file:
            cls = _joblib_recorder(seen)
            cls("<bytes>", io.BytesIO(data), ensure_native_byte_order="auto").load()
        else:
            _Recorder(io.BytesIO(data), seen).load()
    return sorted(seen)


def _joblib_bytes(obj):
    import joblib

    buf = io.BytesIO()
    joblib.dump(obj, buf)
    return buf.getvalue()


def generate(r):
    import dill

    record = {"versions": _versions(), "files": {}}
    families = [numpy_objects(), pandas_objects(), sklearn_objects(), statsmodels_objects(),
                omegaconf_objects(), transformers_objects(), stdlib_objects()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for family in families:
            for stem, (obj, what) in family.items():
                ways = [
                    (f"{stem}_p2.pkl", pickle.dumps(obj, protocol=2), False, "pickle protocol 2"),
                    (f"{stem}_p5.pkl", pickle.dumps(obj, protocol=5), False, "pickle protocol 5"),
                    (f"{stem}.joblib", _joblib_bytes(obj), True, "joblib.dump"),
                ]
                for name, data, joblib_file, how in ways:
                    path = f"{FOLDER}/{name}"
                    record["files"][path] = _globals_of(data, joblib_file)
                    r.benign(path, data, f"{what}, {how}")
        for name, obj, what in [
            ("dill_plain_types.pkl", {"a": [1, 2], "t": list, "d": dict}, "dill.dumps of data holding the types list and dict (dill._dill._load_type)"),
            ("dill_plain_data.pkl", [1, 2.5, "x", (3,), {"k": None}], "dill.dumps of plain data"),
        ]:
            data = dill.dumps(obj)
            path = f"{FOLDER}/{name}"
            record["files"][path] = _globals_of(data, False)
            r.benign(path, data, what)
        # training_args.bin as transformers' Trainer writes it: torch.save of the arguments
        # (a torch zip whose data.pkl is the protocol 2 pickle, no storages).
        import generate as g
        from transformers import TrainingArguments

        pkl = pickle.dumps(TrainingArguments(output_dir="out", report_to="none"), protocol=2)
        path = f"{FOLDER}/training_args.bin"
        blob = g.torch_zip(g.torch_records(pkl, [], "torch2"))
        record["files"][path] = _globals_of(pkl, False)
        r.benign(path, blob, "training_args.bin as transformers 5.25.0's Trainer saves it "
                             "(torch.save of TrainingArguments: a torch zip holding the pickle)")
        for name, data, what in gensim_files():
            path = f"{FOLDER}/{name}"
            record["files"][path] = _globals_of(data, False)
            r.benign(path, data, what)
    text = json.dumps(record, indent=1, sort_keys=True) + "\n"
    r.extra_file(RECORD, text.encode())
