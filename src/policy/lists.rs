//! The built-in lists. The allowlist decides what is silent; everything else is a
//! finding whose severity the denylist sets. See docs/policy.md for the sources.

/// Exact (module, name) pairs that are inert to import and to call with pickled data.
/// Sources: torch 2.x `torch.load(weights_only=True)` allowed globals, NumPy's array and
/// scalar reconstruction helpers, joblib's array wrapper, and the plain value types that
/// real training checkpoints carry.
pub const ALLOWED: &[(&str, &[&str])] = &[
    ("collections", &["OrderedDict", "Counter", "defaultdict", "deque"]),
    ("builtins", &[
        "bytearray", "set", "frozenset", "complex", "slice", "range", "object", "int", "float",
        "str", "bytes", "bool", "tuple", "list", "dict", "Ellipsis", "NotImplemented",
    ]),
    ("_codecs", &["encode"]),
    ("copyreg", &["_reconstructor", "__newobj__", "__newobj_ex__"]),
    ("torch", &[
        "Size", "Tensor", "device", "dtype", "layout", "memory_format", "strided", "sparse_coo",
        "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "_mkldnn", "contiguous_format",
        "channels_last", "channels_last_3d", "preserve_format", "per_tensor_affine",
        "per_tensor_symmetric", "per_channel_affine", "per_channel_symmetric",
        "per_channel_affine_float_qparams",
        // dtypes
        "float64", "float32", "float16", "double", "float", "half", "int64", "int32", "int16",
        "int8", "long", "int", "short", "uint8", "uint16", "uint32", "uint64", "bool", "bfloat16",
        "complex128", "complex64", "complex32", "cdouble", "cfloat", "chalf", "bcomplex32",
        "qint8", "qint32", "quint8", "quint4x2", "quint2x4", "float8_e5m2", "float8_e4m3fn",
        "float8_e5m2fnuz", "float8_e4m3fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "bits8",
        "bits16", "bits1x8", "bits2x4", "bits4x2", "uint1", "uint2", "uint3", "uint4", "uint5",
        "uint6", "uint7", "int1", "int2", "int3", "int4", "int5", "int6", "int7",
        // typed storages
        "DoubleStorage", "FloatStorage", "LongStorage", "IntStorage", "ShortStorage",
        "CharStorage", "ByteStorage", "HalfStorage", "BoolStorage", "BFloat16Storage",
        "ComplexDoubleStorage", "ComplexFloatStorage", "QUInt8Storage", "QInt8Storage",
        "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage", "UntypedStorage",
        "Float8_e5m2Storage", "Float8_e4m3fnStorage", "Float8_e5m2fnuzStorage",
        "Float8_e4m3fnuzStorage",
        // legacy tensor types
        "DoubleTensor", "FloatTensor", "LongTensor", "IntTensor", "ShortTensor", "CharTensor",
        "ByteTensor", "HalfTensor", "BoolTensor", "BFloat16Tensor", "ComplexDoubleTensor",
        "ComplexFloatTensor",
    ]),
    ("torch.cuda", &[
        "DoubleStorage", "FloatStorage", "LongStorage", "IntStorage", "ShortStorage",
        "CharStorage", "ByteStorage", "HalfStorage", "BoolStorage", "BFloat16Storage",
        "ComplexDoubleStorage", "ComplexFloatStorage", "DoubleTensor", "FloatTensor",
        "LongTensor", "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "HalfTensor",
        "BoolTensor", "BFloat16Tensor",
    ]),
    ("torch.storage", &["UntypedStorage", "TypedStorage", "_LegacyStorage"]),
    ("torch.nn.parameter", &["Parameter", "Buffer"]),
    ("torch.serialization", &["_get_layout"]),
    ("torch._utils", &[
        "_rebuild_parameter", "_rebuild_parameter_with_state", "_rebuild_qtensor",
        "_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_tensor_v3", "_rebuild_sparse_tensor",
        "_rebuild_meta_tensor_no_storage", "_rebuild_wrapper_subclass",
        "_rebuild_device_tensor_from_numpy", "_rebuild_device_tensor_from_cpu_tensor",
    ]),
    ("torch._tensor", &["_rebuild_from_type_v2"]),
    ("numpy", &[
        "ndarray", "dtype", "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16",
        "uint32", "uint64", "float16", "float32", "float64", "longdouble", "complex64",
        "complex128", "clongdouble", "str_", "bytes_", "object_", "void", "datetime64",
        "timedelta64", "intc", "uintc", "longlong", "ulonglong",
    ]),
    ("numpy.core.multiarray", &["_reconstruct", "scalar"]),
    ("numpy._core.multiarray", &["_reconstruct", "scalar"]),
    ("numpy.core.numeric", &["_frombuffer"]),
    ("numpy._core.numeric", &["_frombuffer"]),
    ("numpy.ma.core", &["_mareconstruct", "MaskedArray"]),
    ("numpy.random._pickle", &["__randomstate_ctor", "__bit_generator_ctor", "__generator_ctor"]),
    ("numpy.random.mtrand", &["RandomState"]),
    ("numpy.random._mt19937", &["MT19937"]),
    ("numpy.random._pcg64", &["PCG64", "PCG64DXSM"]),
    ("numpy.random._philox", &["Philox"]),
    ("numpy.random._sfc64", &["SFC64"]),
    ("numpy.random._generator", &["Generator"]),
    ("numpy.dtypes", &[
        "BoolDType", "Int8DType", "Int16DType", "Int32DType", "Int64DType", "UInt8DType",
        "UInt16DType", "UInt32DType", "UInt64DType", "Float16DType", "Float32DType",
        "Float64DType", "Complex64DType", "Complex128DType", "ObjectDType", "StrDType",
        "BytesDType", "VoidDType",
    ]),
    ("joblib.numpy_pickle", &["NumpyArrayWrapper"]),
    ("datetime", &["datetime", "date", "time", "timedelta", "timezone"]),
    ("argparse", &["Namespace"]),
    ("pathlib", &["Path", "PosixPath", "WindowsPath", "PurePath", "PurePosixPath", "PureWindowsPath"]),
    ("decimal", &["Decimal"]),
    ("fractions", &["Fraction"]),
    ("uuid", &["UUID"]),
    // Extension types of scikit-learn whose __reduce__ calls the class with plain numbers
    // and arrays: their "call" is object reconstruction, not a function call.
    ("sklearn.tree._tree", &["Tree"]),
    ("sklearn.neighbors._kd_tree", &["KDTree"]),
    ("sklearn.neighbors._ball_tree", &["BallTree"]),
];

/// Module prefixes whose import or call runs code, spawns processes, reaches the import
/// machinery or a name resolver, or deserialises nested data (MV101, critical).
/// Entries are `module` (all names) or `module:name` (one name, and attributes under it).
pub const EXEC: &[&str] = &[
    "builtins:eval", "builtins:exec", "builtins:compile", "builtins:__import__",
    "builtins:getattr", "builtins:setattr", "builtins:delattr", "builtins:globals",
    "builtins:locals", "builtins:vars", "builtins:breakpoint", "builtins:input",
    "builtins:help", "builtins:execfile", "builtins:reload", "builtins:__build_class__",
    "builtins:__loader__", "builtins:__spec__",
    "os", "posix", "nt", "_posixsubprocess", "subprocess", "sys", "pty", "popen2",
    "platform", "runpy", "importlib", "imp", "pkgutil", "pydoc", "zipimport", "code",
    "codeop", "ctypes", "_ctypes", "cffi", "pickle", "_pickle", "cPickle", "shelve",
    "joblib", "operator", "_operator", "functools:partial", "functools:reduce",
    "functools:partialmethod", "timeit", "profile", "cProfile", "trace", "pdb", "bdb",
    "doctest", "idlelib", "lib2to3", "_pyrepl", "pip", "setuptools", "pkg_resources",
    "distutils", "ensurepip", "venv", "uuid:_get_command_stdout", "imaplib:IMAP4_stream",
    "_osx_support", "_aix_support", "multiprocessing", "_multiprocessing", "concurrent",
    "asyncio", "_thread", "threading", "signal", "gc", "inspect", "copyreg", "site",
    "sitecustomize", "usercustomize", "_sitebuiltins", "cmd", "_winapi", "msvcrt", "winreg",
    "_winreg", "_xxsubinterpreters", "_interpreters", "tkinter",
    "numpy:load", "numpy:loads", "numpy.testing", "numpy.f2py", "numpy.distutils",
    "numpy.ctypeslib", "numpy.lib.npyio", "numpy.lib.format", "numpy.lib.utils",
    "torch:load", "torch:compile", "torch.hub", "torch.jit", "torch._dynamo", "torch.fx",
    "torch._inductor", "torch.utils.collect_env", "torch.utils.bottleneck",
    "torch._config_module", "torch.utils.data.datapipes", "torch.storage:_load_from_bytes",
    "torch.serialization", "torch.ops", "torch.classes", "torch.package",
    "torch.utils.cpp_extension", "torch.library", "torch._C", "torch._ops",
    "pandas:read_pickle", "pandas.io.pickle", "hydra", "omegaconf.OmegaConf:load",
    // scanners: a pickle that imports them is trying to switch them off
    "picklescan", "fickling", "modelscan", "modelaudit", "modelvet",
];

/// Modules whose globals rebuild code objects or functions (MV109, critical).
pub const CODE_OBJECT: &[&str] = &[
    "marshal", "types", "dill", "cloudpickle", "_marshal", "srsly.cloudpickle",
    "joblib.externals.cloudpickle", "builtins:function", "builtins:code",
];

/// File-system and network access without a shell (MV102, high).
pub const IO: &[&str] = &[
    "builtins:open", "io", "_io", "tempfile", "shutil", "pathlib", "glob", "fileinput",
    "linecache", "logging", "socket", "_socket", "ssl", "_ssl", "http", "urllib", "urllib3",
    "ftplib", "smtplib", "poplib", "imaplib", "nntplib", "telnetlib", "socketserver", "xmlrpc",
    "requests", "httpx", "aiohttp", "webbrowser", "mmap", "fcntl", "sqlite3", "_sqlite3",
    "dbm", "zipfile", "tarfile", "gzip", "bz2", "lzma", "mailbox", "smtpd", "codecs:open",
    "huggingface_hub", "fsspec", "smart_open", "boto3", "botocore", "numpy:fromfile",
    "numpy:memmap", "numpy:save", "numpy:savez", "numpy:savez_compressed", "numpy:savetxt",
    "numpy:loadtxt", "numpy:genfromtxt", "numpy:fromregex", "numpy:DataSource",
    "torch:save", "torch:from_file", "pandas:read_csv", "pandas.io", "safetensors.torch",
    "filecmp", "netrc", "posixpath", "ntpath", "genericpath",
];

/// Top-level packages of ML frameworks. Their classes are low when only rebuilt as plain
/// objects (NEWOBJ, copyreg._reconstructor), medium when called directly.
pub const FRAMEWORKS: &[&str] = &[
    "sklearn", "transformers", "tokenizers", "xgboost", "lightgbm", "catboost", "scipy",
    "pandas", "torch", "torchvision", "torchaudio", "torchtext", "timm", "sentence_transformers",
    "accelerate", "peft", "diffusers", "lightning", "pytorch_lightning", "lightning_fabric",
    "omegaconf", "keras", "tensorflow", "tf_keras", "jax", "jaxlib", "flax", "optax", "numpy",
    "statsmodels", "spacy", "thinc", "gensim", "fastai", "ultralytics", "mmengine", "mmcv",
    "detectron2", "fairseq", "nemo", "speechbrain", "einops", "tiktoken", "sentencepiece",
    "datasets", "evaluate", "torchmetrics", "imblearn", "category_encoders", "sktime",
    "prophet", "skorch", "onnx",
];
