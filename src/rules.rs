//! The rule catalog: the single source for rule ids, default severities, CWE, rationale
//! and remediation. `docs/rules.md`, `modelvet rules` and SARIF rule metadata are all
//! rendered from [`CATALOG`].

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text.to_ascii_lowercase().as_str() {
            "info" => Some(Severity::Info),
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// Bumped whenever a rule is added, removed, or changes meaning or default severity.
pub const CATALOG_VERSION: &str = "2026.12.3";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable identifier, never reused.
    pub id: &'static str,
    /// Short kebab-case name.
    pub name: &'static str,
    pub severity: Severity,
    pub cwe: u32,
    /// One line: what it detects.
    pub summary: &'static str,
    /// Why it matters.
    pub rationale: &'static str,
    /// What to do about it.
    pub remediation: &'static str,
    /// Whether a user's config may lower this rule's severity.
    pub may_lower: bool,
    /// A committed fixture that fires the rule, relative to `testdata/fixtures/` (a file,
    /// or a folder for rules about a repository); empty for rules that only a remote scan
    /// raises (their tests build the Hub's answer).
    pub example: &'static str,
}

macro_rules! rules {
    ($($konst:ident = $id:literal $name:literal $sev:ident cwe $cwe:literal lower $lower:literal
        summary $summary:literal why $why:literal fix $fix:literal example $example:literal;)*) => {
        $(pub const $konst: Rule = Rule {
            id: $id, name: $name, severity: Severity::$sev, cwe: $cwe,
            summary: $summary, rationale: $why, remediation: $fix, may_lower: $lower,
            example: $example,
        };)*
        /// Every rule, in id order.
        pub const CATALOG: &[Rule] = &[$($konst),*];
    };
}

rules! {
    PICKLE_EXEC_GLOBAL = "MV101" "pickle-exec-global" Critical cwe 502 lower false
        summary "A pickle imports a callable that runs code, starts processes, reaches the import machinery, resolves names at run time, or deserialises again."
        why "Unpickling imports the named object and may call it. Names such as os.system, builtins.eval, pkgutil.resolve_name, marshal.loads or pickle.loads give the file's author code execution on the machine that loads it."
        fix "Do not load this file. Obtain the model in a format without code paths (safetensors, GGUF, ONNX) or from a trusted source, and verify its signature."
        example "malicious/evasion03_posix_system.pkl";
    PICKLE_IO_GLOBAL = "MV102" "pickle-io-global" High cwe 502 lower false
        summary "A pickle imports a callable that reads or writes files or reaches the network."
        why "Loading the file can overwrite, read or exfiltrate data (io.FileIO, logging.FileHandler, urllib.request.urlopen, webbrowser.open) without running a shell."
        fix "Do not load this file. Ask the publisher for a weights-only format."
        example "malicious/evasion13_io_fileio.pkl";
    PICKLE_UNKNOWN_GLOBAL = "MV103" "pickle-unknown-global" Medium cwe 502 lower true
        summary "A pickle imports a global that is not on the allowlist."
        why "Importing a module runs its top-level code and the object may be called or mutated during load. modelvet allows only exact (module, name) pairs it knows to be inert; anything else needs a decision."
        fix "If the global is a class of your own code base, add the exact `module:name` pair to `[policy] allow` in modelvet.toml. Otherwise treat the file as untrusted."
        example "malicious/evasion01_timeit.pkl";
    PICKLE_FRAMEWORK_GLOBAL = "MV104" "pickle-framework-global" Low cwe 502 lower true
        summary "A pickle rebuilds an object of a known ML framework class (sklearn, transformers, ...) the way plain objects are rebuilt."
        why "Framework checkpoints store estimators as instances created with NEWOBJ or copyreg._reconstructor and filled with BUILD. That loads framework code you already trust; it is reported so the inventory is complete."
        fix "None needed when you trust the framework version installed where the file is loaded."
        example "formats/rule_mv104_framework_class.pkl";
    PICKLE_FRAMEWORK_CALL = "MV105" "pickle-framework-call" Medium cwe 502 lower true
        summary "A pickle calls a framework global directly instead of rebuilding an instance."
        why "A direct call runs an arbitrary framework function with attacker-chosen arguments; some framework functions read files, compile code or download data."
        fix "Check that the called function is a constructor you expect; allow the exact pair in modelvet.toml if it is."
        example "formats/rule_mv105_framework_call.pkl";
    PICKLE_DYNAMIC_IMPORT = "MV106" "pickle-dynamic-import" Critical cwe 502 lower false
        summary "STACK_GLOBAL takes its module or name from something other than a literal string."
        why "When the operands come from a call result or an unknown value, the imported name cannot be known before loading: the classic way to hide os.system from scanners."
        fix "Do not load this file."
        example "malicious/evasion05_dynamic_stack_global.pkl";
    PICKLE_EXT_OPCODE = "MV107" "pickle-ext-opcode" High cwe 502 lower false
        summary "A pickle imports through the copyreg extension registry (EXT1/EXT2/EXT4)."
        why "The imported object depends on what the loading process registered, so no scanner can know it; ordinary pickles never use extension codes."
        fix "Do not load this file unless you control the extension registry of the loader."
        example "formats/rule_mv107_extension_code.pkl";
    PICKLE_GLOBAL_MUTATION = "MV108" "pickle-global-mutation" High cwe 915 lower false
        summary "A pickle mutates an imported global (BUILD, SETITEM(S), APPEND(S) or ADDITEMS on the global itself)."
        why "Setting attributes or items on a module-level object (os.environ, sys.path, a class's methods) changes the behaviour of the loading process even when the global is otherwise harmless: the ShadowPickle and Sleepy Pickle techniques."
        fix "Do not load this file."
        example "malicious/evasion15_setitem_os_environ.pkl";
    PICKLE_CODE_OBJECT = "MV109" "pickle-code-object" Critical cwe 94 lower false
        summary "A pickle rebuilds a code object or function (marshal, types.CodeType, dill, cloudpickle)."
        why "Serialised bytecode is arbitrary code by definition; it runs as soon as the rebuilt function is called."
        fix "Load only if you produced the file yourself; prefer a format that stores data only."
        example "malicious/evasion12_marshal_function.pkl";
    PICKLE_MALFORMED = "MV110" "pickle-malformed-stream" Low cwe 20 lower true
        summary "A pickle stream is truncated, has an invalid opcode, or fails as CPython's unpickler would fail."
        why "Unpicklers execute the prefix of a broken stream before they raise, so a payload can hide in front of a deliberate error (the nullifAI technique). Findings before the error are kept."
        fix "Regenerate the file; treat any finding before the error as real."
        example "malicious/evasion07_eof_after_reduce.pkl";
    PICKLE_FRAME_DIVERGENCE = "MV111" "pickle-frame-divergence" Medium cwe 436 lower true
        summary "An opcode crosses a FRAME boundary, or a FRAME starts inside another frame."
        why "CPython's loaders disagree past such a read (measured on 3.11): pickle.loads and buffered files read across the boundary, while an unpickler over io.BytesIO (torch.load) or an unbuffered file drops the rest of the frame. modelvet walks both readings and reports what each reaches. Picklers never write such streams."
        fix "Treat the file as crafted."
        example "malicious/evasion14_nested_frame.pkl";
    PICKLE_TRAILING_DATA = "MV112" "pickle-trailing-data" Low cwe 20 lower true
        summary "Bytes follow the final STOP opcode and are not another pickle."
        why "pickle.loads ignores them, but a second loader (or a polyglot reading the file as another format) may not."
        fix "Check what produced the extra bytes."
        example "formats/rule_mv112_trailing_data.pkl";
    PICKLE_PERSISTENT_ID = "MV113" "pickle-persistent-id" Low cwe 502 lower true
        summary "A pickle outside a PyTorch archive uses persistent ids (PERSID/BINPERSID)."
        why "Persistent ids are resolved by the loading application's persistent_load hook, whose behaviour is outside the file."
        fix "Make sure the application that loads the file resolves persistent ids safely."
        example "malicious/evasion08_zip_member_data_txt.pt";
    TORCH_STORAGE_MISMATCH = "MV201" "torch-storage-mismatch" Medium cwe 20 lower true
        summary "A PyTorch storage reference names a missing data/<key> record, or one smaller than the storage it claims."
        why "A torch zip whose pickle and records disagree was not written by torch.save; loaders then read out of bounds or fail."
        fix "Regenerate the checkpoint with torch.save."
        example "formats/rule_mv201_storage_mismatch.pt";
    TORCHSCRIPT_CODE = "MV202" "torchscript-code" Info cwe 94 lower true
        summary "The archive is TorchScript: it carries code (code/ files) that torch.jit.load compiles and runs."
        why "TorchScript code is confined to TorchScript's operator set, but it is code, and it is listed so it can be reviewed."
        fix "Review the listed code files, or export the model to a data-only format."
        example "real/silero_vad.jit";
    TORCHSCRIPT_UNSAFE_OP = "MV203" "torchscript-unsafe-op" High cwe 94 lower false
        summary "TorchScript code loads native operator libraries, reads or writes files, or calls custom operators outside the standard namespaces."
        why "torch.ops.load_library and custom operator namespaces run native code outside TorchScript's confines; file operations reach the host."
        fix "Do not load the archive unless you trust and have reviewed the native extensions it needs."
        example "formats/rule_mv203_torchscript_load_library.pt";
    ZIP_DUPLICATE_NAME = "MV301" "zip-duplicate-name" High cwe 436 lower false
        summary "Two zip entries have the same name."
        why "Readers disagree about which entry wins (Python's zipfile and torch take the last, other tools the first), which hides a member from scanners."
        fix "Treat the archive as crafted."
        example "malicious/evasion10_duplicate_names.pt";
    ZIP_NAME_MISMATCH = "MV302" "zip-name-mismatch" High cwe 436 lower false
        summary "A zip entry's local header name differs from its central directory name."
        why "Tools that read local headers and tools that read the central directory see different files; torch uses the central directory."
        fix "Treat the archive as crafted."
        example "malicious/evasion10_local_name_differs.pt";
    ZIP_CRC_MISMATCH = "MV303" "zip-crc-mismatch" Medium cwe 354 lower true
        summary "A zip entry's data does not match its CRC-32."
        why "torch does not check CRCs, so a modified member still loads; scanners that stop at the CRC error see nothing."
        fix "Re-download the file and verify its hash."
        example "malicious/evasion10_crc_mismatch.pt";
    ZIP_UNUSUAL_FLAGS = "MV304" "zip-unusual-flags" Medium cwe 436 lower true
        summary "A zip entry sets the encryption or another unusual general-purpose flag, or uses an unsupported compression method."
        why "Some loaders ignore these flags and read the data anyway, while scanners skip the member."
        fix "Treat the archive as crafted."
        example "malicious/evasion10_encrypted_flag.pt";
    ARCHIVE_PATH_TRAVERSAL = "MV305" "archive-path-traversal" Medium cwe 22 lower true
        summary "An archive member (zip, tar or 7z) is absolute, names a drive, contains `..` (with `/` or `\\`), or is a link whose target leaves the extraction directory."
        why "Extracting the archive writes outside the target directory."
        fix "Never extract the archive with a tool that follows such names."
        example "formats/archive_zip_traversal.zip";
    ZIP_MALFORMED = "MV306" "zip-malformed" Medium cwe 20 lower true
        summary "The zip structure is inconsistent: entries overlap, point past the end, or the directory is damaged."
        why "Overlapping or out-of-bounds entries are the basis of zip bombs and of polyglots that readers interpret differently."
        fix "Treat the archive as crafted."
        example "formats/rule_mv306_prepended_script.zip";
    NUMPY_OBJECT_ARRAY = "MV401" "numpy-object-array" Low cwe 502 lower true
        summary "A NumPy array has an object dtype: its payload is a pickle (scanned as a member)."
        why "numpy.load(allow_pickle=True) unpickles object arrays; the embedded pickle is scanned and reported separately."
        fix "Store numeric arrays, or load with allow_pickle=False."
        example "malicious/evasion11_npy_object.npy";
    NUMPY_SIZE_MISMATCH = "MV402" "numpy-size-mismatch" Low cwe 20 lower true
        summary "A .npy payload is not the size its header declares."
        why "Extra bytes can carry a second payload; missing bytes make loaders fail or read past the array."
        fix "Regenerate the file."
        example "formats/rule_mv402_payload_short.npy";
    NUMPY_MALFORMED_HEADER = "MV403" "numpy-malformed-header" Medium cwe 20 lower true
        summary "A .npy header is not a valid literal dictionary with descr, fortran_order and shape."
        why "Old NumPy versions evaluated the header; a crafted header targets them."
        fix "Regenerate the file."
        example "formats/rule_mv403_header_missing_key.npy";
    FORMAT_NAME_MISMATCH = "MV501" "format-name-mismatch" Low cwe 434 lower true
        summary "The content's format differs from the format the file name claims (for example a pickle named .safetensors)."
        why "Tools that trust extensions (several scanners, some loaders) skip or mis-handle disguised files."
        fix "Rename the file or find out why it is disguised."
        example "malicious/evasion09_pickle_as.safetensors";
    SCAN_LIMIT_REACHED = "MV502" "scan-limit-reached" Info cwe 400 lower true
        summary "A named scanner limit was reached; the artifact is incomplete."
        why "Every resource bound is explicit. Content past the limit was not checked, so the artifact is not clean."
        fix "Inspect the file by other means, or split it."
        example "limits/gzip_bomb_300mb.pkl.gz";
    REMOTE_HASH_MISMATCH = "MV503" "remote-hash-mismatch" High cwe 494 lower false
        summary "A file read whole from the Hugging Face Hub has a different SHA-256 (LFS) or Git blob id than the Hub publishes for it at the scanned commit."
        why "The bytes served (by the Hub's CDN or anything in between) are not the bytes the commit names, so the file scanned is not the file the repository vouches for, and a download may differ again."
        fix "Do not use the file; download it again over a trusted connection and check it with `modelvet verify --against`."
        example "";
    SAFETENSORS_MALFORMED = "MV601" "safetensors-malformed" Medium cwe 20 lower true
        summary "A safetensors header is invalid: not JSON, an unknown dtype, a shape whose byte count differs from its offsets, offsets out of bounds, overlapping, or leaving holes, or bytes after the last tensor."
        why "Loaders that trust the header read out of bounds or see different tensors; holes and trailing bytes are where polyglot payloads hide."
        fix "Regenerate the file with the safetensors library."
        example "formats/st_header_len_past_eof.safetensors";
    SAFETENSORS_LENIENT_HEADER = "MV602" "safetensors-lenient-header" Medium cwe 436 lower true
        summary "A safetensors header uses something the safetensors library accepts but the format forbids: whitespace before `{`, duplicate tensor names, unknown fields, NUL in names, non-string metadata."
        why "Readers disagree about such headers (the Rust crate keeps the last duplicate, other parsers the first), so a scanner and a loader can see different tensors."
        fix "Regenerate the file with the safetensors library."
        example "formats/st_leading_whitespace.safetensors";
    GGUF_MALFORMED = "MV701" "gguf-malformed" Medium cwe 20 lower true
        summary "A GGUF file's structure is invalid: unknown value or tensor types, too many dimensions, byte counts that overflow, offsets misaligned, overlapping or outside the file, invalid UTF-8, or a bad alignment."
        why "ggml's parsers had a series of memory-safety bugs (CVE-2024-23496, CVE-2024-32878, GHSA-vgg9-87g3-85w8) triggered by exactly these fields."
        fix "Do not load the file with llama.cpp or ggml versions older than the fixes; regenerate it."
        example "formats/gguf_alignment_not_pow2.gguf";
    GGUF_DUPLICATE = "MV702" "gguf-duplicate-name" High cwe 436 lower false
        summary "A GGUF file repeats a metadata key or a tensor name."
        why "Readers disagree about which value wins, so a template or tensor seen by a scanner may not be the one the loader uses."
        fix "Treat the file as crafted."
        example "formats/gguf_duplicate_key.gguf";
    CHAT_TEMPLATE_INJECTION = "MV703" "chat-template-injection" Critical cwe 1336 lower false
        summary "A chat template (GGUF metadata, tokenizer_config.json, chat_template.jinja) uses Jinja constructs that escape a sandbox: dunder attributes, |attr, escaped underscores, private names assembled at run time (`~`, `*`, `join`, `format`, `%c`, `reverse`, slices, `{% set %}` pieces), characters picked out of an object's text, attributes of function globals, imports, os/eval/popen."
        why "Chat templates are rendered by Jinja; loaders that render them unsandboxed (CVE-2024-34359, llama-cpp-python) run the template's Python."
        fix "Do not load the model with a loader that renders templates without a sandbox; replace the template."
        example "formats/gguf_chat_template_ssti.gguf";
    ONNX_EXTERNAL_DATA_PATH = "MV801" "onnx-external-data-path" High cwe 22 lower false
        summary "An ONNX tensor's external data location is absolute, contains `..`, a drive or UNC prefix or NUL, or resolves through a symlink outside the model directory."
        why "ONNX loaders open the named file and read it into the model (CVE-2022-25882, CVE-2024-27318): an arbitrary file read on the loading machine."
        fix "Do not load the model; external data must live beside the model file."
        example "formats/onnx/ext_traversal.onnx";
    ONNX_ORT_MEMORY_ADDRESS = "MV802" "onnx-ort-memory-address" Critical cwe 119 lower false
        summary "An ONNX tensor's external data location is ONNX Runtime's in-memory marker `*/_ORT_MEM_ADDR_/*`."
        why "ONNX Runtime then treats the offset as a raw memory address in the loading process: memory disclosure or a crash from a model file."
        fix "Do not load the model."
        example "formats/onnx/ext_ort_mem_addr.onnx";
    ONNX_EXTERNAL_DATA_BOUNDS = "MV803" "onnx-external-data-bounds" Medium cwe 125 lower true
        summary "An ONNX tensor's external data file is missing, or its offset and length lie outside that file."
        why "Out-of-range reads crash loaders or read neighbouring data; a missing file means the model cannot be checked or loaded as published."
        fix "Re-download the model together with its external data files."
        example "formats/onnx/ext_missing.onnx";
    ONNX_CUSTOM_DOMAIN = "MV804" "onnx-custom-op-domain" Medium cwe 829 lower true
        summary "An ONNX model uses operators from a domain outside ONNX's and onnxruntime's own, or an operator that ONNX and onnxruntime do not define in the default (or another fully listed) domain."
        why "Such operators need a custom operator library: native code loaded into the runtime. Only operators decide this; a domain merely declared in opset_import loads nothing."
        fix "Load the model only with custom operator libraries you trust and have reviewed."
        example "formats/onnx/custom_domain.onnx";
    ONNX_MALFORMED = "MV805" "onnx-malformed" Medium cwe 20 lower true
        summary "An ONNX or TensorFlow protobuf is not valid wire format (bad tags, lengths past the end, wrong wire types for known fields)."
        why "Loaders and scanners that recover from broken protobuf differently see different graphs."
        fix "Regenerate the file."
        example "formats/onnx/malformed_wire_type.onnx";
    ONNX_EMBEDDED_CODE = "MV806" "onnx-functions-or-training" Info cwe 829 lower true
        summary "An ONNX model carries model-local functions or training information."
        why "Functions define operators inside the model and training info carries algorithm graphs; both run on load in runtimes that support them. Reported so the inventory is complete."
        fix "None needed for trusted producers; review the listed functions otherwise."
        example "formats/onnx/local_function.onnx";
    ONNX_PYTHON_OP = "MV807" "onnx-python-op" Critical cwe 94 lower false
        summary "An ONNX node calls back into Python: onnxruntime's PythonOp or PythonOpGrad."
        why "onnxruntime builds with training support (ORTModule's custom autograd functions) run these nodes by calling the Python function registered under the node's func_name in the loading process: the file chooses which Python code runs."
        fix "Do not load the model with an onnxruntime build that supports Python ops; export it without custom autograd functions."
        example "formats/onnx/python_op.onnx";
    KERAS_LAMBDA = "MV901" "keras-lambda" Critical cwe 94 lower false
        summary "A Keras model has a Lambda layer (or a function config) that carries serialised Python bytecode."
        why "Keras rebuilds the function from marshal bytes and runs it when the layer is called; safe_mode only stops this in recent versions (CVE-2024-3660)."
        fix "Do not load the model; rebuild it without Lambda layers."
        example "formats/keras_lambda.h5";
    KERAS_FOREIGN_MODULE = "MV902" "keras-foreign-module" High cwe 470 lower false
        summary "A Keras config names a module outside the Keras roots for a layer, function or object."
        why "Keras imports the named module and calls objects from it (CVE-2025-1550, CVE-2025-8747): any installed Python module becomes reachable."
        fix "Do not load the model unless every named module is your own trusted code."
        example "formats/keras_lambda_os_system.keras";
    KERAS_CUSTOM_OBJECT = "MV903" "keras-custom-object" Low cwe 829 lower true
        summary "A Keras config uses a registered custom object (a class outside Keras)."
        why "The file carries no code for it: the loading process must register the class, and whatever is registered under that name runs. Reported so the inventory shows which code the model needs."
        fix "Make sure the custom object is your own reviewed code."
        example "formats/keras_custom_object.keras";
    KERAS_UNSAFE_API = "MV904" "keras-unsafe-api" High cwe 829 lower false
        summary "A Keras config refers to a Keras API that loads other files or disables safe mode (TFSMLayer, load_model, get_file, enable_unsafe_deserialization ...)."
        why "Keras functions reachable by name from a config were used as gadgets to load unsafe models or fetch files (CVE-2025-9905, CVE-2025-9906)."
        fix "Do not load the model."
        example "formats/keras_get_file_gadget.keras";
    KERAS_MALFORMED = "MV905" "keras-malformed" Medium cwe 20 lower true
        summary "A Keras archive or HDF5 model lacks a readable config, or its config is not valid JSON."
        why "The config decides what code runs on load; a config that cannot be read cannot be checked."
        fix "Regenerate the model with Keras."
        example "formats/keras_config_not_json.keras";
    KERAS_TORCH_MODULE = "MV906" "keras-torch-module" High cwe 502 lower false
        summary "A Keras `TorchModuleWrapper` layer carries a `torch.save` payload (base64 in its config), which Keras unpickles with `torch.load(weights_only=False)` while loading; the payload is scanned as a member."
        why "Keras 3.11.0 to 3.11.2 unpickled it even in safe mode (CVE-2025-49655); later versions do so whenever safe_mode is off. A full pickle runs whatever it names."
        fix "Load the module's weights, not a pickled module; rebuild the layer in code."
        example "formats/keras_torch_module_wrapper.keras";
    HDF5_EXTERNAL_DATA = "MV907" "hdf5-external-data" High cwe 73 lower false
        summary "An HDF5 file (a Keras `.h5`, `.weights.h5`, or one inside a `.keras`) has a dataset stored in an external file, an external link, or a virtual dataset mapped from another file."
        why "h5py follows all three when a loader reads the weight, so loading the model reads a path the file's author chose (`/etc/passwd`, another user's checkpoint) into the model's weights, from where inference, `get_weights()` or a re-save discloses it (CVE-2026-1669). Keras itself never writes them."
        fix "Do not load the file. A model saved by Keras stores its weights inside the file."
        example "formats/keras_h5_external_storage.h5";
    TF_PYTHON_OP = "MV911" "tf-python-op" Critical cwe 94 lower false
        summary "A TensorFlow graph uses an op that calls back into Python (PyFunc, EagerPyFunc, PyFuncStateless)."
        why "These ops run a Python function registered in the loading process; with a crafted registry they run arbitrary code."
        fix "Do not load the model."
        example "formats/savedmodel/pyfunc_saved_model.pb";
    TF_IO_OP = "MV912" "tf-io-op" High cwe 73 lower false
        summary "A TensorFlow graph uses ops that read or write files, list directories, or reach the network."
        why "Loading and running the graph can read or overwrite files (ReadFile, WriteFile, Save) or talk to remote services (RpcCall, DataServiceDataset)."
        fix "Review the graph; do not serve it with access to sensitive files."
        example "formats/savedmodel/io_ops_saved_model.pb";
    TF_NONSTANDARD_OP = "MV913" "tf-nonstandard-op" Medium cwe 829 lower true
        summary "A TensorFlow graph uses an op that is not in TensorFlow's standard op set."
        why "Ops outside the standard set come from custom kernels: native code that must be loaded alongside the model."
        fix "Load the model only with custom op libraries you trust."
        example "formats/savedmodel/custom_op_saved_model.pb";
    TFLITE_CUSTOM_OP = "MV921" "tflite-custom-op" Medium cwe 829 lower true
        summary "A TFLite / LiteRT model's operators use a custom op that the standard interpreter does not provide (not Flex, not one of the resolver's own custom ops)."
        why "The file only names the op; the interpreter runs whatever native kernel the loading application registers under that name, so what executes is decided outside the file, and a model that needs one cannot run as shipped."
        fix "Check that the custom op is one your application provides on purpose; otherwise do not deploy the model."
        example "formats/tflite/custom_op.tflite";
    TFLITE_FLEX_OP = "MV922" "tflite-flex-op" Low cwe 829 lower true
        summary "A TFLite / LiteRT model uses TensorFlow ops through the Flex delegate (SELECT_TF_OPS); standard, file-free ops only (others raise MV911, MV912 or MV913)."
        why "Flex ops run TensorFlow's kernels inside the interpreter; listed so a reviewer sees that the model needs the Flex delegate and which TensorFlow ops it runs."
        fix "None needed when the listed ops are expected."
        example "formats/tflite/flex_addv2.tflite";
    TFLITE_MALFORMED = "MV923" "tflite-malformed" Medium cwe 20 lower true
        summary "A TFLite / LiteRT FlatBuffer contradicts itself: an operator uses an operator code that does not exist, or a table's vtable has an impossible size. (Offsets past the end of the file make the scan incomplete, as a cut download would.)"
        why "The interpreter's verifier rejects some of these and crashes on others; a file that cannot be read through cannot be checked."
        fix "Regenerate the model with the converter."
        example "formats/tflite/opcode_index_out_of_range.tflite";
    REPO_REMOTE_CODE = "MV1001" "hf-remote-code" High cwe 94 lower false
        summary "A Hugging Face config maps model classes to Python files in the repository (auto_map), so loading needs trust_remote_code."
        why "With trust_remote_code=True, transformers imports the repository's Python files: the repository's author runs code on the loading machine."
        fix "Review the referenced Python files before loading, pin the revision, or use a model without custom code."
        example "formats/hf_remote_code";
    REPO_PYTHON_FILE = "MV1002" "repo-python-file" Medium cwe 94 lower true
        summary "A Python source file ships in a model folder or archive. Medium when a config's auto_map or a TorchServe manifest names it, low for other scripts beside a model or in a `.mar`; Python files outside any model folder and the code of a Python wheel are not reported."
        why "Loaders and users run such files (custom modelling code, handlers, setup scripts); they are code, not data. transformers imports the files auto_map names when a user passes trust_remote_code."
        fix "Review the file before running anything from the repository."
        example "formats/hf_remote_code";
    SHARD_INDEX_MISMATCH = "MV1003" "shard-index-mismatch" Medium cwe 20 lower true
        summary "A sharded model's index and its files disagree: a listed shard is missing, a tensor is in no shard or in two, or a weight file is not listed."
        why "Loaders follow the index; tensors outside it are never loaded but can carry payloads, and missing ones break the model."
        fix "Re-download the repository and check it against the publisher's file list."
        example "formats/hf_shard_missing";
    LOADER_CONFIG_CODE = "MV1004" "loader-config-code" High cwe 470 lower true
        summary "A loader configuration names a callable the loader imports and calls: Hydra's `_target_` (NeMo `model_config.yaml`, Lightning `hparams.yaml`, any Hydra config), MLflow's `loader_module`, or a TorchServe manifest's handler that the archive does not ship. Critical when it runs code, high for file access or any module outside the known ML frameworks, low for a framework's own class; a TorchServe `requirementsFile` (pip-installed by the server when configured to) is medium."
        why "hydra.utils.instantiate imports whatever `_target_` names and calls it with the mapping's keys; NeMo's restore_from does so for the config inside every .nemo file (CVE-2025-23304)."
        fix "Load only configs whose targets are the framework's own classes; review any other named code."
        example "formats/nemo_target_os_system.nemo";
    SKOPS_UNTRUSTED_TYPE = "MV1301" "skops-untrusted-type" Medium cwe 502 lower true
        summary "A skops file's schema names a type that skops does not trust by default, so `skops.io.load` builds it only when the caller trusts it (and `get_untrusted_types` hands exactly these to callers). Critical when the type runs code (a function such as `os.system` or `builtins.eval`), high for file access, medium outside the known ML frameworks, low for a framework's own class."
        why "skops rebuilds objects without pickle, but a trusted function or class is imported and called like a pickle global: a FunctionTransformer whose func is os.system runs each input row as a command (skops' own advisories, CVE-2024-37065, CVE-2025-54412, CVE-2025-54413, concern exactly this trust)."
        fix "Pass `trusted=` only for types you recognise; do not trust functions from os, subprocess, builtins or unknown modules."
        example "formats/skops/function_os_system.skops";
    TREE_MODEL_MALFORMED = "MV1101" "tree-model-malformed" Medium cwe 20 lower true
        summary "An XGBoost, LightGBM or CatBoost model file breaks its format: bad syntax, a missing section, a tree whose arrays disagree on its size, tree sizes that do not match the trees, or tree start offsets that do not follow them."
        why "The libraries parse these files in native code with few checks. A file they did not write is damaged or crafted, and readers recover from it differently."
        fix "Regenerate the model with the library that trained it."
        example "formats/gbdt/lightgbm_tree_sizes_wrong.txt";
    TREE_MODEL_INDEX_OUT_OF_RANGE = "MV1102" "tree-model-index-out-of-range" High cwe 787 lower false
        summary "A tree in an XGBoost, LightGBM or CatBoost model names a child node, leaf, parent, feature or step outside the tree or the model, or needs more leaf values than the model has."
        why "Loaders and predictors index their node arrays with these values. LightGBM writes and reads out of bounds when it loads and predicts with such a model (LightGBM issue #7357); no library writes one."
        fix "Do not load the model; regenerate it with the library that trained it."
        example "formats/gbdt/lightgbm_child_out_of_range.txt";
    POLICY_FORMAT = "MV1201" "policy-format" High cwe 502 lower true
        summary "A model file's format is one the configuration's policy denies (`deny_formats`) or does not allow (`allow_formats`)."
        why "Teams rule out formats that can run code on load (the pickle family) for production; a file in such a format bypasses that decision."
        fix "Convert the model to an allowed format (safetensors, GGUF, ONNX) or change the policy."
        example "";
    POLICY_SIGNATURE = "MV1202" "policy-signature" High cwe 345 lower true
        summary "The policy requires a verified OpenSSF model signature for every model folder (`[policy.require_signature]`), and this folder has none that verifies."
        why "Without a signature that verifies against the trusted key, certificate chain or identity, nothing ties the files to their publisher."
        fix "Sign the model (`modelvet sign`, or the model-signing tool) with the trusted key or identity, or verify where it came from."
        example "";
    POLICY_SOURCE = "MV1203" "policy-source" High cwe 494 lower true
        summary "A Hub repository is outside the policy's `allowed_repos`, or was named by a branch or tag while the policy requires a pinned commit (`require_pinned_revision`)."
        why "A branch moves: what was vetted is not what the next download fetches. Repositories outside the allowed organisations have not been reviewed."
        fix "Name the repository at a full commit hash (`hf://org/name@<40 hex>`), or add it to allowed_repos after review."
        example "";
    POLICY_LICENSE = "MV1204" "policy-license" High cwe 1104 lower true
        summary "A model's licence (model card or GGUF metadata) is on the policy's `licenses_deny` list, is not on its `licenses_allow` list, or is not stated while an allow list is set."
        why "Shipping a model under a licence the organisation does not accept is a legal risk the build should stop."
        fix "Use a model under an accepted licence, or record the exception with an `[[ignore]]` entry."
        example "";
    POLICY_REMOTE_CODE = "MV1205" "policy-remote-code" High cwe 94 lower true
        summary "The policy denies remote code (`deny_remote_code`), and a model's config maps classes to repository Python files (auto_map)."
        why "Loading such a model needs trust_remote_code, which runs the repository author's code on the loading machine."
        fix "Use a model whose architecture ships with the library, or change the policy."
        example "";
    INVENTORY_UNPINNED = "MV1401" "inventory-unpinned-revision" Medium cwe 494 lower true
        summary "Application code or configuration loads a Hub model or dataset without a full commit revision: no revision, or a branch or tag."
        why "The default branch (and any branch or tag) moves: what was vetted is not what the next deployment downloads, and a compromised or renamed repository is picked up silently."
        fix "Pass `revision=\"<40-hex commit>\"` (or `--revision` on the command line), after vetting that commit with `modelvet scan hf://org/name@<commit>`."
        example "inventory/app";
    INVENTORY_REMOTE_CODE = "MV1402" "inventory-remote-code" High cwe 94 lower true
        summary "Application code loads a model with `trust_remote_code=True` (or set at run time), or runs a repository's code with `torch.hub.load`."
        why "The repository's Python files are imported on the loading machine with the application's rights; whoever can change the repository can run code there."
        fix "Use a model whose architecture ships with the library; otherwise pin the revision, review the code at that commit, and vendor it."
        example "inventory/app";
    INVENTORY_UNSAFE_LOADER = "MV1403" "inventory-unsafe-loader" High cwe 502 lower true
        summary "Application code loads a model file with a loader that can run code from it: pickle, joblib, dill or cloudpickle loads, `torch.load` without `weights_only=True`, `numpy.load(allow_pickle=True)`, Keras `load_model(safe_mode=False)`."
        why "These loaders execute what the file tells them to; a swapped or poisoned file runs its payload when the application starts."
        fix "Load weights with safetensors (or `torch.load(..., weights_only=True)`), keep pickles to files the application wrote itself, and scan model files with `modelvet scan` before they are deployed."
        example "inventory/app";
    INVENTORY_UNVERSIONED_API_MODEL = "MV1404" "inventory-unversioned-api-model" Low cwe 1357 lower true
        summary "Application code calls a hosted model by an alias (`gpt-4o`, `claude-sonnet-4-5`, an Ollama tag) rather than a dated or numbered version."
        why "The provider can point the alias at a new model: behaviour, safety tuning and cost change without a change in the application, and the AI-BOM cannot say which model ran."
        fix "Name the dated snapshot (`gpt-4o-2024-08-06`, `claude-3-5-sonnet-20241022`) or, for Ollama, the digest."
        example "inventory/app";
    INVENTORY_NOT_ALLOWED = "MV1405" "inventory-repo-not-allowed" High cwe 494 lower true
        summary "Application code or configuration names a Hub repository outside the policy's `allowed_repos`."
        why "Models from organisations the policy does not list have not been reviewed for the application."
        fix "Use a model from an allowed organisation, or add the repository to `allowed_repos` after review."
        example "";
}

/// Looks a rule up by id (`MV101`) or name (`pickle-exec-global`).
pub fn find(id_or_name: &str) -> Option<&'static Rule> {
    CATALOG
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(id_or_name) || r.name == id_or_name)
}

/// Renders the catalog as Markdown; `docs/rules.md` is exactly this text.
pub(crate) fn render_markdown() -> String {
    let mut out = String::new();
    out.push_str("# modelvet rules\n\n");
    out.push_str(
        "<!-- Generated from src/rules.rs by `modelvet rules --markdown`. Do not edit. -->\n\n",
    );
    out.push_str(&format!("Catalog version {CATALOG_VERSION}.\n\n"));
    out.push_str("| id | name | default severity | CWE |\n|---|---|---|---|\n");
    for r in CATALOG {
        out.push_str(&format!(
            "| [{id}](#{anchor}) | {name} | {sev} | CWE-{cwe} |\n",
            id = r.id,
            anchor = r.id.to_ascii_lowercase(),
            name = r.name,
            sev = r.severity.as_str(),
            cwe = r.cwe
        ));
    }
    for r in CATALOG {
        out.push_str(&format!(
            "\n## {id}\n\n**{name}**, default severity `{sev}`, [CWE-{cwe}](https://cwe.mitre.org/data/definitions/{cwe}.html){lower}\n\n**What it detects.** {summary}\n\n**Why it matters.** {why}\n\n**What to do.** {fix}\n",
            id = r.id,
            name = r.name,
            sev = r.severity.as_str(),
            cwe = r.cwe,
            lower = if r.may_lower { "" } else { ". Its severity cannot be lowered by configuration" },
            summary = r.summary,
            why = r.rationale,
            fix = r.remediation
        ));
        if r.example.is_empty() {
            out.push_str("\n**Example.** Raised only by remote scans (`tests/remote_scan.rs` serves the Hub's answer).\n");
        } else {
            out.push_str(&format!(
                "\n**Example.** [`testdata/fixtures/{ex}`](../testdata/fixtures/{ex}): `modelvet scan testdata/fixtures/{ex}`\n",
                ex = r.example
            ));
        }
    }
    out
}
