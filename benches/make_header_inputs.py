#!/usr/bin/env python3
"""Inputs for benches/headers.sh: safetensors and GGUF files that differ only in the
size of their data section.

    python3 benches/make_header_inputs.py [OUT_DIR]   (default: bench-work/headers/)

Writes, skipping any file that already exists with the right size:

  small.safetensors         8 F32 tensors tiling a 4 KiB data buffer (written zeros)
  big_4gib.safetensors      the same 8 tensors tiling a 4 GiB buffer, left sparse
  small.gguf                GGUF v3, 3 metadata keys, 8 F32 tensors over 4 KiB
  big_4gib.gguf             the same, tensors over a 4 GiB data section, sparse

The large files are a header followed by a hole made with truncate() (File::set_len
in Rust): they take no disk, and reading the hole returns zero pages. The byte layout
is exactly the one benches/scan.rs builds (safetensors_header / gguf_header), so the
criterion benches and the whole-command runs scan the same bytes. Standard library
only.
"""

from __future__ import annotations

import json
import os
import pathlib
import struct
import sys

SMALL_DATA = 4 << 10
BIG_DATA = 4 << 30
TENSORS = 8


def safetensors_header(data: int) -> bytes:
    each = data // TENSORS
    numel = each // 4
    cols = min(numel, 4096)
    parts = ['{"__metadata__":{"format":"pt"}']
    for i in range(TENSORS):
        parts.append(
            f',"t{i}":{{"dtype":"F32","shape":[{numel // cols},{cols}],'
            f'"data_offsets":[{i * each},{(i + 1) * each}]}}'
        )
    text = "".join(parts) + "}"
    text += " " * (-len(text) % 8)
    json.loads(text)  # sanity
    return struct.pack("<Q", len(text)) + text.encode()


def gguf_header(data: int) -> bytes:
    def string(s: str) -> bytes:
        b = s.encode()
        return struct.pack("<Q", len(b)) + b

    v = b"GGUF" + struct.pack("<IQQ", 3, TENSORS, 3)
    v += string("general.architecture") + struct.pack("<I", 8) + string("llama")
    v += string("general.name") + struct.pack("<I", 8) + string("bench")
    v += string("general.file_type") + struct.pack("<II", 4, 0)
    each = data // TENSORS
    numel = each // 4
    ne0 = min(numel, 4096)
    for i in range(TENSORS):
        v += string(f"blk.{i}.weight") + struct.pack("<IQQIQ", 2, ne0, numel // ne0, 0, i * each)
    v += b"\0" * (-len(v) % 32)
    return v


def write(path: pathlib.Path, header: bytes, data: int) -> None:
    size = len(header) + data
    if path.exists() and path.stat().st_size == size:
        print(f"exists  {path} ({size} bytes)")
        return
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(header)
        if data <= SMALL_DATA:
            f.write(b"\0" * data)
        else:
            f.truncate(size)
    os.replace(tmp, path)
    st = path.stat()
    print(f"made    {path} ({size} bytes, {st.st_blocks * 512} on disk)")


def main() -> int:
    if len(sys.argv) > 1:
        out = pathlib.Path(sys.argv[1])
    else:
        out = pathlib.Path(__file__).resolve().parent.parent / "bench-work" / "headers"
    out.mkdir(parents=True, exist_ok=True)
    write(out / "small.safetensors", safetensors_header(SMALL_DATA), SMALL_DATA)
    write(out / "big_4gib.safetensors", safetensors_header(BIG_DATA), BIG_DATA)
    write(out / "small.gguf", gguf_header(SMALL_DATA), SMALL_DATA)
    write(out / "big_4gib.gguf", gguf_header(BIG_DATA), BIG_DATA)
    return 0


if __name__ == "__main__":
    sys.exit(main())
