"""TensorFlow Lite / LiteRT models (issue 13): FlatBuffers written with the `tflite` package's
builders (generated from TensorFlow's schema.fbs, pinned in requirements.txt) and checked
by LiteRT's own interpreter (`ai-edge-litert`, pinned): the benign models load and run,
and the interpreter refuses the custom and Flex ones without the kernels they name.
TFLite files hold no code; the findings are about what kernels a model makes the loader
run. Imported by generate.py."""

import importlib

FOLDER = "formats/tflite"


def _tables():
    names = ["Model", "SubGraph", "Tensor", "Buffer", "Operator", "OperatorCode", "Metadata"]
    # tflite/__init__.py re-exports each class under its module's name; the builder
    # functions live in the modules.
    return {n: importlib.import_module("tflite." + n) for n in names}


def build(ops, metadata=None, buffer_offset=None, opcode_shift=0) -> bytes:
    """A model of one subgraph: input t0 (float32 [1, 4]) through a chain of operators, each
    reading the previous tensor. `ops` lists (builtin code, custom code or None); unused
    operator codes can be added as (code, custom, False). `metadata` is (name, bytes);
    `buffer_offset` gives a buffer an out-of-FlatBuffer (offset, size); `opcode_shift` moves
    every operator's opcode_index by that much."""
    import flatbuffers
    from tflite.BuiltinOperator import BuiltinOperator
    from tflite.TensorType import TensorType

    t = _tables()
    b = flatbuffers.Builder(1024)
    used = [op for op in ops if len(op) == 2 or op[2]]
    ntensors = len(used) + 1

    def vector(start, items):
        start(b, len(items))
        for item in reversed(items):
            b.PrependUOffsetTRelative(item)
        return b.EndVector()

    def ints(start, values):
        start(b, len(values))
        for v in reversed(values):
            b.PrependInt32(v)
        return b.EndVector()

    buffers = []
    for i in range(ntensors + (1 if metadata else 0)):
        data = b.CreateByteVector(metadata[1]) if metadata and i == ntensors else None
        t["Buffer"].BufferStart(b)
        if data is not None:
            t["Buffer"].BufferAddData(b, data)
        if buffer_offset is not None and i == 0:
            t["Buffer"].BufferAddOffset(b, buffer_offset[0])
            t["Buffer"].BufferAddSize(b, buffer_offset[1])
        buffers.append(t["Buffer"].BufferEnd(b))
    tensors = []
    for i in range(ntensors):
        name = b.CreateString(f"t{i}")
        shape = ints(t["Tensor"].TensorStartShapeVector, [1, 4])
        t["Tensor"].TensorStart(b)
        t["Tensor"].TensorAddShape(b, shape)
        t["Tensor"].TensorAddType(b, TensorType.FLOAT32)
        t["Tensor"].TensorAddBuffer(b, 0)
        t["Tensor"].TensorAddName(b, name)
        tensors.append(t["Tensor"].TensorEnd(b))
    operators = []
    for i, (code, *_rest) in enumerate(used):
        inputs = ints(t["Operator"].OperatorStartInputsVector,
                      [i, i] if code == BuiltinOperator.ADD else [i])
        outputs = ints(t["Operator"].OperatorStartOutputsVector, [i + 1])
        t["Operator"].OperatorStart(b)
        t["Operator"].OperatorAddOpcodeIndex(b, i + opcode_shift)
        t["Operator"].OperatorAddInputs(b, inputs)
        t["Operator"].OperatorAddOutputs(b, outputs)
        operators.append(t["Operator"].OperatorEnd(b))
    tensor_vec = vector(t["SubGraph"].SubGraphStartTensorsVector, tensors)
    op_vec = vector(t["SubGraph"].SubGraphStartOperatorsVector, operators)
    inputs = ints(t["SubGraph"].SubGraphStartInputsVector, [0])
    outputs = ints(t["SubGraph"].SubGraphStartOutputsVector, [ntensors - 1])
    name = b.CreateString("main")
    t["SubGraph"].SubGraphStart(b)
    t["SubGraph"].SubGraphAddTensors(b, tensor_vec)
    t["SubGraph"].SubGraphAddOperators(b, op_vec)
    t["SubGraph"].SubGraphAddInputs(b, inputs)
    t["SubGraph"].SubGraphAddOutputs(b, outputs)
    t["SubGraph"].SubGraphAddName(b, name)
    subgraph = t["SubGraph"].SubGraphEnd(b)
    codes = []
    # Used codes first, in operator order; unused ones after them.
    for code, custom, *_rest in used + [op for op in ops if op not in used]:
        custom_code = b.CreateString(custom) if custom else None
        t["OperatorCode"].OperatorCodeStart(b)
        t["OperatorCode"].OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
        t["OperatorCode"].OperatorCodeAddBuiltinCode(b, code)
        t["OperatorCode"].OperatorCodeAddVersion(b, 1)
        if custom_code is not None:
            t["OperatorCode"].OperatorCodeAddCustomCode(b, custom_code)
        codes.append(t["OperatorCode"].OperatorCodeEnd(b))
    code_vec = vector(t["Model"].ModelStartOperatorCodesVector, codes)
    subgraph_vec = vector(t["Model"].ModelStartSubgraphsVector, [subgraph])
    buffer_vec = vector(t["Model"].ModelStartBuffersVector, buffers)
    metadata_vec = None
    if metadata:
        meta_name = b.CreateString(metadata[0])
        t["Metadata"].MetadataStart(b)
        t["Metadata"].MetadataAddName(b, meta_name)
        t["Metadata"].MetadataAddBuffer(b, ntensors)
        metadata_vec = vector(t["Model"].ModelStartMetadataVector, [t["Metadata"].MetadataEnd(b)])
    description = b.CreateString("modelvet fixture")
    t["Model"].ModelStart(b)
    t["Model"].ModelAddVersion(b, 3)
    t["Model"].ModelAddOperatorCodes(b, code_vec)
    t["Model"].ModelAddSubgraphs(b, subgraph_vec)
    t["Model"].ModelAddBuffers(b, buffer_vec)
    t["Model"].ModelAddDescription(b, description)
    if metadata_vec is not None:
        t["Model"].ModelAddMetadata(b, metadata_vec)
    b.Finish(t["Model"].ModelEnd(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _interpreter_error(data: bytes):
    """None when LiteRT's interpreter loads and runs the model, else its error."""
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    try:
        it = Interpreter(model_content=data)
        it.allocate_tensors()
        it.set_tensor(it.get_input_details()[0]["index"], np.ones((1, 4), dtype=np.float32))
        it.invoke()
        return None
    except (RuntimeError, ValueError) as e:
        return str(e)


def generate(r):
    from tflite.BuiltinOperator import BuiltinOperator as Op

    ADD, CUSTOM, RELU = Op.ADD, Op.CUSTOM, Op.RELU
    add = build([(ADD, None), (RELU, None)], metadata=("min_runtime_version", b"1.5.0\0"))
    assert _interpreter_error(add) is None
    r.benign(f"{FOLDER}/add_relu.tflite", add,
             "ADD then RELU on a float32 [1, 4] input, min_runtime_version metadata; LiteRT 2.3.0 "
             "loads and runs it")

    unused = build([(ADD, None), (CUSTOM, "MyCustomOp", False)])
    assert _interpreter_error(unused) is None
    r.benign(f"{FOLDER}/unused_custom_code.tflite", unused,
             "an ADD model that also lists a custom operator code no operator uses (LiteRT runs it)")

    # Not run: the op needs its three inputs and flexbuffer options, and LiteRT 2.3.0
    # crashes preparing this stub without them (which is itself the point of checking
    # models before loading them).
    detection = build([(CUSTOM, "TFLite_Detection_PostProcess")])
    r.benign(f"{FOLDER}/detection_postprocess.tflite", detection,
             "a custom op the standard resolver registers itself (TFLite_Detection_PostProcess, "
             "tensorflow/lite/core/kernels/register.cc)")

    custom = build([(CUSTOM, "MyCustomOp")])
    assert "unresolved custom op: MyCustomOp" in (_interpreter_error(custom) or ""), custom
    r.finding(f"{FOLDER}/custom_op.tflite", custom, ["MV921"],
              "a custom op (MyCustomOp) the interpreter only runs with a kernel the application "
              "registers; LiteRT refuses it as an unresolved custom op")

    for name, op, rules, what in [
        ("flex_addv2", "FlexAddV2", ["MV922"], "TensorFlow's AddV2 through the Flex delegate (low)"),
        ("flex_readfile", "FlexReadFile", ["MV912"],
         "TensorFlow's ReadFile through the Flex delegate: reads a file (high)"),
        ("flex_pyfunc", "FlexPyFunc", ["MV911"],
         "TensorFlow's PyFunc through the Flex delegate: calls back into Python (critical)"),
    ]:
        data = build([(CUSTOM, op)])
        assert "Flex delegate" in (_interpreter_error(data) or ""), name
        add_fixture = r.notice if rules == ["MV922"] else r.finding
        add_fixture(f"{FOLDER}/{name}.tflite", data, rules,
                    f"{what}; LiteRT without the Flex delegate refuses it")

    r.add(f"{FOLDER}/truncated.tflite", add[: len(add) // 2], "incomplete",
          "the first half of add_relu.tflite")
    outside = build([(ADD, None)], buffer_offset=(1 << 20, 64))
    r.add(f"{FOLDER}/buffer_outside_file.tflite", outside, "incomplete",
          "a buffer whose out-of-FlatBuffer data (offset 1 MiB, 64 bytes) lies past the end of "
          "the file (as in a cut model over 2 GB)")
    bad_index = build([(ADD, None)], opcode_shift=7)
    assert _interpreter_error(bad_index) is not None
    r.finding(f"{FOLDER}/opcode_index_out_of_range.tflite", bad_index, ["MV923"],
              "an operator whose opcode_index (7) names no operator code; LiteRT refuses it")
