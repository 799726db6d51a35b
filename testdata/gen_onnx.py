"""ONNX models (written by the onnx library) and TensorFlow SavedModel protobufs.
Called by generate.py.

ONNX fixtures are built with onnx.helper and serialised by onnx itself (onnx.save for the
external-data layout). Hostile variants only change field values that onnx writes
verbatim (external_data locations, offsets, domains) or, for wire-format errors, patch
bytes of a serialised model.

TensorFlow is not installed (far too heavy for a fixture generator). SavedModel bytes are
written with the pinned `protobuf` package instead: `_tf_messages()` declares, as a
FileDescriptorProto, the subset of TensorFlow's messages the scanner reads, with the SAME
package, names and field numbers as tensorflow/core/protobuf/saved_model.proto,
meta_graph.proto and tensorflow/core/framework/{graph,node_def,function,op_def,
attr_value}.proto (DataType enums are declared as int32: same varint wire format). The
message classes come from descriptor_pool + message_factory; maps are serialised with
deterministic=True (sorted keys).
"""

import json
import os
import sys
import tempfile

import onnx
from onnx import TensorProto, helper, numpy_helper
import numpy as np

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

D = "formats/onnx/"
S = "formats/savedmodel/"


# ---------------------------------------------------------------- ONNX helpers
def _mlp_graph(name="mlp"):
    rng = np.random.default_rng(1234)
    w1 = numpy_helper.from_array(rng.standard_normal((4, 8)).astype(np.float32), "w1")
    b1 = numpy_helper.from_array(np.zeros(8, np.float32), "b1")
    w2 = numpy_helper.from_array(rng.standard_normal((8, 2)).astype(np.float32), "w2")
    b2 = numpy_helper.from_array(np.zeros(2, np.float32), "b2")
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h0"], name="fc1"),
        helper.make_node("Add", ["h0", "b1"], ["h1"], name="bias1"),
        helper.make_node("Relu", ["h1"], ["h2"], name="relu"),
        helper.make_node("MatMul", ["h2", "w2"], ["h3"], name="fc2"),
        helper.make_node("Add", ["h3", "b2"], ["y"], name="bias2"),
    ]
    return helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        initializer=[w1, b1, w2, b2],
    )


def _model(graph, opsets=(("", 17),), **kw):
    m = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid(d, v) for d, v in opsets],
        producer_name="modelvet-fixtures",
        producer_version="1",
        **kw,
    )
    m.ir_version = 9
    return m


def _check(model):
    onnx.checker.check_model(model)
    return model


def _bytes(model):
    data = model.SerializeToString(deterministic=True)
    onnx.load_from_string(data)  # parses back
    return data


def _external(model, entries):
    """Marks every initializer external with the given key/value entries (no payload)."""
    for t in model.graph.initializer:
        t.ClearField("raw_data")
        t.data_location = TensorProto.EXTERNAL
        del t.external_data[:]
        for k, v in entries:
            e = t.external_data.add()
            e.key, e.value = k, v
    return model


def _single_external(location, offset="0", length="64"):
    """A model with one external float32[16] initializer at `location`."""
    w = numpy_helper.from_array(np.arange(16, dtype=np.float32), "w")
    g = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"], name="add")], "ext",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [16])],
        initializer=[w],
    )
    return _external(_model(g), [("location", location), ("offset", offset), ("length", length)])


def gen_onnx(r):
    mlp = _check(_model(_mlp_graph()))
    mlp_bytes = _bytes(mlp)
    r.benign(D + "mlp_benign.onnx", mlp_bytes,
             "onnx.helper MLP (MatMul, Add, Relu) with four float initializers, opset 17")

    # onnxruntime's optimized model: opset_import lists every domain onnxruntime knows,
    # although the graph uses two of them (issue 13: not a finding).
    import onnxruntime as ort

    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "mlp.onnx")
        onnx.save(mlp, src)
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        so.optimized_model_filepath = os.path.join(tmp, "mlp_ort_optimized.onnx")
        so.intra_op_num_threads = 1
        ort.InferenceSession(src, so, providers=["CPUExecutionProvider"])
        optimized = open(so.optimized_model_filepath, "rb").read()
    r.benign(D + "mlp_ort_optimized.onnx", optimized,
             "the MLP as onnxruntime saves it optimized (ORT_ENABLE_EXTENDED): FusedGemm from "
             "com.microsoft, and opset_import naming nine domains the graph does not use")

    # onnx.save with external data: the directory holds the model and its data file.
    m = _check(_model(_mlp_graph("mlp_external")))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "external_ok.onnx")
        onnx.save(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                  location="external_ok.onnx.data", size_threshold=0)
        model_bytes = open(path, "rb").read()
        data_bytes = open(os.path.join(tmp, "external_ok.onnx.data"), "rb").read()
        onnx.checker.check_model(path)
        onnx.load(path)  # resolves the external data
    r.benign(D + "external_ok/external_ok.onnx", model_bytes,
             "onnx.save(save_as_external_data=True): every initializer in external_ok.onnx.data "
             "beside the model, offsets and lengths in bounds")
    r.extra_file(D + "external_ok/external_ok.onnx.data", data_bytes)

    # The same with the data in `weights.bin`, a name that also claims a torch checkpoint:
    # the reference makes it checked data, not an unrecognised model file.
    m = _check(_model(_mlp_graph("mlp_external_bin")))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.onnx")
        onnx.save(m, path, save_as_external_data=True, all_tensors_to_one_file=True,
                  location="weights.bin", size_threshold=0)
        model_bytes = open(path, "rb").read()
        data_bytes = open(os.path.join(tmp, "weights.bin"), "rb").read()
        onnx.load(path)
    r.benign(D + "external_bin/model.onnx", model_bytes,
             "onnx.save(save_as_external_data=True, location='weights.bin'): the sidecar is "
             "reported as onnx-external-data, its size checked against every offset")
    r.extra_file(D + "external_bin/weights.bin", data_bytes)

    r.finding(D + "ext_traversal.onnx", _bytes(_single_external("../../etc/passwd")), ["MV801"],
              "external_data location `../../etc/passwd` (path traversal, CVE-2022-25882 style)")
    r.finding(D + "ext_absolute.onnx", _bytes(_single_external("/etc/passwd")), ["MV801"],
              "external_data location is the absolute path `/etc/passwd`")
    r.finding(D + "ext_ort_mem_addr.onnx", _bytes(_single_external("*/_ORT_MEM_ADDR_/*", "140737488355328")),
              ["MV802"], "external_data location is ONNX Runtime's `*/_ORT_MEM_ADDR_/*` marker "
              "(the offset would be read as a raw pointer)")
    r.finding(D + "ext_missing.onnx", _bytes(_single_external("missing_weights.bin")), ["MV803"],
              "external_data names `missing_weights.bin`, which does not exist beside the model")
    r.finding(D + "ext_offset_beyond/ext_offset_beyond.onnx",
              _bytes(_single_external("ext_offset_beyond.data", "4096", "64")), ["MV803"],
              "external_data offset 4096 + length 64 in a 64-byte data file")
    r.extra_file(D + "ext_offset_beyond/ext_offset_beyond.data",
                 np.arange(16, dtype=np.float32).tobytes())

    # Custom operator domain in the main graph.
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["h"], name="relu"),
         helper.make_node("EvilOp", ["h"], ["y"], name="evil", domain="com.example.evil")],
        "custom",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
    )
    custom = _model(g, opsets=(("", 17), ("com.example.evil", 1)))
    r.finding(D + "custom_domain.onnx", _bytes(custom), ["MV804"],
              "node EvilOp from domain com.example.evil (needs a native custom-op library)")

    # A custom operator registered into the default domain: not an ONNX operator, so the
    # runtime only runs the model with a native library that defines it.
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["h"], name="relu"),
         helper.make_node("ModelvetFixtureKernel", ["h"], ["y"], name="custom")],
        "default_domain_custom",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
    )
    r.finding(D + "default_domain_custom_op.onnx", _bytes(_model(g)), ["MV804"],
              "node ModelvetFixtureKernel in the default domain, which ONNX 1.23.2 and onnxruntime "
              "1.32.0 do not define (a custom operator library must register it)")

    # onnxruntime's PythonOp (com.microsoft, training builds): calls the Python function
    # registered under func_name. The name here is inert and registered nowhere.
    g = helper.make_graph(
        [helper.make_node("PythonOp", ["x"], ["y"], name="python", domain="com.microsoft",
                          func_name="modelvet_fixture.Echo", input_convention="d",
                          input_tensor_types=[TensorProto.FLOAT], input_tensor_ranks=[1],
                          output_tensor_types=[TensorProto.FLOAT], output_tensor_ranks=[1])],
        "python_op",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
    )
    r.finding(D + "python_op.onnx", _bytes(_model(g, opsets=(("", 17), ("com.microsoft", 1)))),
              ["MV807"], "node PythonOp from com.microsoft with func_name modelvet_fixture.Echo "
              "(onnxruntime training builds call the registered Python function)")

    # Nested control flow: If whose then-branch holds a Loop; all standard ops.
    r.benign(D + "subgraphs_if_loop.onnx", _bytes(_check(_model(_if_loop_graph(None)))),
             "If node whose then_branch holds a Loop body (subgraphs two levels deep), standard ops")
    r.finding(D + "subgraph_custom_domain.onnx",
              _bytes(_model(_if_loop_graph("com.example.hidden"),
                            opsets=(("", 17), ("com.example.hidden", 1)))), ["MV804"],
              "custom-domain op HiddenOp inside the Loop body inside an If branch")

    # Model-local function called from the graph.
    fn = helper.make_function(
        "local.funcs", "Swish", ["X"], ["Y"],
        [helper.make_node("Sigmoid", ["X"], ["S"]), helper.make_node("Mul", ["X", "S"], ["Y"])],
        [helper.make_opsetid("", 17)],
    )
    g = helper.make_graph(
        [helper.make_node("Swish", ["x"], ["y"], name="swish", domain="local.funcs")], "fn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])],
    )
    fmodel = _check(_model(g, opsets=(("", 17), ("local.funcs", 1)), functions=[fn]))
    r.benign(D + "local_function.onnx", _bytes(fmodel),
             "model-local function local.funcs.Swish (Sigmoid, Mul) called from the graph: "
             "reported as info, no custom-domain finding", rules=["MV806"])

    # Training info with an algorithm graph.
    t = _model(_mlp_graph("train_mlp"))
    ti = t.training_info.add()
    ti.algorithm.CopyFrom(helper.make_graph(
        [helper.make_node("Identity", ["w1"], ["w1_next"], name="step")], "algorithm", [], []))
    r.benign(D + "training_info.onnx", _bytes(t),
             "ModelProto.training_info with an algorithm graph (info)", rules=["MV806"])

    # Wire-format error inside the graph: NodeProto.op_type (string) sent as a varint.
    bad = bytearray(mlp_bytes)
    needle = b"\x22\x06MatMul"  # field 4, length 6
    i = bad.index(needle)
    bad[i:i + len(needle)] = b"\x20\x05" + b"\x2a\x04\x0a\x02ab"  # op_type=5 (varint), attribute
    # keep every enclosing length consistent: same byte count (8 == 8)
    assert len(needle) == 8
    r.finding(D + "malformed_wire_type.onnx", bytes(bad), ["MV805"],
              "NodeProto.op_type encoded as a varint instead of a string (wrong wire type on a "
              "known field)")

    r.add(D + "truncated.onnx", mlp_bytes[: len(mlp_bytes) * 2 // 3], "incomplete",
          "the benign MLP cut at two thirds, inside an initializer")


def _if_loop_graph(hidden_domain):
    body_nodes = [
        helper.make_node("Identity", ["cond_in"], ["cond_out"], name="cond"),
        helper.make_node("Add", ["v_in", "one"], ["v_out"], name="inc"),
    ]
    if hidden_domain:
        body_nodes.append(helper.make_node("HiddenOp", ["v_out"], ["scan_out"], name="hidden",
                                           domain=hidden_domain))
    else:
        body_nodes.append(helper.make_node("Identity", ["v_out"], ["scan_out"], name="scan"))
    body = helper.make_graph(
        body_nodes, "loop_body",
        [helper.make_tensor_value_info("iter", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_in", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("v_out", TensorProto.FLOAT, [1]),
         helper.make_tensor_value_info("scan_out", TensorProto.FLOAT, [1])],
        initializer=[numpy_helper.from_array(np.ones(1, np.float32), "one")],
    )
    then_branch = helper.make_graph(
        [helper.make_node("Loop", ["trip", "cond"], ["t_final", "t_scan"], name="loop", body=body)],
        "then", [],
        [helper.make_tensor_value_info("t_final", TensorProto.FLOAT, [1]),
         helper.make_tensor_value_info("t_scan", TensorProto.FLOAT, [3, 1])],
    )
    else_branch = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["e_final"], name="e1"),
         helper.make_node("Expand", ["x", "shape"], ["e_scan"], name="e2")],
        "else", [],
        [helper.make_tensor_value_info("e_final", TensorProto.FLOAT, [1]),
         helper.make_tensor_value_info("e_scan", TensorProto.FLOAT, [3, 1])],
    )
    return helper.make_graph(
        [helper.make_node("If", ["cond"], ["final", "scan"], name="if",
                          then_branch=then_branch, else_branch=else_branch)],
        "control_flow",
        [helper.make_tensor_value_info("cond", TensorProto.BOOL, []),
         helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("final", TensorProto.FLOAT, [1]),
         helper.make_tensor_value_info("scan", TensorProto.FLOAT, [3, 1])],
        initializer=[numpy_helper.from_array(np.array(3, np.int64), "trip"),
                     numpy_helper.from_array(np.array([3, 1], np.int64), "shape")],
    )


# ---------------------------------------------------------------- TensorFlow subset
def _tf_messages():
    """Message classes for the subset of TensorFlow's SavedModel protos (same numbers)."""
    F = descriptor_pb2.FieldDescriptorProto
    fdp = descriptor_pb2.FileDescriptorProto(name="modelvet_tf_subset.proto", package="tensorflow",
                                             syntax="proto3")

    def msg(name, fields, parent=None):
        m = (parent.nested_type if parent is not None else fdp.message_type).add(name=name)
        for fname, number, ftype, label, type_name in fields:
            f = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                f.type_name = type_name
        return m

    OPT, REP = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    STR, BYT, I64, I32, BOOL, MSG = F.TYPE_STRING, F.TYPE_BYTES, F.TYPE_INT64, F.TYPE_INT32, F.TYPE_BOOL, F.TYPE_MESSAGE

    def map_entry(parent, name, value_type, value_type_name=None):
        e = msg(name, [("key", 1, STR, OPT, None), ("value", 2, value_type, OPT, value_type_name)],
                parent)
        e.options.map_entry = True
        return e

    msg("SavedModel", [("saved_model_schema_version", 1, I64, OPT, None),
                       ("meta_graphs", 2, MSG, REP, ".tensorflow.MetaGraphDef")])
    mg = msg("MetaGraphDef", [("meta_info_def", 1, MSG, OPT, ".tensorflow.MetaGraphDef.MetaInfoDef"),
                              ("graph_def", 2, MSG, OPT, ".tensorflow.GraphDef"),
                              ("signature_def", 5, MSG, REP, ".tensorflow.MetaGraphDef.SignatureDefEntry")])
    msg("MetaInfoDef", [("meta_graph_version", 1, STR, OPT, None), ("tags", 4, STR, REP, None),
                        ("tensorflow_version", 5, STR, OPT, None),
                        ("tensorflow_git_version", 6, STR, OPT, None)], mg)
    map_entry(mg, "SignatureDefEntry", MSG, ".tensorflow.SignatureDef")
    sd = msg("SignatureDef", [("inputs", 1, MSG, REP, ".tensorflow.SignatureDef.InputsEntry"),
                              ("outputs", 2, MSG, REP, ".tensorflow.SignatureDef.OutputsEntry"),
                              ("method_name", 3, STR, OPT, None)])
    map_entry(sd, "InputsEntry", MSG, ".tensorflow.TensorInfo")
    map_entry(sd, "OutputsEntry", MSG, ".tensorflow.TensorInfo")
    msg("TensorInfo", [("name", 1, STR, OPT, None), ("dtype", 2, I32, OPT, None)])
    msg("GraphDef", [("node", 1, MSG, REP, ".tensorflow.NodeDef"),
                     ("library", 2, MSG, OPT, ".tensorflow.FunctionDefLibrary")])
    nd = msg("NodeDef", [("name", 1, STR, OPT, None), ("op", 2, STR, OPT, None),
                         ("input", 3, STR, REP, None), ("device", 4, STR, OPT, None),
                         ("attr", 5, MSG, REP, ".tensorflow.NodeDef.AttrEntry")])
    map_entry(nd, "AttrEntry", MSG, ".tensorflow.AttrValue")
    msg("AttrValue", [("s", 2, BYT, OPT, None), ("i", 3, I64, OPT, None), ("b", 5, BOOL, OPT, None),
                      ("type", 6, I32, OPT, None), ("func", 10, MSG, OPT, ".tensorflow.NameAttrList")])
    msg("NameAttrList", [("name", 1, STR, OPT, None)])
    msg("FunctionDefLibrary", [("function", 1, MSG, REP, ".tensorflow.FunctionDef")])
    fd = msg("FunctionDef", [("signature", 1, MSG, OPT, ".tensorflow.OpDef"),
                             ("node_def", 3, MSG, REP, ".tensorflow.NodeDef"),
                             ("ret", 4, MSG, REP, ".tensorflow.FunctionDef.RetEntry")])
    map_entry(fd, "RetEntry", STR)
    od = msg("OpDef", [("name", 1, STR, OPT, None),
                       ("input_arg", 2, MSG, REP, ".tensorflow.OpDef.ArgDef"),
                       ("output_arg", 3, MSG, REP, ".tensorflow.OpDef.ArgDef")])
    msg("ArgDef", [("name", 1, STR, OPT, None), ("type", 3, I32, OPT, None)], od)
    # tensorflow/core/framework/versions.proto, tensorflow/core/protobuf/fingerprint.proto
    U64 = F.TYPE_UINT64
    msg("VersionDef", [("producer", 1, I32, OPT, None), ("min_consumer", 2, I32, OPT, None),
                       ("bad_consumers", 3, I32, REP, None)])
    msg("FingerprintDef", [("saved_model_checksum", 1, U64, OPT, None),
                           ("graph_def_program_hash", 2, U64, OPT, None),
                           ("signature_def_hash", 3, U64, OPT, None),
                           ("saved_object_graph_hash", 4, U64, OPT, None),
                           ("checkpoint_hash", 5, U64, OPT, None),
                           ("version", 6, MSG, OPT, ".tensorflow.VersionDef"),
                           ("uuid", 7, STR, OPT, None)])
    # keras/protobuf/saved_metadata.proto (package third_party.tensorflow.python.keras.protobuf
    # upstream; the wire format does not carry package names)
    msg("SavedObject", [("node_id", 2, I32, OPT, None), ("node_path", 3, STR, OPT, None),
                        ("identifier", 4, STR, OPT, None), ("metadata", 5, STR, OPT, None),
                        ("version", 6, MSG, OPT, ".tensorflow.VersionDef")])
    msg("SavedMetadata", [("nodes", 1, MSG, REP, ".tensorflow.SavedObject")])

    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    get = lambda n: message_factory.GetMessageClass(pool.FindMessageTypeByName("tensorflow." + n))
    return {n: get(n) for n in ("SavedModel", "GraphDef", "FunctionDef", "NodeDef", "AttrValue",
                                "FingerprintDef", "SavedMetadata")}


DT_FLOAT, DT_STRING, DT_RESOURCE = 1, 7, 20


def _node(container, name, op, inputs=(), **attrs):
    n = container.add(name=name, op=op)
    n.input.extend(inputs)
    for k, v in attrs.items():
        if isinstance(v, bytes):
            n.attr[k].s = v
        elif isinstance(v, tuple) and v[0] == "func":
            n.attr[k].func.name = v[1]
        else:
            n.attr[k].type = v
    return n


def _function(graph, name, inputs, outputs, nodes, ret):
    f = graph.library.function.add()
    f.signature.name = name
    for a in inputs:
        f.signature.input_arg.add(name=a, type=DT_FLOAT)
    for a in outputs:
        f.signature.output_arg.add(name=a, type=DT_FLOAT)
    for n in nodes:
        _node(f.node_def, *n[:3], **(n[3] if len(n) > 3 else {}))
    for k, v in ret.items():
        f.ret[k] = v
    return f


def _saved_model(T, serve_nodes, extra_functions=()):
    """A TF2-style SavedModel: serving function + checkpoint saver/restore functions."""
    sm = T["SavedModel"](saved_model_schema_version=1)
    mg = sm.meta_graphs.add()
    mg.meta_info_def.tags.append("serve")
    mg.meta_info_def.tensorflow_version = "2.21.0"
    mg.meta_info_def.tensorflow_git_version = "modelvet-fixture"
    g = mg.graph_def
    _node(g.node, "serving_default_x", "Placeholder", dtype=DT_FLOAT)
    _node(g.node, "kernel", "VarHandleOp", dtype=DT_FLOAT, shared_name=b"kernel")
    _node(g.node, "StatefulPartitionedCall", "StatefulPartitionedCall",
          ["serving_default_x", "kernel"], f=("func", "__inference_signature_wrapper_42"))
    _node(g.node, "saver_filename", "Placeholder", dtype=DT_STRING)
    _node(g.node, "StatefulPartitionedCall_1", "StatefulPartitionedCall",
          ["saver_filename", "kernel"], f=("func", "__inference__traced_save_77"))
    _node(g.node, "StatefulPartitionedCall_2", "StatefulPartitionedCall",
          ["saver_filename"], f=("func", "__inference__traced_restore_91"))
    _node(g.node, "NoOp", "NoOp")
    _function(g, "__inference_signature_wrapper_42", ["x", "kernel"], ["y"], serve_nodes,
              {"y": "identity:output:0"})
    _function(g, "__inference__traced_save_77", ["file_prefix", "kernel"], ["out"], [
        ("StaticRegexFullMatch", "StaticRegexFullMatch", ["file_prefix"]),
        ("Const", "Const", [], {"dtype": DT_STRING}),
        ("Select", "Select", ["StaticRegexFullMatch:output:0", "Const:output:0"]),
        ("StringJoin", "StringJoin", ["file_prefix", "Select:output:0"]),
        ("ShardedFilename", "ShardedFilename", ["StringJoin:output:0"]),
        ("SaveV2", "SaveV2", ["ShardedFilename:filename:0", "kernel"]),
        ("MergeV2Checkpoints", "MergeV2Checkpoints", ["ShardedFilename:filename:0", "file_prefix"]),
        ("Identity", "Identity", ["file_prefix"], {"T": DT_STRING}),
    ], {"out": "Identity:output:0"})
    _function(g, "__inference__traced_restore_91", ["file_prefix"], ["out"], [
        ("RestoreV2", "RestoreV2", ["file_prefix"]),
        ("AssignVariableOp", "AssignVariableOp", ["kernel", "RestoreV2:tensors:0"]),
        ("Identity", "Identity", ["file_prefix"], {"T": DT_STRING}),
    ], {"out": "Identity:output:0"})
    for f in extra_functions:
        _function(g, *f)
    sig = mg.signature_def["serving_default"]
    sig.method_name = "tensorflow/serving/predict"
    sig.inputs["x"].name = "serving_default_x:0"
    sig.inputs["x"].dtype = DT_FLOAT
    sig.outputs["y"].name = "StatefulPartitionedCall:0"
    sig.outputs["y"].dtype = DT_FLOAT
    data = sm.SerializeToString(deterministic=True)
    assert T["SavedModel"].FromString(data) == sm
    return data


MLP_SERVE = [
    ("ReadVariableOp", "ReadVariableOp", ["kernel"], {"dtype": DT_FLOAT}),
    ("MatMul", "MatMul", ["x", "ReadVariableOp:value:0"], {"T": DT_FLOAT}),
    ("Const", "Const", [], {"dtype": DT_FLOAT}),
    ("Add", "Add", ["MatMul:product:0", "Const:output:0"], {"T": DT_FLOAT}),
    ("identity", "Identity", ["Add:z:0"], {"T": DT_FLOAT}),
]


def gen_savedmodel(r):
    T = _tf_messages()
    r.benign(S + "benign/saved_model.pb", _saved_model(T, MLP_SERVE),
             "TF2-layout SavedModel: serving function (ReadVariableOp, MatMul, Const, Add, Identity) "
             "and the standard checkpoint saver/restore functions (SaveV2, RestoreV2, "
             "MergeV2Checkpoints), tags [serve], signature serving_default",
             rules=["MV912"])
    no_version = T["SavedModel"]()
    no_version.ParseFromString(_saved_model(T, MLP_SERVE))
    no_version.ClearField("saved_model_schema_version")
    r.benign(S + "no_schema_version_saved_model.pb", no_version.SerializeToString(deterministic=True),
             "the benign SavedModel without saved_model_schema_version (TensorFlow's loader does "
             "not require it): recognised by its meta graphs", rules=["MV912"])
    io_nodes = MLP_SERVE[:-1] + [
        ("path", "Const", [], {"dtype": DT_STRING}),
        ("ReadFile", "ReadFile", ["path:output:0"]),
        ("WriteFile", "WriteFile", ["path:output:0", "ReadFile:contents:0"]),
        ("identity", "Identity", ["Add:z:0", "^WriteFile"], {"T": DT_FLOAT}),
    ]
    r.finding(S + "io_ops_saved_model.pb", _saved_model(T, io_nodes), ["MV912"],
              "serving function reads and writes files (ReadFile, WriteFile)")
    py_nodes = MLP_SERVE[:-1] + [
        ("py", "PyFunc", ["Add:z:0"], {"token": b"pyfunc_0"}),
        ("identity", "Identity", ["py:output:0"], {"T": DT_FLOAT}),
    ]
    r.finding(S + "pyfunc_saved_model.pb", _saved_model(T, py_nodes), ["MV911"],
              "serving function calls back into Python through PyFunc (token pyfunc_0)")
    custom_nodes = MLP_SERVE[:-1] + [
        ("custom", "ModelvetFixtureCustomKernel", ["Add:z:0"], {"T": DT_FLOAT}),
        ("identity", "Identity", ["custom:output:0"], {"T": DT_FLOAT}),
    ]
    r.finding(S + "custom_op_saved_model.pb", _saved_model(T, custom_nodes), ["MV913"],
              "serving function uses ModelvetFixtureCustomKernel, an op outside TensorFlow's "
              "standard op set")


def _keras_metadata(T, layers):
    """A SavedMetadata as tf.keras 2.x writes it: the model node, then one node per layer,
    each with the layer's metadata JSON (class_name, config and TF's bookkeeping)."""
    meta = T["SavedMetadata"]()
    model = {"name": "sequential", "trainable": True, "expects_training_arg": True,
             "dtype": "float32", "batch_input_shape": None, "must_restore_from_config": False,
             "class_name": "Sequential",
             "config": {"name": "sequential", "layers": [{"class_name": c, "config": cfg}
                                                         for c, cfg in layers]},
             "shared_object_id": 0, "keras_version": "2.15.0", "backend": "tensorflow"}
    node = meta.nodes.add(node_id=0, node_path="root", identifier="_tf_keras_sequential",
                          metadata=json.dumps(model, sort_keys=True))
    node.version.producer, node.version.min_consumer = 2, 1
    for i, (cls, cfg) in enumerate(layers, start=1):
        layer = {"name": cfg["name"], "trainable": True, "expects_training_arg": False,
                 "dtype": "float32", "batch_input_shape": None, "stateful": False,
                 "must_restore_from_config": False, "class_name": cls, "config": cfg,
                 "shared_object_id": i}
        node = meta.nodes.add(node_id=i, node_path=f"root.layer_with_weights-{i - 1}",
                              identifier="_tf_keras_layer",
                              metadata=json.dumps(layer, sort_keys=True))
        node.version.producer, node.version.min_consumer = 2, 1
    return meta.SerializeToString(deterministic=True)


def gen_savedmodel_metadata(r):
    """The files tf.keras writes beside saved_model.pb (made with the protobuf library and
    TensorFlow's field numbers: TensorFlow is not installed)."""
    T = _tf_messages()
    fp = T["FingerprintDef"](saved_model_checksum=0x9A3C5E11D2B47F08,
                             graph_def_program_hash=0x1F2E3D4C5B6A7988,
                             signature_def_hash=0x0123456789ABCDEF,
                             saved_object_graph_hash=0x7766554433221100,
                             checkpoint_hash=0x1122334455667788,
                             uuid="5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716")
    fp.version.producer = 1
    r.benign(S + "benign/fingerprint.pb", fp.SerializeToString(deterministic=True),
             "fingerprint.pb (FingerprintDef: five hashes, a version and a uuid), as TensorFlow "
             "2.15 writes it beside saved_model.pb")
    dense = {"name": "dense", "trainable": True, "dtype": "float32", "units": 2,
             "activation": "relu", "use_bias": True,
             "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
             "bias_initializer": {"class_name": "Zeros", "config": {}}}
    r.benign(S + "benign/keras_metadata.pb", _keras_metadata(T, [("Dense", dense)]),
             "keras_metadata.pb of a one-layer Sequential: the model node and the Dense layer's "
             "metadata JSON")
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gen_formats import LAMBDA_SHELL_HEX, marshal_b64

    lam = {"name": "lambda", "trainable": True, "dtype": "float32",
           "function": [marshal_b64(LAMBDA_SHELL_HEX), None, None], "function_type": "lambda",
           "module": "__main__", "output_shape": None, "output_shape_type": "raw",
           "output_shape_module": None, "arguments": {}}
    r.finding(S + "keras_metadata_lambda.pb", _keras_metadata(T, [("Dense", dense), ("Lambda", lam)]),
              ["MV901"], "keras_metadata.pb whose Lambda layer carries base64 marshal bytecode "
              "(the code calls os.system('echo modelvet-fixture')); tf.keras rebuilds it on load")


def generate(r):
    """Adds this module's fixtures to the registry `r` (generate.Registry)."""
    gen_onnx(r)
    gen_savedmodel(r)
    gen_savedmodel_metadata(r)
