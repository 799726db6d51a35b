"""An S3 stand-in on 127.0.0.1 for the object-store tests: moto's server mode (a real S3
API implementation, from PyPI), with objects put through boto3 as any S3 client would.

    s3_stand_in.py SPEC.json

SPEC is {"bucket": NAME, "objects": {KEY: {"file": PATH} | {"text": TEXT} |
{"sparse_safetensors": BYTES}}}.
Prints `READY <endpoint>` once every object is stored, then serves until standard input
closes (the test that started it ends). Credentials are fixed test values.
"""

from __future__ import annotations

import json
import struct
import sys

import boto3
from moto.server import ThreadedMotoServer


def sparse_safetensors(total: int) -> bytes:
    """A real safetensors header for one F32 tensor filling `total` bytes, then zeros."""
    header = {"weight": {"dtype": "F32", "shape": [0], "data_offsets": [0, 0]}}
    for _ in range(3):
        text = json.dumps(header, separators=(",", ":")).encode()
        text += b" " * ((8 - len(text) % 8) % 8)
        data = total - 8 - len(text)
        header["weight"]["shape"] = [data // 4]
        header["weight"]["data_offsets"] = [0, data // 4 * 4]
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    data = header["weight"]["data_offsets"][1]
    return struct.pack("<Q", len(text)) + text + bytes(data)


def main() -> None:
    spec = json.load(open(sys.argv[1]))
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="modelvet-test",
        aws_secret_access_key="modelvet-test-secret",
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket=spec["bucket"])
    for key, what in spec["objects"].items():
        if "file" in what:
            body = open(what["file"], "rb").read()
        elif "text" in what:
            body = what["text"].encode()
        else:
            body = sparse_safetensors(int(what["sparse_safetensors"]))
        s3.put_object(Bucket=spec["bucket"], Key=key, Body=body)
    print(f"READY {endpoint}", flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
