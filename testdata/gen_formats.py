"""Fixtures of the non-pickle formats: safetensors, GGUF, ONNX, Keras, TensorFlow
SavedModel, and Hugging Face repository layouts. Called by generate.py.

Everything valid is written by the real libraries pinned in requirements.txt
(safetensors.numpy.save, gguf.GGUFWriter, keras on its numpy backend). Broken variants
are derived from those bytes by small, documented edits: the small encoders below
(`st_file`, `gguf_file`) are first checked to reproduce the libraries' own output byte
for byte, then used with one field changed. Nothing malicious is ever loaded: Keras
models with Lambda code are built by saving an inert lambda (`x * 2`) and editing the
saved config.json text; the loader is never called on them.

Directory fixtures (Hugging Face repository layouts) are one manifest entry whose
`path` is the folder; their files are written beside it and scanned as a directory.
"""

from __future__ import annotations

import base64
import io
import json
import os
import pathlib
import pickle
import struct
import sys
import tempfile
import zipfile

import numpy as np

import generate as g  # the registry helpers (plain_zip, FORBIDDEN); re-import is side-effect free

CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
    " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
# Server-side template injection in the shape of CVE-2024-34359: walks object's subclasses
# to Popen. Inert here: templates are never rendered by the generator.
SSTI = (
    "{% for message in messages %}{{ message['content'] }}{% endfor %}"
    "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == 'Popen' %}"
    "{{ c(['echo', 'modelvet-fixture']).communicate() }}{% endif %}{% endfor %}"
)


def generate(r):
    """Adds this module's fixtures to the registry `r` (generate.Registry)."""
    gen_safetensors(r)
    gen_hf_layouts(r)
    gen_gguf(r)
    gen_keras(r)
    gen_loader_configs(r)


def add_dir(r, path, members, expect, description, rules=()):
    """A directory fixture: one manifest entry for `path`, its files written beneath it."""
    assert expect in g.EXPECTS and expect != "malicious", expect
    assert path not in r.entries and path not in r.files, path
    if expect == "finding":
        assert rules, path
    for name, data in members:
        for bad in g.FORBIDDEN:
            assert bad not in data, (path, name, bad)
        r.extra_file(f"{path}/{name}", data)
    entry = {"path": path, "expect": expect, "evasion_class": None, "description": description}
    if rules:
        entry["rules"] = list(rules)
    r.entries[path] = entry


def jbytes(obj, indent=2) -> bytes:
    return (json.dumps(obj, indent=indent) + "\n").encode()


# =============================================================== safetensors
def st_save(tensors: dict, metadata=None) -> bytes:
    from safetensors.numpy import load, save

    data = save(tensors, metadata=metadata)
    back = load(data)
    assert sorted(back) == sorted(tensors)
    for k, v in tensors.items():
        assert back[k].dtype == v.dtype and np.array_equal(back[k], v)
    return data


def st_split(data: bytes):
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def st_file(header, buffer: bytes, header_len=None, pad=True) -> bytes:
    """8-byte length, header text padded with spaces to 8 bytes (as the library does), data.
    `header` is a dict (compact JSON, insertion order) or raw text."""
    text = header if isinstance(header, str) else json.dumps(header, separators=(",", ":"))
    raw = text.encode()
    if pad:
        raw += b" " * (-len(raw) % 8)
    n = len(raw) if header_len is None else header_len
    return struct.pack("<Q", n) + raw + buffer


def st_library_verdict(data: bytes) -> str:
    """What the safetensors library (Rust crate 0.8 via Python) says about a file."""
    from safetensors.numpy import load

    try:
        load(data)
        return "the safetensors library loads it"
    except Exception as e:  # noqa: BLE001  (any refusal is the answer)
        return f"the safetensors library refuses it ({type(e).__name__})"


def gen_safetensors(r):
    rng = np.random.default_rng(3)
    tensors = {
        "embed.weight": rng.standard_normal((4, 4)).astype("<f4"),
        "lm_head.bias": rng.standard_normal(4).astype("<f4"),
    }
    good = st_save(tensors, metadata={"format": "pt"})
    header, buf = st_split(good)
    # the encoder reproduces the library's output, so edits below change one thing only
    assert st_file(header, buf) == good, "st_file must match safetensors.numpy.save"
    r.benign("formats/st_tiny_pt.safetensors", good,
             "safetensors.numpy.save of two F32 tensors with __metadata__ {format: pt}")
    a, b = header["embed.weight"], header["lm_head.bias"]
    assert a["data_offsets"] == [0, 64] and b["data_offsets"] == [64, 80], header

    def variant(name, rule, desc, hdr=None, data=None, expect_lib_refuses=None):
        blob = data if data is not None else st_file(hdr, buf)
        verdict = st_library_verdict(blob)
        if expect_lib_refuses is not None:
            assert ("refuses" in verdict) == expect_lib_refuses, (name, verdict)
        r.finding(f"formats/{name}", blob, [rule], f"{desc}; {verdict}")

    def edited(**changes):
        h = json.loads(json.dumps(header))
        for key, fields in changes.items():
            h[key.replace("__", ".")].update(fields)
        return h

    variant("st_offsets_overlap.safetensors", "MV601",
            "lm_head.bias data_offsets [48, 64] overlap embed.weight [0, 64]",
            hdr=edited(lm_head__bias={"data_offsets": [48, 64]}))
    variant("st_hole_between_tensors.safetensors", "MV601",
            "16 unreferenced bytes between the two tensors (lm_head.bias at [80, 96])",
            data=st_file(edited(lm_head__bias={"data_offsets": [80, 96]}),
                         buf[:64] + b"\x00" * 16 + buf[64:]))
    variant("st_offset_beyond_file.safetensors", "MV601",
            "lm_head.bias data_offsets [64, 80] but the data buffer ends at 64",
            data=st_file(header, buf[:64]), expect_lib_refuses=True)
    variant("st_unknown_dtype.safetensors", "MV601", "dtype 'F31' is not a safetensors dtype",
            hdr=edited(embed__weight={"dtype": "F31"}), expect_lib_refuses=True)
    variant("st_shape_bytes_mismatch.safetensors", "MV601",
            "embed.weight shape [4, 5] (80 bytes) but data_offsets span 64 bytes",
            hdr=edited(embed__weight={"shape": [4, 5]}), expect_lib_refuses=True)
    variant("st_trailing_bytes.safetensors", "MV601",
            "16 bytes after the last tensor's data",
            data=good + b"MODELVETFIXTURE\x00")
    variant("st_header_len_past_eof.safetensors", "MV601",
            "header length field says 4096 bytes, more than the file holds",
            data=st_file(header, buf, header_len=4096), expect_lib_refuses=True)
    # accepted by the library, forbidden by the format (MV602)
    text = json.dumps(header, separators=(",", ":"))
    variant("st_leading_whitespace.safetensors", "MV602",
            "header text starts with spaces and a newline before '{'",
            hdr="  \n" + text)
    dup = text[:-1] + ',"lm_head.bias":{"dtype":"F32","shape":[2,2],"data_offsets":[64,80]}}'
    variant("st_duplicate_key.safetensors", "MV602",
            "tensor key lm_head.bias appears twice (shape [4] then [2, 2]); JSON readers keep "
            "different ones", hdr=dup)
    variant("st_unknown_field.safetensors", "MV602",
            "tensor entry with an extra field 'quant'",
            hdr=edited(embed__weight={"quant": "int4"}))
    nul = text.replace('"embed.weight"', '"embed\\u0000.weight"')
    assert nul != text
    variant("st_nul_in_name.safetensors", "MV602", "tensor name contains NUL (embed\\0.weight)",
            hdr=nul)
    meta = json.loads(text)
    meta["__metadata__"] = {"format": "pt", "epochs": 3}
    variant("st_metadata_non_string.safetensors", "MV602",
            "__metadata__ value 3 is a number (the format allows only strings)", hdr=meta)

    # a pickle disguised by its name: recognised by content, a plain dict (only MV501, low)
    disguised = pickle.dumps({"epoch": 3, "step": 1200, "lr": 0.001}, protocol=4)
    r.benign("formats/st_pickle_renamed.safetensors", disguised,
             "pickle.dumps of a plain dict (no globals) named .safetensors: MV501 format-name-mismatch "
             "(low) only", rules=["MV501"])


# =============================================================== Hugging Face layouts
def hf_config(**extra):
    cfg = {
        "architectures": ["LlamaForCausalLM"],
        "bos_token_id": 1,
        "eos_token_id": 2,
        "hidden_size": 8,
        "intermediate_size": 16,
        "max_position_embeddings": 64,
        "model_type": "llama",
        "num_attention_heads": 2,
        "num_hidden_layers": 1,
        "num_key_value_heads": 2,
        "torch_dtype": "float32",
        "transformers_version": "4.57.1",
        "vocab_size": 16,
    }
    cfg.update(extra)
    return cfg


def hf_tensors(seed=5):
    rng = np.random.default_rng(seed)
    return {
        "model.embed_tokens.weight": rng.standard_normal((16, 8)).astype("<f4"),
        "model.layers.0.self_attn.q_proj.weight": rng.standard_normal((8, 8)).astype("<f4"),
        "model.layers.0.mlp.up_proj.weight": rng.standard_normal((16, 8)).astype("<f4"),
        "model.norm.weight": np.ones(8, "<f4"),
        "lm_head.weight": rng.standard_normal((16, 8)).astype("<f4"),
    }


def hf_shards(tensors, split):
    """Two shards (names before `split` in the first) and their index."""
    names = sorted(tensors)
    parts = [names[:split], names[split:]]
    files, weight_map, total = [], {}, 0
    for i, part in enumerate(parts, 1):
        fname = f"model-{i:05d}-of-{len(parts):05d}.safetensors"
        data = st_save({n: tensors[n] for n in part}, metadata={"format": "pt"})
        files.append((fname, data))
        for n in part:
            weight_map[n] = fname
            total += tensors[n].nbytes
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    return files, index


def tokenizer_config(template):
    return {
        "add_bos_token": True,
        "add_eos_token": False,
        "bos_token": "<s>",
        "chat_template": template,
        "clean_up_tokenization_spaces": False,
        "eos_token": "</s>",
        "model_max_length": 64,
        "tokenizer_class": "LlamaTokenizer",
        "unk_token": "<unk>",
    }


README_MD = b"""---
license: apache-2.0
datasets:
- modelvet/fixture-corpus
language:
- en
library_name: transformers
---

# modelvet tiny llama

A 1-layer, 8-wide test model for modelvet's fixtures. Random weights.
"""

# A model card in the Hugging Face template's shape, as the Hub's card editor writes it.
README_FULL_MD = b"""---
license: apache-2.0
base_model: modelvet/tiny-llama-base
base_model_relation: finetune
datasets:
- modelvet/fixture-corpus
- modelvet/fixture-instructions
language:
- en
- fr
library_name: transformers
pipeline_tag: text-generation
tags:
- fixture
- arxiv:1910.09700
co2_eq_emissions:
  emissions: 12.5
  source: codecarbon
  training_type: fine-tuning
  geographical_location: Frankfurt, Germany
  hardware_used: 1 x CPU
model-index:
- name: tiny-llama-chat
  results:
  - task:
      type: text-generation
      name: Text Generation
    dataset:
      name: Fixture QA
      type: modelvet/fixture-qa
      split: test
    metrics:
    - type: accuracy
      value: 0.25
      name: Accuracy
    - type: f1
      value: 0.31
      name: F1
    - type: acc_norm
      value: 0.27
      name: normalized accuracy
    source:
      name: Fixture Leaderboard
      url: https://huggingface.co/spaces/modelvet/fixture-leaderboard
---

# tiny-llama-chat

A 1-layer, 8-wide chat model for modelvet's fixtures. Random weights.

### Model Sources [optional]

- **Repository:** https://github.com/modelvet/tiny-llama-chat
- **Paper [optional]:** [More Information Needed]
- **Demo [optional]:** [the demo](https://huggingface.co/spaces/modelvet/tiny-llama-chat-demo)

## Uses

### Direct Use

Testing tools that read model repositories. It produces no useful text.

### Out-of-Scope Use

Anything that needs a working language model.

## Bias, Risks, and Limitations

The weights are random numbers, so every answer is noise.

### Recommendations

Do not deploy it.

## Training Details

### Training Data

Nothing: the weights come from a seeded random generator.

## Evaluation

The metrics in the front matter are made up for the test.

## Environmental Impact

- **Hardware Type:** 1 x CPU
- **Hours used:** [More Information Needed]
"""

GENERATION_CONFIG = {"bos_token_id": 1, "eos_token_id": 2, "max_new_tokens": 16,
                     "transformers_version": "4.57.1"}


def trainer_card():
    """The card `Trainer.create_model_card` writes, from transformers itself (no PyTorch
    needed for the card, so its framework list has Transformers and Tokenizers)."""
    import logging
    logging.getLogger("transformers").setLevel(logging.ERROR)
    from transformers.modelcard import TrainingSummary
    summary = TrainingSummary(
        model_name="tiny-bert-imdb",
        language=["en"],
        license="apache-2.0",
        finetuned_from="modelvet/tiny-bert-base",
        tasks=["text-classification"],
        dataset=["imdb"],
        dataset_tags=["imdb"],
        dataset_args=["plain_text"],
        eval_results={"Loss": 0.2, "Accuracy": 0.93},
        eval_lines=[],
        hyperparameters={"learning_rate": 2e-05, "train_batch_size": 16, "eval_batch_size": 16,
                         "seed": 42, "optimizer": "adamw_torch", "lr_scheduler_type": "linear",
                         "num_epochs": 1},
    )
    return summary.to_model_card().encode()


def gen_hf_layouts(r):
    tensors = hf_tensors()
    shards, index = hf_shards(tensors, 3)
    common = [("config.json", jbytes(hf_config())),
              ("generation_config.json", jbytes(GENERATION_CONFIG)),
              ("README.md", README_MD)]
    common_card = [("config.json", jbytes(hf_config(rope_theta=10000.0))),
                   ("generation_config.json", jbytes(GENERATION_CONFIG)),
                   ("README.md", README_FULL_MD)]
    add_dir(r, "formats/hf_sharded_ok", common + shards + [
        ("model.safetensors.index.json", jbytes(index)),
        ("tokenizer_config.json", jbytes(tokenizer_config(CHATML)))],
        "benign", "Hugging Face layout: config, 2 safetensors shards and their index, "
        "tokenizer_config.json with a ChatML chat_template, generation_config, README front matter")

    add_dir(r, "formats/hf_model_card_full", common_card + shards + [
        ("model.safetensors.index.json", jbytes(index)),
        ("tokenizer_config.json", jbytes(tokenizer_config(CHATML)))],
        "benign", "Hugging Face layout with a complete model card (licence, base model, datasets, "
        "model-index results, emissions, limitations and intended-use sections): the BOM golden")

    single = st_save(tensors, metadata={"format": "pt"})
    auto_map = {"AutoConfig": "configuration_x.XConfig", "AutoModelForCausalLM": "modeling_x.XForCausalLM"}
    add_dir(r, "formats/hf_remote_code", [
        ("config.json", jbytes(hf_config(auto_map=auto_map, model_type="x", architectures=["XForCausalLM"]))),
        ("configuration_x.py", b'print("modelvet-fixture")\n'),
        ("modeling_x.py", b'print("modelvet-fixture")\n'),
        ("model.safetensors", single)],
        "finding", "config.json auto_map points at configuration_x.py and modeling_x.py (each only "
        "prints); loading needs trust_remote_code", rules=["MV1001", "MV1002"])

    add_dir(r, "formats/hf_trainer_card", [
        ("config.json", jbytes(hf_config())),
        ("README.md", trainer_card()),
        ("model.safetensors", single)],
        "benign", "the model card transformers' Trainer writes (TrainingSummary.to_model_card of "
        "the pinned transformers): training hyperparameters, framework versions, 'Training and "
        "evaluation data', placeholders")

    # transformers reads config.json with json.loads, which takes Python's NaN and Infinity
    # (json.dumps writes them for float("nan")); a strict JSON reader refuses the file and
    # with it the auto_map the loader follows.
    nan_config = hf_config(auto_map=auto_map, model_type="x", architectures=["XForCausalLM"],
                           rope_scaling_factor=float("nan"), max_grad_norm=float("inf"))
    assert b"NaN" in jbytes(nan_config) and b"Infinity" in jbytes(nan_config)
    add_dir(r, "formats/hf_remote_code_nan_config", [
        ("config.json", jbytes(nan_config)),
        ("modeling_x.py", b'print("modelvet-fixture")\n'),
        ("model.safetensors", single)],
        "finding", "config.json with NaN and Infinity values (as json.dumps writes them) and an "
        "auto_map to modeling_x.py: Python's json reads it, so the auto_map counts",
        rules=["MV1001", "MV1002"])
    add_dir(r, "formats/hf_config_nan", [
        ("config.json", jbytes(hf_config(layer_norm_eps=float("nan"), initializer_range=float("-inf")))),
        ("model.safetensors", single)],
        "benign", "config.json holding NaN and -Infinity, which transformers' json.loads reads: "
        "checked, not incomplete")

    add_dir(r, "formats/hf_helper_script", [
        ("config.json", jbytes(hf_config(model_type="x", architectures=["XForCausalLM"]))),
        ("convert_checkpoint.py", b'print("modelvet-fixture")\n'),
        ("model.safetensors", single)],
        "notice", "a model folder with a conversion script no auto_map names: MV1002 at low",
        rules=["MV1002"])

    add_dir(r, "formats/code_base_script", [
        ("train.py", b'print("modelvet-fixture")\n'),
        ("notes.md", b"# training notes\n")],
        "benign", "a folder of code that holds no model: its Python file is not a finding")

    add_dir(r, "formats/hf_shard_missing", common + shards[:1] + [
        ("model.safetensors.index.json", jbytes(index))],
        "finding", "the index maps tensors to model-00002-of-00002.safetensors, which is absent",
        rules=["MV1003"])

    extra = st_save({"extra.weight": np.zeros(4, "<f4")}, metadata={"format": "pt"})
    add_dir(r, "formats/hf_unlisted_shard", common + shards + [
        ("model.safetensors.index.json", jbytes(index)),
        ("model-extra.safetensors", extra)],
        "finding", "a complete sharded model plus model-extra.safetensors, which the index does not list",
        rules=["MV1003"])

    # the same tensor stored in both shards; the index names only the second
    names = sorted(tensors)
    dup_first = st_save({n: tensors[n] for n in names[:3] + [names[3]]}, metadata={"format": "pt"})
    add_dir(r, "formats/hf_tensor_in_two_shards", common + [
        ("model-00001-of-00002.safetensors", dup_first), shards[1],
        ("model.safetensors.index.json", jbytes(index))],
        "finding", f"tensor {names[3]} is stored in both shards (the index maps it to the second)",
        rules=["MV1003"])

    ghost = json.loads(json.dumps(index))
    ghost["weight_map"]["model.layers.0.mlp.down_proj.weight"] = shards[0][0]
    ghost["weight_map"] = dict(sorted(ghost["weight_map"].items()))
    add_dir(r, "formats/hf_index_tensor_absent", common + shards + [
        ("model.safetensors.index.json", jbytes(ghost))],
        "finding", "the index maps model.layers.0.mlp.down_proj.weight to the first shard, which "
        "does not hold it", rules=["MV1003"])

    add_dir(r, "formats/hf_chat_template_ssti", [
        ("config.json", jbytes(hf_config())),
        ("model.safetensors", single),
        ("tokenizer_config.json", jbytes(tokenizer_config(SSTI)))],
        "finding", "tokenizer_config.json chat_template walks ''.__class__.__mro__[1].__subclasses__() "
        "to Popen (CVE-2024-34359 shape; echo only)", rules=["MV703"])

    add_dir(r, "formats/hf_chat_template_jinja", [
        ("config.json", jbytes(hf_config())),
        ("model.safetensors", single),
        ("chat_template.jinja", SSTI.encode() + b"\n"),
        ("tokenizer_config.json", jbytes({k: v for k, v in tokenizer_config(None).items()
                                          if k != "chat_template"}))],
        "finding", "chat_template.jinja (transformers >= 4.43 layout) with the subclasses-to-Popen "
        "injection", rules=["MV703"])

    # Compiled Python beside the weights: CPython 3.11's header (magic 3495, `\r\n`, flags 0,
    # source mtime and size 0) and the frozen marshal of the fixture's inert code object.
    pyc = (3495).to_bytes(2, "little") + b"\r\n" + bytes(12) + bytes.fromhex(g.MARSHAL_CODE_HEX)
    add_dir(r, "formats/hf_compiled_python", [
        ("config.json", jbytes(hf_config(model_type="x", architectures=["XForCausalLM"]))),
        ("helper.pyc", pyc),
        ("model.safetensors", single)],
        "notice", "a model folder with a sourceless helper.pyc: compiled Python is code like a .py "
        "(MV1002 low: no auto_map names it)", rules=["MV1002"])

    # Jinja's lexer reads string literals inside a block: the `}}` in quotes does not end it,
    # so the rest of the expression is still code.
    quoted = "{{ '}}' ~ ''.__class__.__mro__[1].__subclasses__() }}"
    add_dir(r, "formats/hf_chat_template_quoted_braces", [
        ("config.json", jbytes(hf_config())),
        ("model.safetensors", single),
        ("tokenizer_config.json", jbytes(tokenizer_config(quoted)))],
        "finding", "tokenizer_config.json chat_template whose escape follows a string literal "
        "holding `}}`, which ends the block for a naive scanner but not for Jinja", rules=["MV703"])

    # A sandbox escape whose private names are never written out: each is assembled at
    # render time from '%c'|format(95), and `''[name]` falls back to getattr in Jinja.
    built = ("{% set u = '%c'|format(95) %}{% set c = ''[u ~ u ~ 'class' ~ u ~ u] %}"
             "{{ c[u ~ u ~ 'mro' ~ u ~ u][1][u ~ u ~ 'subclasses' ~ u ~ u]()|length > 0 }}")
    assert jinja_reaches_python(built)
    add_dir(r, "formats/hf_chat_template_built_names", [
        ("config.json", jbytes(hf_config())),
        ("model.safetensors", single),
        ("tokenizer_config.json", jbytes(tokenizer_config(built)))],
        "finding", "tokenizer_config.json chat_template that reaches object.__subclasses__() "
        "through names assembled from '%c'|format(95) pieces, none written out (Jinja 3.1.6 "
        "renders it unsandboxed; the payload only counts subclasses)", rules=["MV703"])


def jinja_reaches_python(template: str) -> bool:
    """Renders an inert template with Jinja itself: unsandboxed it must reach Python objects
    (render "True"), and Jinja's sandbox must refuse it."""
    import jinja2
    import jinja2.sandbox
    assert jinja2.Environment().from_string(template).render() == "True"
    try:
        jinja2.sandbox.ImmutableSandboxedEnvironment().from_string(template).render()
    except jinja2.exceptions.SecurityError:
        return True
    return False


# =============================================================== GGUF
GGUF_MAGIC = b"GGUF"


def gguf_types():
    from gguf import GGMLQuantizationType, GGUFValueType

    return GGUFValueType, GGMLQuantizationType


def gguf_value(vtype, value, subtype=None, v1=False) -> bytes:
    """One GGUF value of type `vtype` (GGUFValueType int); arrays take (subtype, list)."""
    T, _ = gguf_types()
    lenfmt = "<I" if v1 else "<Q"
    simple = {T.UINT8: "<B", T.INT8: "<b", T.UINT16: "<H", T.INT16: "<h", T.UINT32: "<I",
              T.INT32: "<i", T.FLOAT32: "<f", T.BOOL: "<?", T.UINT64: "<Q", T.INT64: "<q",
              T.FLOAT64: "<d"}
    if vtype == T.STRING:
        raw = value if isinstance(value, bytes) else value.encode()
        return struct.pack(lenfmt, len(raw)) + raw
    if vtype == T.ARRAY:
        out = struct.pack("<I", subtype) + struct.pack(lenfmt, len(value))
        return out + b"".join(gguf_value(subtype, v, v1=v1) for v in value)
    if vtype in simple:
        return struct.pack(simple[vtype], value)
    return value  # raw bytes for unknown types (broken variants)


def gguf_file(kvs, tensors, data: bytes, version=3, alignment=32, n_kv=None, n_tensors=None) -> bytes:
    """kvs: [(key, vtype, value[, subtype])]; tensors: [(name, shape(numpy order), ggml_type,
    offset)]; data: the tensor data section. Writes what GGUFWriter writes."""
    T, _ = gguf_types()
    v1 = version == 1
    cnt = "<I" if v1 else "<Q"
    out = bytearray(GGUF_MAGIC + struct.pack("<I", version))
    out += struct.pack(cnt, len(tensors) if n_tensors is None else n_tensors)
    out += struct.pack(cnt, len(kvs) if n_kv is None else n_kv)
    for kv in kvs:
        key, vtype, value = kv[:3]
        sub = kv[3] if len(kv) > 3 else None
        out += gguf_value(T.STRING, key, v1=v1) + struct.pack("<I", vtype)
        out += gguf_value(vtype, value, sub, v1=v1)
    for name, shape, gtype, offset in tensors:
        out += gguf_value(T.STRING, name, v1=v1) + struct.pack("<I", len(shape))
        for d in reversed(shape):
            out += struct.pack("<I" if v1 else "<Q", d)
        out += struct.pack("<I", gtype) + struct.pack("<Q", offset)
    out += b"\x00" * (-len(out) % alignment)
    return bytes(out) + data


def gguf_pad(b: bytes, alignment=32) -> bytes:
    return b + b"\x00" * (-len(b) % alignment)


def gguf_tiny(template=CHATML):
    """The tiny llama's metadata, tensors and data as gguf_file arguments."""
    T, Q = gguf_types()
    rng = np.random.default_rng(11)
    arrays = [
        ("token_embd.weight", rng.standard_normal((16, 8)).astype("<f4")),
        ("output_norm.weight", np.ones(8, "<f4")),
        ("blk.0.attn_q.weight", rng.standard_normal((8, 8)).astype("<f2")),
    ]
    kvs = [
        ("general.architecture", T.STRING, "llama"),
        ("general.name", T.STRING, "modelvet-tiny"),
        ("general.file_type", T.UINT32, 1),
        ("llama.context_length", T.UINT32, 64),
        ("llama.embedding_length", T.UINT32, 8),
        ("llama.block_count", T.UINT32, 1),
        ("tokenizer.chat_template", T.STRING, template),
    ]
    tensors, data = [], b""
    for name, arr in arrays:
        gtype = Q.F32 if arr.dtype == np.float32 else Q.F16
        tensors.append((name, arr.shape, gtype, len(data)))
        data += gguf_pad(arr.tobytes())
    return kvs, tensors, data, arrays


def gguf_write(template=CHATML) -> bytes:
    """The tiny llama written by gguf.GGUFWriter and read back with gguf.GGUFReader."""
    import gguf

    _, _, _, arrays = gguf_tiny(template)
    with tempfile.TemporaryDirectory(prefix="modelvet-gguf-") as tmp:
        path = pathlib.Path(tmp) / "tiny.gguf"
        w = gguf.GGUFWriter(str(path), "llama")
        w.add_name("modelvet-tiny")
        w.add_file_type(1)  # LlamaFileType.MOSTLY_F16
        w.add_context_length(64)
        w.add_embedding_length(8)
        w.add_block_count(1)
        w.add_chat_template(template)
        for name, arr in arrays:
            w.add_tensor(name, arr)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        data = path.read_bytes()
        rd = gguf.GGUFReader(str(path))
        assert [t.name for t in rd.tensors] == [n for n, _ in arrays]
        for t, (_, arr) in zip(rd.tensors, arrays):
            assert np.array_equal(np.asarray(t.data).reshape(arr.shape), arr)
        del rd
    return data


def gen_gguf(r):
    T, Q = gguf_types()
    good = gguf_write()
    kvs, tensors, data, _ = gguf_tiny()
    assert gguf_file(kvs, tensors, data) == good, "gguf_file must match GGUFWriter"
    r.benign("formats/gguf_tiny_llama.gguf", good,
             "gguf.GGUFWriter v3: llama metadata, ChatML tokenizer.chat_template, two F32 and one F16 tensor")

    ssti = gguf_write(SSTI)
    assert gguf_file(*gguf_tiny(SSTI)[:3]) == ssti
    r.finding("formats/gguf_chat_template_ssti.gguf", ssti, ["MV703"],
              "GGUFWriter file whose tokenizer.chat_template walks __subclasses__ to Popen "
              "(CVE-2024-34359 shape; echo only)")

    def bad(name, rule, desc, blob):
        r.finding(f"formats/{name}", blob, [rule], desc)

    kv2 = kvs[:2] + [("general.modelvet_fixture", 13, struct.pack("<I", 7))] + kvs[2:]
    bad("gguf_unknown_value_type.gguf", "MV701", "metadata value type 13 (types end at 12)",
        gguf_file(kv2, tensors, data))
    t5 = tensors[:1] + [("output_norm.weight", (1, 1, 1, 1, 8), Q.F32, tensors[1][3])] + tensors[2:]
    bad("gguf_n_dims_5.gguf", "MV701", "tensor output_norm.weight has n_dims 5 (at most 4)",
        gguf_file(kvs, t5, data))
    far = tensors[:2] + [(tensors[2][0], tensors[2][1], tensors[2][2], len(data) + 4096)]
    bad("gguf_offset_beyond_file.gguf", "MV701",
        "tensor blk.0.attn_q.weight's offset points 4096 bytes past the end of the data", gguf_file(kvs, far, data))
    # shift the F16 tensor by 4 bytes (data grows by 4 so it still fits): misaligned, no overlap
    off = tensors[2][3]
    mis = tensors[:2] + [(tensors[2][0], tensors[2][1], tensors[2][2], off + 4)]
    bad("gguf_misaligned_offset.gguf", "MV701",
        f"tensor blk.0.attn_q.weight at offset {off + 4}, not a multiple of the alignment 32",
        gguf_file(kvs, mis, gguf_pad(data[:off] + b"\x00" * 4 + data[off:])))
    ovl = tensors[:1] + [(tensors[1][0], tensors[1][1], tensors[1][2], 0)] + tensors[2:]
    bad("gguf_overlapping_tensors.gguf", "MV701",
        "output_norm.weight at offset 0 overlaps token_embd.weight", gguf_file(kvs, ovl, data))
    # alignment 48: the layout is consistent with 48, which is not a power of two
    t48, d48 = [], b""
    for name, shape, gtype, o in tensors:
        nb = int(np.prod(shape)) * (4 if gtype == Q.F32 else 2)
        raw = data[o:o + nb]
        t48.append((name, shape, gtype, len(d48)))
        d48 += gguf_pad(raw, 48)
    bad("gguf_alignment_not_pow2.gguf", "MV701", "general.alignment is 48 (must be a power of two)",
        gguf_file(kvs + [("general.alignment", T.UINT32, 48)], t48, d48, alignment=48))
    kvu = kvs[:1] + [(b"general.\xff\xfename", T.STRING, "modelvet-tiny")] + kvs[2:]
    bad("gguf_invalid_utf8_key.gguf", "MV701", "metadata key general.\\xff\\xfename is not UTF-8",
        gguf_file(kvu, tensors, data))
    kvd = kvs + [("general.name", T.STRING, "modelvet-tiny-second")]
    bad("gguf_duplicate_key.gguf", "MV702", "metadata key general.name appears twice",
        gguf_file(kvd, tensors, data))
    td = tensors + [(tensors[1][0], tensors[1][1], tensors[1][2], len(data))]
    bad("gguf_duplicate_tensor.gguf", "MV702",
        "tensor name output_norm.weight appears twice, at different offsets",
        gguf_file(kvs, td, data + gguf_pad(np.zeros(8, "<f4").tobytes())))
    kvt = kvs + [("tokenizer.chat_template", T.STRING, SSTI)]
    r.finding("formats/gguf_duplicate_chat_template.gguf", gguf_file(kvt, tensors, data),
              ["MV702", "MV703"], "tokenizer.chat_template appears twice: ChatML first, then the "
              "subclasses-to-Popen injection (readers keeping the first see a benign template)")

    # truncation: the file ends inside the metadata (in the chat template string)
    cut = good.index(CHATML.encode()) + 10
    r.add("formats/gguf_truncated_header.gguf", good[:cut], "incomplete",
          "GGUFWriter file cut inside the tokenizer.chat_template value: the header cannot be read")

    # older versions: v2 has v3's layout; v1 uses u32 counts, string lengths and dims
    r.benign("formats/gguf_v2_tiny.gguf", gguf_file(kvs, tensors, data, version=2),
             "the tiny llama as GGUF version 2 (same encoding as v3)")
    r.add("formats/gguf_v1_tiny.gguf", gguf_file(kvs, tensors, data, version=1), "incomplete-or-clean",
          "the tiny llama as GGUF version 1 (u32 counts, lengths and dims); llama.cpp no longer "
          "loads v1: parsing it fully or declaring it unsupported are both right")


# =============================================================== Keras
# marshal.dumps of the code of `lambda x: x * 2` and of
# `lambda x: __import__('os').system('echo modelvet-fixture') or x`, both compiled with the
# file name "<modelvet-fixture>" by CPython 3.11.7 and frozen here (marshal output depends on
# reference counts and the source path). Keras writes a lambda's code exactly like this:
# base64.encodebytes(marshal.dumps(fn.__code__)). Neither is ever unmarshalled here.
LAMBDA_DOUBLE_HEX = (
    "e30100000000000000000000000200000003000000f30c00000097007c0064017a050000530029024ee9020000"
    "00a9002901da0178730100000020fa123c6d6f64656c7665742d666978747572653efa083c6c616d6264613e72"
    "0600000001000000730a00000080008821886189258000f300000000"
)
LAMBDA_SHELL_HEX = (
    "e30100000000000000000000000300000003000000f34a00000097007401000000000000000000006401a60100"
    "00ab010000000000000000a00100000000000000000000000000000000000000006402a6010000ab0100000000"
    "0000000070017c00530029034eda026f737a156563686f206d6f64656c7665742d666978747572652902da0a5f"
    "5f696d706f72745f5fda0673797374656d2901da0178730100000020fa123c6d6f64656c7665742d6669787475"
    "72653efa083c6c616d6264613e720700000001000000732200000080008d2a9054d10a1ad40a1ad70a21d20a21"
    "d02239d10a3ad40a3ad00a3fb8618000f300000000"
)
FIXED_DATE_SAVED = "1980-01-01@00:00:00"


def marshal_b64(hexcode: str) -> str:
    return base64.encodebytes(bytes.fromhex(hexcode)).decode("ascii")


def keras_module():
    """keras on its numpy backend (the variable must be set before the first import)."""
    os.environ["KERAS_BACKEND"] = "numpy"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import absl.logging
    import keras

    absl.logging.set_verbosity(absl.logging.ERROR)
    assert keras.backend.backend() == "numpy", keras.backend.backend()
    keras.utils.set_random_seed(0)
    return keras


def normalise_shared_ids(text: str) -> str:
    """shared_object_id is id() of a Python object: renumber them 1, 2, ... in order."""
    import re

    ids = {}

    def sub(m):
        ids.setdefault(m.group(1), len(ids) + 1)
        return f'"shared_object_id": {ids[m.group(1)]}'

    return re.sub(r'"shared_object_id": (\d+)', sub, text)


def keras_save(model, edit=None, config_bytes=None, weights_edit=None) -> bytes:
    """model.save(...keras), re-packed deterministically: shared ids renumbered, date_saved
    fixed, member dates 1980-01-01. `edit(config_dict)` changes the config; `config_bytes`
    replaces config.json outright; `weights_edit(h5py.File)` changes model.weights.h5."""
    with tempfile.TemporaryDirectory(prefix="modelvet-keras-") as tmp:
        path = pathlib.Path(tmp) / "model.keras"
        model.save(str(path))
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
            members = [(i.filename, z.read(i.filename)) for i in infos]
    out = []
    for name, data in members:
        if name == "metadata.json":
            meta = json.loads(data)
            meta["date_saved"] = FIXED_DATE_SAVED
            data = json.dumps(meta).encode()
        elif name == "config.json":
            text = normalise_shared_ids(data.decode())
            if edit is not None:
                cfg = json.loads(text)
                edit(cfg)
                text = json.dumps(cfg)
            data = config_bytes if config_bytes is not None else text.encode()
        elif name == "model.weights.h5" and weights_edit is not None:
            data = h5_edit(data, weights_edit)
        out.append((name, data))
    assert [n for n, _ in out] == ["metadata.json", "config.json", "model.weights.h5"], out
    return g.plain_zip(out)


def h5_edit(data: bytes, edit) -> bytes:
    """`edit(f)` run on the HDF5 file `data` opened read-write with h5py."""
    import h5py

    with tempfile.TemporaryDirectory(prefix="modelvet-h5-") as tmp:
        path = pathlib.Path(tmp) / "edit.h5"
        path.write_bytes(data)
        with h5py.File(path, "r+") as f:
            edit(f)
        return path.read_bytes()


def keras_h5(model, edit=None) -> bytes:
    """model.save(...h5) (Keras' legacy HDF5 writer); `edit` changes the model_config attribute."""
    import h5py

    with tempfile.TemporaryDirectory(prefix="modelvet-keras-") as tmp:
        path = pathlib.Path(tmp) / "model.h5"
        model.save(str(path))
        if edit is not None:
            # Rewriting an attribute in place leaves the old value's bytes in the file's
            # free space, and those depend on where the generator runs (the lambda's
            # co_filename). Copy everything into a fresh file instead.
            fresh = pathlib.Path(tmp) / "edited.h5"
            with h5py.File(path, "r") as src, h5py.File(fresh, "w") as dst:
                for key in src.attrs:
                    value = src.attrs[key]
                    if key == "model_config":
                        cfg = json.loads(value)
                        edit(cfg)
                        dst.attrs[key] = json.dumps(cfg)
                    else:
                        dst.attrs.create(key, value, dtype=src.attrs.get_id(key).dtype)
                for name in src:
                    src.copy(src[name], dst, name=name)
            path = fresh
        return path.read_bytes()


def keras_layers(cfg):
    """Every layer dict of a saved Sequential/Functional config."""
    return cfg["config"]["layers"]


def set_lambda_code(hexcode):
    def edit(cfg):
        n = 0
        for layer in keras_layers(cfg):
            fn = layer["config"].get("function")
            if isinstance(fn, dict) and fn.get("class_name") == "__lambda__":
                fn["config"]["code"] = marshal_b64(hexcode)
                n += 1
        assert n == 1, cfg
    return edit


def modelvet_double(x):
    """A named function for Lambda layers (serialised as a function reference)."""
    return x * 2


def gen_keras(r):
    import h5py

    keras = keras_module()
    L = keras.layers

    def dense_model():
        m = keras.Sequential([keras.Input((4,), name="features"), L.Dense(3, activation="relu", name="hidden"),
                              L.Dense(2, name="logits")], name="tiny_dense")
        m.compile(optimizer="adam", loss="mse", metrics=["mae"])
        return m

    dense = dense_model()
    r.benign("formats/keras_dense_ok.keras", keras_save(dense),
             "keras 3.15 Sequential (Input, Dense relu, Dense), compiled with adam/mse/mae, saved as .keras")
    r.benign("formats/keras_dense_ok.h5", keras_h5(dense),
             "the same model saved with Keras' legacy HDF5 writer (model_config, training_config attributes)")

    # functional model: wrappers, a nested Sequential, a shared layer, objects in compile_config
    inp = keras.Input((5, 4), name="seq_in")
    x = L.TimeDistributed(L.Dense(3, name="td_dense"), name="time_dist")(inp)
    x = L.Bidirectional(L.LSTM(2, name="lstm"), name="bidir")(x)
    shared = L.Dense(4, activation="tanh", kernel_regularizer=keras.regularizers.L2(0.01),
                     kernel_constraint=keras.constraints.MaxNorm(2.0), name="shared")
    a, b = shared(x), shared(x)
    x = L.Add(name="add")([a, b])
    head = keras.Sequential([keras.Input((4,)), L.Dense(2, name="h1"), L.Dense(1, activation="sigmoid",
                                                                             name="h2")], name="head")
    out = head(x)
    func = keras.Model(inp, out, name="wrapped_functional")
    func.compile(optimizer=keras.optimizers.SGD(0.01), loss=keras.losses.BinaryCrossentropy(),
                 metrics=[keras.metrics.AUC(name="auc")])
    r.benign("formats/keras_functional_nested.keras", keras_save(func),
             "keras 3.15 functional model: TimeDistributed(Dense), Bidirectional(LSTM), a shared Dense "
             "with regularizer and constraint, Add, a nested Sequential; SGD/BinaryCrossentropy/AUC")

    def lambda_model(fn):
        return keras.Sequential([keras.Input((4,), name="features"), L.Lambda(fn, name="double"),
                                 L.Dense(2, name="logits")], name="with_lambda")

    with np.errstate(all="ignore"):  # Keras traces the (inert) lambda on placeholder arrays
        lam = lambda_model(lambda x: x * 2)  # serialised, then its code is replaced
    r.finding("formats/keras_lambda.keras", keras_save(lam, edit=set_lambda_code(LAMBDA_DOUBLE_HEX)),
              ["MV901"], "Lambda layer whose function is a __lambda__: base64 marshal of `lambda x: x * 2`")
    r.finding("formats/keras_lambda.h5", keras_h5(lam, edit=set_lambda_code(LAMBDA_DOUBLE_HEX)),
              ["MV901"], "the Lambda model saved with Keras' legacy HDF5 writer (model_config attribute)")
    r.finding("formats/keras_lambda_shell.keras", keras_save(lam, edit=set_lambda_code(LAMBDA_SHELL_HEX)),
              ["MV901"], "Lambda code is marshal of `lambda x: __import__('os').system('echo "
              "modelvet-fixture') or x` (CVE-2024-3660 shape)")

    with np.errstate(all="ignore"):
        named = lambda_model(modelvet_double)

    def function_ref(module, name, arguments=None):
        def edit(cfg):
            layer = keras_layers(cfg)[1]
            fn = layer["config"]["function"]
            assert fn["class_name"] == "function" and fn["config"] == "modelvet_double", fn
            fn["module"], fn["config"] = module, name
            if arguments is not None:
                layer["config"]["arguments"] = arguments
        return edit

    r.finding("formats/keras_lambda_os_system.keras",
              keras_save(named, edit=function_ref("os", "system")), ["MV902"],
              "Lambda function reference {module: os, class_name: function, config: system} "
              "(CVE-2025-1550 shape: any importable function)")
    # Keras builds the model from config.json alone: the same archive with every other
    # member removed (no metadata.json, no weights) still loads and still imports os.
    with zipfile.ZipFile(io.BytesIO(keras_save(named, edit=function_ref("os", "system")))) as z:
        z_config = z.read("config.json")
        config_only = g.plain_zip([("config.json", z_config)])
    r.finding("formats/keras_config_only_os_system.keras", config_only, ["MV902"],
              "the os.system Lambda archive reduced to its config.json: no metadata.json or "
              "weights, which Keras does not need to build the model")
    # Keras 3 reads config.json as bytes and calls json.loads on them, which detects UTF-16
    # and UTF-32 (json.detect_encoding): the same os.system reference, re-encoded. keras
    # 3.15.1 load_model gets as far into this file as into the UTF-8 one (the same
    # deserialisation error, after json.loads read it).
    utf16 = g.plain_zip([("config.json", z_config.decode().encode("utf-16"))])
    r.finding("formats/keras_config_utf16_os_system.keras", utf16, ["MV902"],
              "the config-only os.system Lambda archive with config.json in UTF-16 (with BOM): "
              "json.loads(bytes) decodes it, a UTF-8-only reader sees no JSON")
    r.finding("formats/keras_get_file_gadget.keras",
              keras_save(named, edit=function_ref("keras.utils", "get_file", {
                  "origin": "http://127.0.0.1:9/modelvet-fixture", "fname": "/tmp/modelvet-fixture"})),
              ["MV904"], "Lambda function reference keras.utils.get_file with origin/fname arguments "
              "(CVE-2025-8747 shape)")

    # A TorchModuleWrapper layer as Keras' get_config writes it (torch.save of the module,
    # base64 in config.module; torch is not installed here, so the payload is the torch
    # zip generate.py writes byte-exactly, holding the inert os.system state dict).
    # from_config hands it to torch.load(weights_only=False) (CVE-2025-49655).
    torch_payload = base64.b64encode(g.malicious_torch_zip()).decode("ascii")

    def add_torch_module(cfg):
        layers = keras_layers(cfg)
        layers.insert(2, {"module": "keras.layers", "class_name": "TorchModuleWrapper", "config": {
            "name": "torch_module_wrapper", "trainable": True, "dtype": layers[1]["config"]["dtype"],
            "module": torch_payload, "output_shape": None}, "registered_name": None,
            "build_config": {"input_shape": [None, 3]}})

    r.finding("formats/keras_torch_module_wrapper.keras", keras_save(dense, edit=add_torch_module),
              ["MV906", "MV101"], "config.json with a TorchModuleWrapper whose base64 module is a "
              "torch.save zip running os.system (echo) when unpickled (CVE-2025-49655 shape)")

    def add_vocabulary_path(cfg):
        layers = keras_layers(cfg)
        layers.insert(1, {"module": "keras.layers", "class_name": "StringLookup", "config": {
            "name": "lookup", "trainable": True, "dtype": "int64",
            "vocabulary": "/tmp/modelvet-fixture/vocabulary.txt", "max_tokens": None,
            "num_oov_indices": 1, "mask_token": None, "oov_token": "[UNK]",
            "output_mode": "int", "sparse": False, "pad_to_max_tokens": False,
            "idf_weights": None, "invert": False, "encoding": "utf-8"},
            "registered_name": None})

    r.finding("formats/keras_vocabulary_path.keras", keras_save(dense, edit=add_vocabulary_path),
              ["MV904"], "config.json with a StringLookup whose vocabulary is the file "
              "/tmp/modelvet-fixture/vocabulary.txt, read while the layer is built (CVE-2025-12058 shape)")


    def unsafe_then_lambda(cfg):
        layers = keras_layers(cfg)
        gadget = json.loads(json.dumps(layers[1]))
        fn = gadget["config"]["function"]
        fn["module"], fn["config"] = "keras.config", "enable_unsafe_deserialization"
        gadget["config"]["name"] = "unsafe"
        layers[1]["config"]["function"] = {"class_name": "__lambda__", "config": {
            "code": marshal_b64(LAMBDA_SHELL_HEX), "defaults": None, "closure": None}}
        layers.insert(1, gadget)

    r.finding("formats/keras_enable_unsafe.keras", keras_save(named, edit=unsafe_then_lambda),
              ["MV904", "MV901"], "a Lambda calling keras.config.enable_unsafe_deserialization, then a "
              "Lambda with marshal code (CVE-2025-9906 shape)")
    r.finding("formats/keras_load_model_gadget.keras",
              keras_save(named, edit=function_ref("keras.models", "load_model", {"safe_mode": False})),
              ["MV904"], "Lambda function reference keras.models.load_model with arguments "
              "{safe_mode: false}")

    def add_tfsm(cfg):
        layers = keras_layers(cfg)
        layers.insert(2, {"module": "keras.layers", "class_name": "TFSMLayer", "config": {
            "name": "tfsm", "trainable": False, "dtype": layers[1]["config"]["dtype"],
            "filepath": "/tmp/modelvet-fixture/saved_model", "call_endpoint": "serve",
            "call_training_endpoint": None}, "registered_name": None,
            "build_config": {"input_shape": [None, 3]}})

    r.finding("formats/keras_tfsmlayer.keras", keras_save(dense, edit=add_tfsm), ["MV904"],
              "config.json with a TFSMLayer loading /tmp/modelvet-fixture/saved_model "
              "(CVE-2026-1462 shape: a SavedModel loaded during deserialisation)")

    @keras.saving.register_keras_serializable(package="ModelvetFixture")
    class ScaleLayer(L.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    custom = keras.Sequential([keras.Input((4,), name="features"), ScaleLayer(name="scale"),
                               L.Dense(2, name="logits")], name="with_custom")
    blob = keras_save(custom)
    assert b'"registered_name": "ModelvetFixture>ScaleLayer"' in blob
    r.notice("formats/keras_custom_object.keras", blob, ["MV903"],
             "custom layer registered as ModelvetFixture>ScaleLayer (module gen_formats); the loader "
             "must provide its code, the file carries none (low)")

    r.finding("formats/keras_config_not_json.keras",
              keras_save(dense, config_bytes=b'{"module": "keras", "class_name": "Sequential", '),
              ["MV905"], "a .keras archive whose config.json is cut off (not JSON)")

    # Keras 2 legacy HDF5: Lambda `function` as [base64 marshal, defaults, closure] with
    # function_type "lambda" (written with h5py: Keras 2 is not installed)
    k2 = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "dtype": "float32",
                                                "sparse": False, "ragged": False, "name": "input_1"}},
        {"class_name": "Lambda", "config": {
            "name": "lambda", "trainable": True, "dtype": "float32",
            "function": [marshal_b64(LAMBDA_SHELL_HEX), None, None], "function_type": "lambda",
            "module": "__main__", "output_shape": None, "output_shape_type": "raw",
            "output_shape_module": None, "arguments": {}}}]},
        "keras_version": "2.15.0", "backend": "tensorflow"}
    with tempfile.TemporaryDirectory(prefix="modelvet-keras-") as tmp:
        path = pathlib.Path(tmp) / "k2.h5"
        with h5py.File(path, "w") as f:
            f.attrs["keras_version"] = "2.15.0"
            f.attrs["backend"] = "tensorflow"
            f.attrs["model_config"] = json.dumps(k2)
            f.create_group("model_weights").attrs["layer_names"] = np.array([b"input_1", b"lambda"])
        k2_h5 = path.read_bytes()
    gen_hdf5_foreign_data(r, dense)

    r.finding("formats/keras2_lambda_legacy.h5", k2_h5, ["MV901"],
              "Keras 2 style legacy HDF5 (written with h5py): Lambda function [base64 marshal, null, null] "
              "with function_type lambda; the code calls os.system('echo modelvet-fixture')")


def gen_hdf5_foreign_data(r, dense):
    """CVE-2026-1669 and its follow-ups: HDF5 datasets and links that make h5py read
    another file when Keras reads a weight. Written by h5py (the model by Keras); the
    named paths are never read by the generator."""
    import h5py

    def external_storage(f):
        kernel = f["model_weights/hidden/tiny_dense/hidden/kernel"]
        shape, dtype = kernel.shape, kernel.dtype
        del f["model_weights/hidden/tiny_dense/hidden/kernel"]
        nbytes = int(np.prod(shape)) * dtype.itemsize
        f["model_weights/hidden/tiny_dense/hidden"].create_dataset(
            "kernel", shape=shape, dtype=dtype, external=[("/etc/hostname", 0, nbytes)])

    legacy = keras_h5(dense)
    with tempfile.TemporaryDirectory(prefix="modelvet-h5-") as tmp:
        probe = pathlib.Path(tmp) / "probe.h5"
        probe.write_bytes(legacy)
        with h5py.File(probe, "r") as f:
            names = []
            f.visit(names.append)
    assert "model_weights/hidden/tiny_dense/hidden/kernel" in names, names
    r.finding("formats/keras_h5_external_storage.h5", h5_edit(legacy, external_storage), ["MV907"],
              "Keras legacy HDF5 (Keras 3.15 model.save .h5) whose hidden/kernel weight is an h5py "
              "dataset with external storage in /etc/hostname: load_weights reads that file into "
              "the weight (CVE-2026-1669)")

    def virtual_dataset(group, name, shape, dtype, source_file, source_dataset):
        # h5py's create_virtual_dataset records modification times; the low-level calls
        # leave them out, so the bytes do not depend on the clock.
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_obj_track_times(False)
        space = h5py.h5s.create_simple(shape)
        dcpl.set_virtual(space, source_file.encode(), source_dataset.encode(),
                         h5py.h5s.create_simple(shape))
        h5py.h5d.create(group.id, name.encode(), h5py.h5t.py_create(np.dtype(dtype)), space,
                        dcpl=dcpl)

    def virtual_source(f):
        kernel = f["model_weights/logits/tiny_dense/logits/kernel"]
        shape, dtype = kernel.shape, kernel.dtype
        del f["model_weights/logits/tiny_dense/logits/kernel"]
        virtual_dataset(f["model_weights/logits/tiny_dense/logits"], "kernel", shape, dtype,
                        "/home/victim/checkpoint.h5", "/secret")

    r.finding("formats/keras_h5_virtual_dataset.h5", h5_edit(legacy, virtual_source), ["MV907"],
              "Keras legacy HDF5 whose logits/kernel weight is an h5py virtual dataset mapped from "
              "/home/victim/checkpoint.h5 (Keras PR #22976: a virtual dataset reads another file)")

    def external_link(f):
        del f["layers/dense/vars"]
        f["layers/dense"]["vars"] = h5py.ExternalLink("/home/victim/other.weights.h5",
                                                      "/layers/dense/vars")

    r.finding("formats/keras_weights_external_link.keras", keras_save(dense, weights_edit=external_link),
              ["MV907"],
              "Keras 3.15 .keras archive whose model.weights.h5 has layers/dense/vars replaced by an "
              "h5py ExternalLink to /home/victim/other.weights.h5 (Keras PR #22057, CVE-2026-1669)")

    with tempfile.TemporaryDirectory(prefix="modelvet-h5-") as tmp:
        path = pathlib.Path(tmp) / "same_file.h5"
        with h5py.File(path, "w") as f:
            f["weights/source"] = np.arange(8, dtype="<f4")
            virtual_dataset(f["weights"], "view", (8,), "<f4", ".", "/weights/source")
            f["alias"] = h5py.SoftLink("/weights/source")
        same_file = path.read_bytes()
    r.benign("formats/hdf5_same_file_links.h5", same_file,
             "h5py file with a soft link and a virtual dataset whose only source is the same file "
             "('.'): nothing outside the file is read")

    with tempfile.TemporaryDirectory(prefix="modelvet-h5-") as tmp:
        path = pathlib.Path(tmp) / "user_block.h5"
        with h5py.File(path, "w", userblock_size=512) as f:
            f.attrs["note"] = "an HDF5 file after a 512-byte user block"
            f["weights"] = np.arange(4, dtype="<f4")
        blob = bytearray(path.read_bytes())
    blob[:512] = b"#" * 512  # the user block belongs to the application: h5py skips it
    r.finding("formats/hdf5_user_block_external_storage.h5",
              h5_edit(bytes(blob), lambda f: f.create_dataset(
                  "kernel", shape=(4,), dtype="<f4", external=[("/etc/hostname", 0, 16)])),
              ["MV907"],
              "h5py file with a 512-byte user block (the superblock sits at offset 512, where the "
              "HDF5 library also looks) and a dataset stored in /etc/hostname")


# =============================================================== loader configurations
def nemo_tar(config_yaml: str) -> bytes:
    """A .nemo file as NeMo's save_to writes it: a tar of model_config.yaml and
    model_weights.ckpt (torch.save of the state dict; here generate.py's byte-exact torch
    zip of a small state dict)."""
    tf = g.TensorFactory(seed=3)
    sd = g.tiny_cnn_state_dict(tf)
    weights = g.torch_zip(g.torch_records(g.torch_pickle(sd), tf.storages, "torch2"))
    return g.make_tar([("./model_config.yaml", config_yaml.encode()),
                       ("./model_weights.ckpt", weights)])


NEMO_CONFIG = """sample_rate: 16000
target: nemo.collections.asr.models.ctc_models.EncDecCTCModel
preprocessor:
  _target_: nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor
  sample_rate: 16000
  features: 80
encoder:
  _target_: nemo.collections.asr.modules.ConformerEncoder
  feat_in: 80
  n_layers: 2
  d_model: 4
decoder:
  _target_: nemo.collections.asr.modules.ConvASRDecoder
  feat_in: 4
  num_classes: 28
optim:
  name: adamw
  lr: 0.001
"""


def gen_loader_configs(r):
    import yaml  # PyYAML, which OmegaConf reads configs with

    benign = yaml.safe_load(NEMO_CONFIG)
    assert benign["encoder"]["_target_"].startswith("nemo.")
    r.notice("formats/nemo_conformer.nemo", nemo_tar(NEMO_CONFIG), ["MV1004"],
             "a .nemo tar (model_config.yaml + model_weights.ckpt) whose _target_ entries are "
             "NeMo's own modules: listed at low")
    # CVE-2025-23304: restore_from instantiates every _target_ with hydra; this one is
    # os.system with an echo.
    hostile = NEMO_CONFIG.replace(
        "preprocessor:\n  _target_: nemo.collections.asr.modules.AudioToMelSpectrogramPreprocessor",
        "preprocessor:\n  _target_: os.system\n  _args_: ['echo modelvet-fixture']")
    assert yaml.safe_load(hostile)["preprocessor"]["_target_"] == "os.system"
    r.finding("formats/nemo_target_os_system.nemo", nemo_tar(hostile), ["MV1004"],
              "a .nemo tar whose model_config.yaml instantiates os.system('echo modelvet-fixture') "
              "through Hydra's _target_ (CVE-2025-23304 shape)")
    # The same target behind a YAML anchor, which the bounded reader does not follow: the
    # file is incomplete and its _target_ line is still judged.
    anchored = "defaults: &d\n  sample_rate: 16000\npreprocessor:\n  <<: *d\n  _target_: subprocess.run\n  args: ['echo', 'modelvet-fixture']\n"
    assert yaml.safe_load(anchored)["preprocessor"]["_target_"] == "subprocess.run"
    r.finding("formats/nemo_target_behind_anchor.nemo", nemo_tar(anchored), ["MV1004"],
              "a .nemo whose config uses a YAML merge key (not read by modelvet's YAML reader) "
              "and instantiates subprocess.run: incomplete, and the target line still flagged")

    def mlmodel(loader_module, extra=""):
        return (f"artifact_path: model\nflavors:\n  python_function:\n    env:\n      "
                f"virtualenv: python_env.yaml\n    loader_module: {loader_module}\n"
                f"    model_path: model.pkl\n    predict_fn: predict\n    python_version: 3.11.7\n"
                f"{extra}mlflow_version: 3.6.0\nmodel_uuid: 00000000000000000000000000000000\n").encode()

    sk = yaml.safe_load(mlmodel("mlflow.sklearn"))
    assert sk["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
    add_dir(r, "formats/mlflow_sklearn_model", [("MLmodel", mlmodel("mlflow.sklearn"))],
            "notice", "an MLflow MLmodel whose pyfunc loader_module is mlflow.sklearn: listed at "
            "low", rules=["MV1004"])
    add_dir(r, "formats/mlflow_custom_loader", [
        ("MLmodel", mlmodel("custom_loader", "    code: code\n")),
        ("code/custom_loader.py", b'print("modelvet-fixture")\n')],
        "finding", "an MLflow MLmodel whose pyfunc loader_module is custom_loader, imported from "
        "the model's code folder", rules=["MV1004"])

    # TorchServe's .mar: a zip whose MAR-INF/MANIFEST.json names a handler; a custom one is
    # Python in the archive that the server imports to load the model. The layout is what
    # torch-model-archiver 0.12 writes (its manifest keys), stored members.
    manifest = {"createdOn": "01/01/2025 00:00:00", "runtime": "python",
                "model": {"modelName": "tiny", "serializedFile": "model.pt",
                          "handler": "handler.py", "modelVersion": "1.0"},
                "archiverVersion": "0.12.0"}
    tf = g.TensorFactory(seed=4)
    sd = g.tiny_cnn_state_dict(tf)
    weights = g.torch_zip(g.torch_records(g.torch_pickle(sd), tf.storages, "torch2"))
    r.finding("formats/torchserve_custom_handler.mar", g.plain_zip([
        ("MAR-INF/MANIFEST.json", jbytes(manifest)),
        ("handler.py", b'print("modelvet-fixture")\n'),
        ("model.pt", weights)]), ["MV1002"],
        "a TorchServe .mar whose manifest names the custom handler.py (Python the server "
        "imports), beside a torch state dict")

    def mar(model_fields, extra):
        m = {**manifest, "model": {**manifest["model"], **model_fields}}
        return g.plain_zip([("MAR-INF/MANIFEST.json", jbytes(m)), ("model.pt", weights)] + extra)

    r.notice("formats/torchserve_builtin_handler.mar",
             mar({"handler": "image_classifier"},
                 [("index_to_name.json", b'{"0": "cat", "1": "dog"}'),
                  ("utils.py", b'print("modelvet-fixture")\n')]), ["MV1002"],
             "a TorchServe .mar served by the built-in image_classifier handler; a helper "
             "utils.py that the manifest does not name is low")
    r.finding("formats/torchserve_handler_os_system.mar", mar({"handler": "os:system"}, []),
              ["MV1004"],
              "a TorchServe .mar whose manifest handler is os:system: ts/model_loader.py imports "
              "os and calls system(None, context) while loading (critical)")
    r.finding("formats/torchserve_requirements.mar",
              mar({"handler": "text_classifier", "requirementsFile": "requirements.txt"},
                  [("requirements.txt", b"modelvet-fixture-package==1.0\n")]), ["MV1004"],
              "a TorchServe .mar with a requirementsFile, pip-installed when the server runs with "
              "install_py_dep_per_model=true (medium)")

    # A Python wheel is a package of code: its .py files are not findings, its model files
    # are scanned as ever. Layout as pip's wheel spec: the package, then its dist-info.
    wheel_members = [
        ("tinypkg/__init__.py", b'"""A package that ships weights."""\n'),
        ("tinypkg/weights.pt", weights),
        ("tinypkg-0.1.dist-info/METADATA", b"Metadata-Version: 2.1\nName: tinypkg\nVersion: 0.1\n"),
        ("tinypkg-0.1.dist-info/WHEEL",
         b"Wheel-Version: 1.0\nGenerator: modelvet-fixture\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
    ]
    record = "".join(f"{name},,\n" for name, _ in wheel_members) + "tinypkg-0.1.dist-info/RECORD,,\n"
    r.benign("formats/python_wheel_with_weights.whl",
             g.plain_zip(wheel_members + [("tinypkg-0.1.dist-info/RECORD", record.encode())]),
             "a Python wheel (dist-info WHEEL, METADATA, RECORD) shipping its code and a torch "
             "state dict: the code is the package, the weights are clean")
    evil = [(n, g.malicious_torch_zip() if n.endswith(".pt") else d) for n, d in wheel_members]
    r.finding("formats/python_wheel_malicious_weights.whl",
              g.plain_zip(evil + [("tinypkg-0.1.dist-info/RECORD", record.encode())]), ["MV101"],
              "the same wheel with a torch checkpoint whose pickle calls os.system: being a "
              "package does not hide its model files")

    # PaddlePaddle's paddle.save: the state dict's tensors converted to numpy arrays plus
    # its StructuredToParameterName@@ map, written with pickle protocol 4 (paddle 2.x
    # io.py: _build_saved_state_dict, then pickle.dump(..., protocol=4)). paddle itself is
    # not installed; the same calls on numpy give the same bytes.
    import numpy as np
    state = {"linear_0.w_0": np.arange(6, dtype="<f4").reshape(2, 3),
             "linear_0.b_0": np.zeros(3, dtype="<f4")}
    state["StructuredToParameterName@@"] = {"linear.weight": "linear_0.w_0", "linear.bias": "linear_0.b_0"}
    r.benign("formats/paddle_state_dict.pdparams", pickle.dumps(state, protocol=4),
             "a PaddlePaddle .pdparams as paddle.save writes it: numpy arrays and the "
             "structured-name map, pickle protocol 4")
