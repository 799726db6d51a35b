"""An independent implementation of modelvet's BOM signature, for the interoperability
tests: the bundle is parsed by sigstore-models (the Sigstore protobuf-specs' Python
bindings that model-signing uses), the DSSE pre-authentication encoding is built here
from the DSSE specification, and the signature is checked or made by `cryptography`.
No modelvet code is involved.

Usage:
  bom_signature_tool.py verify BOM BUNDLE PUBLIC.pem   # exit 0 verified, 1 refused
  bom_signature_tool.py sign BOM BUNDLE PRIVATE.pem    # writes BUNDLE

The statement is in-toto Statement v1: one subject (the BOM's file name and the SHA-256 of
its bytes) and predicate type https://cyclonedx.org/bom with the BOM as predicate.
"""

import base64
import hashlib
import json
import pathlib
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from sigstore_models.bundle.v1 import Bundle

PAYLOAD_TYPE = "application/vnd.in-toto+json"
PREDICATE_TYPE = "https://cyclonedx.org/bom"
CURVE_HASH = {"secp256r1": hashes.SHA256(), "secp384r1": hashes.SHA384(), "secp521r1": hashes.SHA512()}


def pae(payload_type: str, payload: bytes) -> bytes:
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def refuse(why: str):
    print(why, file=sys.stderr)
    sys.exit(1)


def verify(bom_path, bundle_path, public_path):
    bom_bytes = pathlib.Path(bom_path).read_bytes()
    bundle = Bundle.from_json(pathlib.Path(bundle_path).read_bytes())
    envelope = bundle.dsse_envelope
    if envelope is None or envelope.payload_type != PAYLOAD_TYPE:
        refuse("no in-toto DSSE envelope")
    if len(envelope.signatures) != 1:
        refuse("expected one signature")
    payload = envelope.payload
    signature = envelope.signatures[0].sig
    key = serialization.load_pem_public_key(pathlib.Path(public_path).read_bytes())
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, pae(PAYLOAD_TYPE, payload))
        else:
            key.verify(signature, pae(PAYLOAD_TYPE, payload), ec.ECDSA(CURVE_HASH[key.curve.name]))
    except Exception as e:  # cryptography raises InvalidSignature
        refuse(f"signature: {type(e).__name__}")
    statement = json.loads(payload)
    if statement.get("_type") != "https://in-toto.io/Statement/v1":
        refuse("not an in-toto Statement v1")
    if statement.get("predicateType") != PREDICATE_TYPE:
        refuse(f"predicate type {statement.get('predicateType')}")
    subjects = statement.get("subject", [])
    if len(subjects) != 1 or subjects[0]["digest"].get("sha256") != hashlib.sha256(bom_bytes).hexdigest():
        refuse("the subject digest is not the BOM's")
    if statement.get("predicate") != json.loads(bom_bytes):
        refuse("the predicate is not the BOM")
    print("verified")


def sign(bom_path, bundle_path, private_path):
    bom_bytes = pathlib.Path(bom_path).read_bytes()
    key = serialization.load_pem_private_key(pathlib.Path(private_path).read_bytes(), None)
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": pathlib.Path(bom_path).name,
                     "digest": {"sha256": hashlib.sha256(bom_bytes).hexdigest()}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": json.loads(bom_bytes),
    }
    payload = json.dumps(statement, separators=(",", ":")).encode()
    signature = key.sign(pae(PAYLOAD_TYPE, payload), ec.ECDSA(CURVE_HASH[key.curve.name]))
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    bundle = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"publicKey": {"hint": hashlib.sha256(public_pem).hexdigest()},
                                 "tlogEntries": []},
        "dsseEnvelope": {"payload": base64.b64encode(payload).decode(),
                         "payloadType": PAYLOAD_TYPE,
                         "signatures": [{"sig": base64.b64encode(signature).decode()}]},
    }
    Bundle.from_json(json.dumps(bundle))  # the bindings accept what is written
    pathlib.Path(bundle_path).write_text(json.dumps(bundle))
    print("signed")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"verify": verify, "sign": sign}[command](*args)
