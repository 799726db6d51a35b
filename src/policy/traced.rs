//! Exact (module, name) pairs traced from what the libraries themselves pickle.
//!
//! `testdata/gen_corpus.py` writes ordinary objects with the real libraries at the versions
//! pinned in `testdata/requirements.txt` and records every global each file imports
//! (`testdata/fixtures/library_globals.json`); a test checks this table against that record.
//! Each entry keeps the library and version it was traced from and why loading it is
//! inert: the classes are rebuilt from plain data, and the functions are the libraries' own
//! reconstruction helpers, which build an object of their own kind from their arguments.
//! A pair is added only when traced from a real file; nothing here is a module prefix.

/// One group of pairs of one module.
pub(crate) struct Traced {
    pub module: &'static str,
    pub names: &'static [&'static str],
    /// Library and version the pairs were traced from.
    pub traced_from: &'static str,
    /// Read by the tests and reviewers: every entry says why it is inert.
    #[cfg_attr(not(test), allow(dead_code))]
    pub why: &'static str,
}

const ESTIMATOR: &str = "an estimator or transformer class, rebuilt with __new__ and its state \
                         dict (BaseEstimator.__setstate__ only checks the version)";
const CYTHON_NEW: &str = "a Cython extension class rebuilt from numbers and arrays";
const RESULTS: &str = "a results or model class rebuilt from its state dict";

pub(crate) const TRACED: &[Traced] = &[
    // ------------------------------------------------------------------ numpy
    Traced {
        module: "numpy.ma",
        names: &["MaskedArray"],
        traced_from: "numpy 2.4.6",
        why: "masked arrays are rebuilt by numpy.ma.core._mareconstruct from this class",
    },
    Traced {
        module: "numpy.random.bit_generator",
        names: &["SeedSequence", "__pyx_unpickle_SeedSequence"],
        traced_from: "numpy 2.4.6",
        why: "a Generator's seed sequence: Cython's unpickle helper checks the layout \
              checksum, then SeedSequence.__new__ and a state tuple of numbers",
    },
    // ------------------------------------------------------------------ pandas
    Traced {
        module: "pandas",
        names: &[
            "Categorical",
            "CategoricalDtype",
            "DataFrame",
            "DatetimeTZDtype",
            "Index",
            "IntervalIndex",
            "MultiIndex",
            "PeriodDtype",
            "PeriodIndex",
            "RangeIndex",
            "Series",
            "StringDtype",
        ],
        traced_from: "pandas 3.1.1",
        why: "pandas' public data classes and dtypes, rebuilt from arrays, labels and \
              frequency strings",
    },
    Traced {
        module: "pandas.arrays",
        names: &[
            "DatetimeArray",
            "PeriodArray",
            "StringArray",
            "TimedeltaArray",
        ],
        traced_from: "pandas 3.1.1",
        why: "extension arrays, passed to pandas' NDArrayBacked unpickle helper",
    },
    Traced {
        module: "pandas._libs.arrays",
        names: &["__pyx_unpickle_NDArrayBacked"],
        traced_from: "pandas 3.1.1",
        why: "Cython unpickle helper: checks the layout checksum, then NDArrayBacked.__new__ \
              of the given array class with an ndarray and a dtype",
    },
    Traced {
        module: "pandas._libs.internals",
        names: &["_unpickle_block"],
        traced_from: "pandas 3.1.1",
        why: "builds a Block from an array, a placement and ndim",
    },
    Traced {
        module: "pandas._libs.tslibs.timestamps",
        names: &["_unpickle_timestamp"],
        traced_from: "pandas 3.1.1",
        why: "builds a Timestamp from an integer, a frequency, a timezone and a resolution",
    },
    Traced {
        module: "pandas.core.indexes.base",
        names: &["_new_Index"],
        traced_from: "pandas 3.1.1",
        why: "rebuilds an Index subclass from its data dict",
    },
    Traced {
        module: "pandas.core.indexes.interval",
        names: &["_new_IntervalIndex"],
        traced_from: "pandas 3.1.1",
        why: "rebuilds an IntervalIndex from its bounds",
    },
    Traced {
        module: "pandas.core.internals.managers",
        names: &["BlockManager", "SingleBlockManager"],
        traced_from: "pandas 3.1.1",
        why: "a DataFrame's or Series' block container, rebuilt from its blocks and axes",
    },
    // ------------------------------------------------------------------ scipy
    Traced {
        module: "scipy.optimize._lbfgsb_py",
        names: &["LbfgsInvHessProduct"],
        traced_from: "scipy 1.17.1 (inside statsmodels results)",
        why: "an optimizer's inverse Hessian, rebuilt from arrays",
    },
    Traced {
        module: "scipy.optimize._optimize",
        names: &["OptimizeResult"],
        traced_from: "scipy 1.17.1 (inside statsmodels results)",
        why: "a dict subclass holding an optimizer's result",
    },
    // ------------------------------------------------------------------ scikit-learn
    Traced {
        module: "sklearn._loss._loss",
        names: &["CyHalfBinomialLoss", "CyHalfPoissonLoss"],
        traced_from: "scikit-learn 1.9.1",
        why: CYTHON_NEW,
    },
    Traced {
        module: "sklearn._loss.link",
        names: &["Interval", "LogLink", "LogitLink"],
        traced_from: "scikit-learn 1.9.1",
        why: "link functions and their domain interval, plain classes with numeric state",
    },
    Traced {
        module: "sklearn._loss.loss",
        names: &["HalfBinomialLoss", "HalfPoissonLoss"],
        traced_from: "scikit-learn 1.9.1",
        why: "loss classes wrapping the Cython losses",
    },
    Traced {
        module: "sklearn.linear_model._sgd_fast",
        names: &["Hinge"],
        traced_from: "scikit-learn 1.9.1",
        why: CYTHON_NEW,
    },
    Traced {
        module: "sklearn.metrics._dist_metrics",
        names: &["EuclideanDistance64", "newObj"],
        traced_from: "scikit-learn 1.9.1",
        why: "a distance metric of a KD or ball tree: newObj(cls) is cls.__new__(cls) of a \
              Cython class, whose state follows",
    },
    Traced {
        module: "sklearn.neighbors._kd_tree",
        names: &["newObj"],
        traced_from: "scikit-learn 1.9.1",
        why: "newObj(cls) is cls.__new__(cls) of the KDTree, whose state follows",
    },
    Traced {
        module: "sklearn.utils.validation",
        names: &["check_array"],
        traced_from: "scikit-learn 1.9.1",
        why: "the validator HistGradientBoosting's categorical preprocessing wraps in \
              functools.partial; it only validates an array",
    },
    Traced {
        module: "sklearn.ensemble._hist_gradient_boosting.binning",
        names: &["_BinMapper"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.ensemble._hist_gradient_boosting.predictor",
        names: &["TreePredictor"],
        traced_from: "scikit-learn 1.9.1",
        why: "a fitted tree's node array",
    },
    Traced {
        module: "sklearn.cluster._kmeans",
        names: &["KMeans"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.compose._column_transformer",
        names: &["ColumnTransformer"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.decomposition._pca",
        names: &["PCA"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.dummy",
        names: &["DummyClassifier"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.ensemble._forest",
        names: &["RandomForestClassifier"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.ensemble._gb",
        names: &["GradientBoostingClassifier"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.ensemble._hist_gradient_boosting.gradient_boosting",
        names: &["HistGradientBoostingClassifier"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.ensemble._iforest",
        names: &["IsolationForest"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.feature_extraction.text",
        names: &["TfidfTransformer", "TfidfVectorizer"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.linear_model._base",
        names: &["LinearRegression"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.linear_model._glm.glm",
        names: &["PoissonRegressor"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.linear_model._logistic",
        names: &["LogisticRegression"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.linear_model._ridge",
        names: &["Ridge"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.linear_model._stochastic_gradient",
        names: &["SGDClassifier"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.naive_bayes",
        names: &["GaussianNB"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.neighbors._classification",
        names: &["KNeighborsClassifier"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.pipeline",
        names: &["Pipeline"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.preprocessing._data",
        names: &["StandardScaler"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.preprocessing._encoders",
        names: &["OneHotEncoder", "OrdinalEncoder"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.preprocessing._function_transformer",
        names: &["FunctionTransformer"],
        traced_from: "scikit-learn 1.9.1",
        why: "an estimator holding a function it calls at transform time, never on load; \
              the function is a global of its own and judged on its own",
    },
    Traced {
        module: "sklearn.preprocessing._label",
        names: &["LabelEncoder"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.svm._classes",
        names: &["SVC"],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    Traced {
        module: "sklearn.tree._classes",
        names: &[
            "DecisionTreeClassifier",
            "DecisionTreeRegressor",
            "ExtraTreeRegressor",
        ],
        traced_from: "scikit-learn 1.9.1",
        why: ESTIMATOR,
    },
    // ------------------------------------------------------------------ statsmodels
    Traced {
        module: "statsmodels.base.data",
        names: &["ModelData"],
        traced_from: "statsmodels 0.15.0",
        why: RESULTS,
    },
    Traced {
        module: "statsmodels.base.model",
        names: &["LikelihoodModelResults"],
        traced_from: "statsmodels 0.15.0",
        why: RESULTS,
    },
    Traced {
        module: "statsmodels.regression.linear_model",
        names: &["OLS", "OLSResults", "RegressionResultsWrapper"],
        traced_from: "statsmodels 0.15.0",
        why: RESULTS,
    },
    Traced {
        module: "statsmodels.tools.tools",
        names: &["Bunch"],
        traced_from: "statsmodels 0.15.0",
        why: "a dict subclass",
    },
    Traced {
        module: "statsmodels.tsa.arima.model",
        names: &["ARIMA", "ARIMAResults", "ARIMAResultsWrapper"],
        traced_from: "statsmodels 0.15.0",
        why: RESULTS,
    },
    Traced {
        module: "statsmodels.tsa.arima.params",
        names: &["SARIMAXParams"],
        traced_from: "statsmodels 0.15.0",
        why: RESULTS,
    },
    Traced {
        module: "statsmodels.tsa.arima.specification",
        names: &["SARIMAXSpecification"],
        traced_from: "statsmodels 0.15.0",
        why: RESULTS,
    },
    Traced {
        module: "statsmodels.tsa.base.tsa_model",
        names: &["TimeSeriesModel"],
        traced_from: "statsmodels 0.15.0",
        why: RESULTS,
    },
    Traced {
        module: "statsmodels.tsa.holtwinters.model",
        names: &["ExponentialSmoothing"],
        traced_from: "statsmodels 0.15.0",
        why: RESULTS,
    },
    Traced {
        module: "statsmodels.tsa.holtwinters.results",
        names: &["HoltWintersResults", "HoltWintersResultsWrapper"],
        traced_from: "statsmodels 0.15.0",
        why: RESULTS,
    },
    Traced {
        module: "statsmodels.tsa.statespace._initialization",
        names: &[
            "cInitialization",
            "dInitialization",
            "sInitialization",
            "zInitialization",
        ],
        traced_from: "statsmodels 0.15.0",
        why: CYTHON_NEW,
    },
    Traced {
        module: "statsmodels.tsa.statespace._kalman_filter",
        names: &[
            "cKalmanFilter",
            "dKalmanFilter",
            "sKalmanFilter",
            "zKalmanFilter",
        ],
        traced_from: "statsmodels 0.15.0",
        why: CYTHON_NEW,
    },
    Traced {
        module: "statsmodels.tsa.statespace._kalman_smoother",
        names: &[
            "cKalmanSmoother",
            "dKalmanSmoother",
            "sKalmanSmoother",
            "zKalmanSmoother",
        ],
        traced_from: "statsmodels 0.15.0",
        why: CYTHON_NEW,
    },
    Traced {
        module: "statsmodels.tsa.statespace._representation",
        names: &["cStatespace", "dStatespace", "sStatespace", "zStatespace"],
        traced_from: "statsmodels 0.15.0",
        why: CYTHON_NEW,
    },
    Traced {
        module: "statsmodels.tsa.statespace._simulation_smoother",
        names: &[
            "cSimulationSmoother",
            "dSimulationSmoother",
            "sSimulationSmoother",
            "zSimulationSmoother",
        ],
        traced_from: "statsmodels 0.15.0",
        why: CYTHON_NEW,
    },
    Traced {
        module: "statsmodels.tsa.statespace.initialization",
        names: &["Initialization"],
        traced_from: "statsmodels 0.15.0",
        why: RESULTS,
    },
    Traced {
        module: "statsmodels.tsa.statespace.kalman_smoother",
        names: &["SmootherResults"],
        traced_from: "statsmodels 0.15.0",
        why: RESULTS,
    },
    Traced {
        module: "statsmodels.tsa.statespace.sarimax",
        names: &["SARIMAX", "SARIMAXResults", "SARIMAXResultsWrapper"],
        traced_from: "statsmodels 0.15.0",
        why: RESULTS,
    },
    Traced {
        module: "statsmodels.tsa.statespace.simulation_smoother",
        names: &["SimulationSmoothResults", "SimulationSmoother"],
        traced_from: "statsmodels 0.15.0",
        why: RESULTS,
    },
    // ------------------------------------------------------------------ omegaconf
    Traced {
        module: "omegaconf.base",
        names: &["ContainerMetadata", "Metadata"],
        traced_from: "omegaconf 2.4.0",
        why: "dataclasses of a config node's type and flags",
    },
    Traced {
        module: "omegaconf.dictconfig",
        names: &["DictConfig"],
        traced_from: "omegaconf 2.4.0",
        why: "a config mapping; interpolations resolve on access, never on load",
    },
    Traced {
        module: "omegaconf.listconfig",
        names: &["ListConfig"],
        traced_from: "omegaconf 2.4.0",
        why: "a config list; interpolations resolve on access, never on load",
    },
    Traced {
        module: "omegaconf.nodes",
        names: &["AnyNode"],
        traced_from: "omegaconf 2.4.0",
        why: "a config value node",
    },
    // ------------------------------------------------------------------ transformers
    Traced {
        module: "transformers.training_args",
        names: &["OptimizerNames", "TrainingArguments"],
        traced_from: "transformers 5.25.0 (training_args.bin)",
        why: "TrainingArguments is a dataclass rebuilt with __new__ and its field dict \
              (__post_init__ does not run on load); OptimizerNames(value) looks an enum \
              member up",
    },
    Traced {
        module: "transformers.trainer_utils",
        names: &[
            "HubStrategy",
            "IntervalStrategy",
            "SaveStrategy",
            "SchedulerType",
        ],
        traced_from: "transformers 5.25.0 (training_args.bin)",
        why: "string enums: calling the class with a value looks a member up",
    },
    // ------------------------------------------------------------------ tokenizers
    Traced {
        module: "tokenizers",
        names: &["Tokenizer"],
        traced_from: "tokenizers 0.23.3",
        why: "the Rust tokenizer: called with a placeholder model, then __setstate__ parses \
              its JSON description (no code)",
    },
    Traced {
        module: "tokenizers.models",
        names: &["Model"],
        traced_from: "tokenizers 0.23.3",
        why: "the placeholder model a Tokenizer is constructed with before its state is set",
    },
    // ------------------------------------------------------------------ gensim
    Traced {
        module: "gensim.models.keyedvectors",
        names: &["KeyedVectors"],
        traced_from: "gensim 4.4.0",
        why: "word vectors rebuilt with __new__ and a state dict of arrays and a vocabulary",
    },
    Traced {
        module: "gensim.models.word2vec",
        names: &["Word2Vec"],
        traced_from: "gensim 4.4.0",
        why: "the model rebuilt with __new__ and its state dict",
    },
    Traced {
        module: "gensim.utils",
        names: &["call_on_class_only"],
        traced_from: "gensim 4.4.0 (stored as a model's `load` attribute)",
        why: "a function that only raises AttributeError; stored as a value, never called \
              on load",
    },
    Traced {
        module: "builtins",
        names: &["hash"],
        traced_from: "gensim 4.4.0 (Word2Vec's hashfxn)",
        why: "stored as a model's hash function; hash() of the values a pickle of allowed \
              classes can build has no side effect",
    },
    // ------------------------------------------------------------------ Python
    Traced {
        module: "typing",
        names: &["Any"],
        traced_from: "omegaconf 2.4.0 (a node's ref_type)",
        why: "a typing marker stored as a value; calling it raises",
    },
    Traced {
        module: "types",
        names: &["SimpleNamespace"],
        traced_from: "statsmodels 0.15.0 (ARIMA results)",
        why: "an attribute bag built from a dict of keyword arguments; the rest of `types` \
              (FunctionType, CodeType...) stays critical",
    },
    Traced {
        module: "random",
        names: &["Random"],
        traced_from: "CPython 3.11",
        why: "a Mersenne Twister whose state is a tuple of numbers",
    },
    Traced {
        module: "re",
        names: &["RegexFlag", "_compile"],
        traced_from: "CPython 3.11",
        why: "a compiled pattern is rebuilt by compiling its source text with its flags; \
              RegexFlag(n) looks an enum member up",
    },
    Traced {
        module: "zoneinfo",
        names: &["ZoneInfo", "ZoneInfo._unpickle"],
        traced_from: "CPython 3.11 (also pandas 3.1.1 tz-aware data)",
        why: "getattr(ZoneInfo, \"_unpickle\")(key, flag) reads the named zone from the \
              system's time-zone database, which refuses absolute and escaping keys",
    },
];

/// Whether an exact pair was traced from a library.
pub(crate) fn traced(module: &str, name: &str) -> bool {
    traced_from(module, name).is_some()
}

/// The library and version an exact pair was traced from, for the report's facts.
pub(crate) fn traced_from(module: &str, name: &str) -> Option<&'static str> {
    TRACED
        .iter()
        .find(|t| t.module == module && t.names.contains(&name))
        .map(|t| t.traced_from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::compat::map_py2_name;
    use crate::policy::{GlobalClass, Policy};

    /// Calls whose meaning the pickle VM settles from their arguments: allowed only
    /// through that (tests/fixtures.rs scans each corpus file clean).
    const RESOLVERS: &[(&str, &str)] = &[
        ("builtins", "getattr"),
        ("functools", "partial"),
        ("dill._dill", "_load_type"),
    ];

    #[derive(serde::Deserialize)]
    struct Record {
        versions: std::collections::BTreeMap<String, String>,
        files: std::collections::BTreeMap<String, Vec<(String, String)>>,
    }

    fn record() -> Record {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/fixtures/library_globals.json");
        let text = std::fs::read_to_string(&path).expect("the corpus record is committed");
        serde_json::from_str(&text).expect("the record is JSON")
    }

    fn library_of(module: &str) -> &'static str {
        match module.split('.').next().unwrap_or("") {
            "sklearn" => "scikit-learn",
            "numpy" => "numpy",
            "pandas" => "pandas",
            "scipy" => "scipy",
            "statsmodels" => "statsmodels",
            "omegaconf" => "omegaconf",
            "joblib" => "joblib",
            "dill" => "dill",
            "transformers" => "transformers",
            "tokenizers" => "tokenizers",
            "gensim" => "gensim",
            _ => "python",
        }
    }

    #[test]
    fn every_global_the_libraries_pickle_is_allowed() {
        let record = record();
        let policy = Policy::new();
        let mut missing = std::collections::BTreeMap::new();
        for (file, globals) in &record.files {
            for (module, name) in globals {
                // The record holds raw names; protocol 2 writes Python 2 spellings.
                let (module, name) = map_py2_name(module, name);
                if RESOLVERS.contains(&(module.as_str(), name.as_str())) {
                    continue;
                }
                if policy.classify(&module, &name).class != GlobalClass::Allowed {
                    let lib = library_of(&module);
                    let version = record.versions.get(lib).map(String::as_str).unwrap_or("");
                    missing
                        .entry(format!("{module}.{name}"))
                        .or_insert_with(|| format!("{lib} {version}, first in {file}"));
                }
            }
        }
        assert!(missing.is_empty(), "not on the allowlist: {missing:#?}");
    }

    #[test]
    fn every_traced_pair_comes_from_the_record_at_its_version() {
        let record = record();
        let recorded: std::collections::BTreeSet<(String, String)> = record
            .files
            .values()
            .flatten()
            .map(|(m, n)| map_py2_name(m, n))
            .collect();
        for t in TRACED {
            assert!(!t.why.is_empty(), "{}: say why it is inert", t.module);
            let lib = library_of(t.module);
            if let Some(version) = record.versions.get(lib) {
                assert!(
                    t.traced_from.starts_with(&format!("{lib} {version}")),
                    "{} was traced from {}, the corpus now pins {lib} {version}: trace it again",
                    t.module,
                    t.traced_from
                );
            }
            for name in t.names {
                // Pairs reached through getattr are not imported by name.
                let reached = name.contains('.');
                assert!(
                    reached || recorded.contains(&(t.module.to_string(), name.to_string())),
                    "{}.{name} is on the traced list but no corpus file imports it",
                    t.module
                );
            }
        }
    }
}
