"""Hugging Face folders for the AI-BOM's counts and lineage: quantized checkpoints (GPTQ,
AWQ, bitsandbytes 4-bit), a PEFT LoRA adapter, and a GGUF file that names its base
models. Called by generate.py.

No PyTorch on CI, so the quantization libraries cannot run here. The configs come from
transformers' own classes where they need no PyTorch (`GPTQConfig`, `AwqConfig`; their
`to_dict()` is what `save_pretrained` writes as `quantization_config`); the
bitsandbytes and PEFT configs are written with the keys those libraries write. The
tensors are packed with numpy the way the kernels store them (GPTQ: eight 4-bit weights
per I32 word along the input dimension; AWQ: along the output dimension, in its
interleaved order; bitsandbytes: two NF4 codes per byte, an absmax per 64-element block,
and the serialised quant state), written by `safetensors.numpy`. The GGUF file is written
by `gguf.GGUFWriter` with a Q4_0 tensor quantized by `gguf.quants`.

Every folder's true parameter count (the float model's) is computed here and stated in
the manifest description; tests/bom.rs asserts the BOM reports it.
"""

from __future__ import annotations

import json

import numpy as np

import gen_formats as f

HIDDEN, INTERMEDIATE, VOCAB, GROUP = 64, 128, 32, 32
LINEARS = {  # name -> (out_features, in_features), as torch stores Linear weights
    "self_attn.q_proj": (HIDDEN, HIDDEN),
    "self_attn.k_proj": (HIDDEN, HIDDEN),
    "self_attn.v_proj": (HIDDEN, HIDDEN),
    "self_attn.o_proj": (HIDDEN, HIDDEN),
    "mlp.gate_proj": (INTERMEDIATE, HIDDEN),
    "mlp.up_proj": (INTERMEDIATE, HIDDEN),
    "mlp.down_proj": (HIDDEN, INTERMEDIATE),
}
# the float model: embeddings, one decoder layer, final norm, untied head
TRUE_PARAMETERS = (VOCAB * HIDDEN + sum(o * i for o, i in LINEARS.values())
                   + 3 * HIDDEN + VOCAB * HIDDEN)
BASE_MODEL = "modelvet/tiny-llama"


def generate(r):
    gen_quantized(r)
    gen_peft_adapter(r)
    gen_gguf_base_models(r)


def unquantized(rng):
    """The tensors no quantizer touches (float16, as the quantized checkpoints keep them)."""
    return {
        "model.embed_tokens.weight": rng.standard_normal((VOCAB, HIDDEN)).astype("<f2"),
        "model.layers.0.input_layernorm.weight": np.ones(HIDDEN, "<f2"),
        "model.layers.0.post_attention_layernorm.weight": np.ones(HIDDEN, "<f2"),
        "model.norm.weight": np.ones(HIDDEN, "<f2"),
        "lm_head.weight": rng.standard_normal((VOCAB, HIDDEN)).astype("<f2"),
    }


def pack_rows(codes, bits):
    """GPTQ's qweight: codes [in, out] of `bits` each, 32 // bits per I32 along `in`."""
    per = 32 // bits
    rows, cols = codes.shape
    out = np.zeros((rows // per, cols), np.uint32)
    for j in range(per):
        out |= codes[j::per].astype(np.uint32) << np.uint32(bits * j)
    return out.view("<i4")


AWQ_ORDER = [0, 2, 4, 6, 1, 3, 5, 7]  # AutoAWQ's GEMM pack order within a word


def pack_cols_awq(codes):
    """AWQ's qweight and qzeros: 4-bit codes [rows, out], eight per I32 along `out`."""
    rows, cols = codes.shape
    out = np.zeros((rows, cols // 8), np.uint32)
    for k, j in enumerate(AWQ_ORDER):
        out |= codes[:, j::8].astype(np.uint32) << np.uint32(4 * k)
    return out.view("<i4")


def gptq_tensors(rng, bits=4):
    t = unquantized(rng)
    for name, (out_f, in_f) in LINEARS.items():
        p = f"model.layers.0.{name}"
        codes = rng.integers(0, 2 ** bits, (in_f, out_f))
        zeros = rng.integers(0, 2 ** bits, (in_f // GROUP, out_f))
        t[f"{p}.qweight"] = pack_rows(codes, bits)
        t[f"{p}.qzeros"] = pack_rows(zeros.T, bits).T.copy()  # packed along out, as GPTQ does
        t[f"{p}.scales"] = rng.random((in_f // GROUP, out_f)).astype("<f2")
        t[f"{p}.g_idx"] = (np.arange(in_f) // GROUP).astype("<i4")
    return t


def awq_tensors(rng):
    t = unquantized(rng)
    for name, (out_f, in_f) in LINEARS.items():
        p = f"model.layers.0.{name}"
        t[f"{p}.qweight"] = pack_cols_awq(rng.integers(0, 16, (in_f, out_f)))
        t[f"{p}.qzeros"] = pack_cols_awq(rng.integers(0, 16, (in_f // GROUP, out_f)))
        t[f"{p}.scales"] = rng.random((in_f // GROUP, out_f)).astype("<f2")
    return t


NF4 = np.array([-1.0, -0.6961928, -0.5250730, -0.3949175, -0.2844414, -0.1848449,
                -0.0910500, 0.0, 0.0795803, 0.1609302, 0.2461123, 0.3379152, 0.4407098,
                0.5626170, 0.7229568, 1.0], "<f4")


def bnb_4bit_tensors(rng):
    t = unquantized(rng)
    for name, (out_f, in_f) in LINEARS.items():
        p = f"model.layers.0.{name}.weight"
        w = rng.standard_normal(out_f * in_f).astype("<f4")
        blocks = w.reshape(-1, 64)
        absmax = np.abs(blocks).max(axis=1)
        codes = np.abs((blocks / absmax[:, None]).reshape(-1, 1) - NF4[None, :]).argmin(axis=1)
        packed = (codes[0::2] << 4 | codes[1::2]).astype(np.uint8)
        t[p] = packed.reshape(-1, 1)
        t[f"{p}.absmax"] = absmax.astype("<f4")
        t[f"{p}.quant_map"] = NF4
        state = json.dumps({"quant_type": "nf4", "blocksize": 64, "dtype": "float16",
                            "shape": [out_f, in_f]}).encode()
        t[f"{p}.quant_state.bitsandbytes__nf4"] = np.frombuffer(state, np.uint8)
    return t


def quantized_config(quantization):
    from transformers.utils.quantization_config import QuantizationConfigMixin
    q = quantization.to_dict() if isinstance(quantization, QuantizationConfigMixin) else quantization
    # QuantizationMethod is a str enum: json writes its value, as save_pretrained does
    return f.hf_config(hidden_size=HIDDEN, intermediate_size=INTERMEDIATE, vocab_size=VOCAB,
                       torch_dtype="float16", quantization_config=json.loads(json.dumps(q)))


def card(base_relation):
    return (f"---\nbase_model: {BASE_MODEL}\nbase_model_relation: {base_relation}\n"
            "license: apache-2.0\n---\n\n# tiny-llama, quantized\n").encode()


def gen_quantized(r):
    import logging
    logging.getLogger("transformers").setLevel(logging.ERROR)
    from transformers.utils.quantization_config import AwqConfig, GPTQConfig

    rng = np.random.default_rng(11)
    gptq = gptq_tensors(rng)
    f.add_dir(r, "formats/hf_gptq_4bit", [
        ("config.json", f.jbytes(quantized_config(GPTQConfig(bits=4, group_size=GROUP, desc_act=False)))),
        ("README.md", card("quantized")),
        ("model.safetensors", f.st_save(gptq, metadata={"format": "pt"}))],
        "benign", f"a GPTQ 4-bit checkpoint of a one-layer Llama (transformers GPTQConfig, I32 "
        f"qweight/qzeros, F16 scales, I32 g_idx, group {GROUP}): {TRUE_PARAMETERS} parameters, "
        f"{sum(a.size for a in gptq.values())} stored elements")

    rng = np.random.default_rng(12)
    f.add_dir(r, "formats/hf_awq_4bit", [
        ("config.json", f.jbytes(quantized_config(AwqConfig(bits=4, group_size=GROUP)))),
        ("model.safetensors", f.st_save(awq_tensors(rng), metadata={"format": "pt"}))],
        "benign", f"an AWQ 4-bit GEMM checkpoint (transformers AwqConfig; qweight packed along the "
        f"output dimension): {TRUE_PARAMETERS} parameters")

    rng = np.random.default_rng(13)
    bnb_config = {  # BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4").to_dict()
        "_load_in_4bit": True, "_load_in_8bit": False, "bnb_4bit_compute_dtype": "float32",
        "bnb_4bit_quant_storage": "uint8", "bnb_4bit_quant_type": "nf4",
        "bnb_4bit_use_double_quant": False, "llm_int8_enable_fp32_cpu_offload": False,
        "llm_int8_has_fp16_weight": False, "llm_int8_skip_modules": None,
        "llm_int8_threshold": 6.0, "load_in_4bit": True, "load_in_8bit": False,
        "quant_method": "bitsandbytes"}
    f.add_dir(r, "formats/hf_bnb_nf4", [
        ("config.json", f.jbytes(quantized_config(bnb_config))),
        ("model.safetensors", f.st_save(bnb_4bit_tensors(rng), metadata={"format": "pt"}))],
        "benign", f"a bitsandbytes NF4 checkpoint (U8 weights two codes a byte, absmax per 64, "
        f"quant_map, serialised quant_state): {TRUE_PARAMETERS} parameters")

    # Without its config the bit width is unknown: the count is left out, not guessed.
    f.add_dir(r, "formats/hf_gptq_no_config", [
        ("model.safetensors", f.st_save(gptq, metadata={"format": "pt"}))],
        "benign", "the GPTQ weights without config.json: packed words whose width nothing states")


PEFT_CONFIG = {  # LoraConfig(...).to_dict() as PEFT 0.17 writes adapter_config.json
    "alpha_pattern": {}, "auto_mapping": None, "base_model_name_or_path": BASE_MODEL,
    "bias": "none", "corda_config": None, "eva_config": None, "exclude_modules": None,
    "fan_in_fan_out": False, "inference_mode": True, "init_lora_weights": True,
    "layer_replication": None, "layers_pattern": None, "layers_to_transform": None,
    "loftq_config": {}, "lora_alpha": 16, "lora_bias": False, "lora_dropout": 0.05,
    "megatron_config": None, "megatron_core": "megatron.core", "modules_to_save": None,
    "peft_type": "LORA", "qalora_group_size": 16, "r": 8, "rank_pattern": {},
    "revision": None, "target_modules": ["v_proj", "q_proj"], "target_parameters": None,
    "task_type": "CAUSAL_LM", "trainable_token_indices": None, "use_dora": False,
    "use_qalora": False, "use_rslora": False}
LORA_R = 8


def gen_peft_adapter(r):
    rng = np.random.default_rng(14)
    tensors = {}
    for name in ["q_proj", "v_proj"]:
        p = f"base_model.model.model.layers.0.self_attn.{name}"
        tensors[f"{p}.lora_A.weight"] = rng.standard_normal((LORA_R, HIDDEN)).astype("<f4")
        tensors[f"{p}.lora_B.weight"] = np.zeros((HIDDEN, LORA_R), "<f4")
    count = sum(a.size for a in tensors.values())
    # PEFT's model card template starts with this front matter
    readme = (f"---\nbase_model: {BASE_MODEL}\nlibrary_name: peft\n---\n\n"
              "# Model Card for Model ID\n").encode()
    f.add_dir(r, "formats/hf_peft_lora", [
        ("adapter_config.json", f.jbytes(PEFT_CONFIG)),
        ("adapter_model.safetensors", f.st_save(tensors)),
        ("README.md", readme)],
        "benign", f"a PEFT LoRA adapter (r={LORA_R} on q_proj and v_proj) of {BASE_MODEL}: "
        f"adapter_config.json and the card both name the base model; {count} parameters")

    tensors_only = dict(PEFT_CONFIG, base_model_name_or_path="meta-llama/Llama-3.2-1B",
                        revision="4e20de362430cd3b72f300e6b0f18e50e7166e08", peft_type="IA3")
    f.add_dir(r, "formats/hf_peft_ia3_pinned", [
        ("adapter_config.json", f.jbytes(tensors_only)),
        ("adapter_model.safetensors", f.st_save(tensors))],
        "benign", "a PEFT adapter config naming its base model at a pinned commit, no card")


def gen_gguf_base_models(r):
    import gguf
    import gguf.quants

    rng = np.random.default_rng(15)
    weight = rng.standard_normal((HIDDEN, 64)).astype(np.float32)
    q4 = gguf.quants.quantize(weight, gguf.GGMLQuantizationType.Q4_0)
    norm = np.ones(HIDDEN, np.float32)
    with f.tempfile.TemporaryDirectory() as tmp:
        path = f.os.path.join(tmp, "m.gguf")
        w = gguf.GGUFWriter(path, "llama")
        w.add_name("Tiny Llama Finetune")
        w.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_0)
        w.add_base_model_count(2)
        w.add_base_model_name(0, "Tiny Llama")
        w.add_base_model_organization(0, "Modelvet")
        w.add_base_model_repo_url(0, f"https://huggingface.co/{BASE_MODEL}")
        w.add_base_model_name(1, "In-house Llama")
        w.add_base_model_version(1, "2.1")
        w.add_tensor("blk.0.attn_q.weight", q4, raw_shape=q4.shape,
                     raw_dtype=gguf.GGMLQuantizationType.Q4_0)
        w.add_tensor("output_norm.weight", norm)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        data = open(path, "rb").read()
    r.benign("formats/gguf_base_models.gguf", data,
             f"gguf.GGUFWriter: general.base_model.0 (a Hub repo_url) and .1 (name and version "
             f"only), one Q4_0 tensor [{HIDDEN}, 64] and an F32 norm: {HIDDEN * 64 + HIDDEN} "
             "parameters")
