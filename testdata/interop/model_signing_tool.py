"""Drives the reference OpenSSF model-signing library (from PyPI, pinned in
testdata/requirements.txt) for modelvet's interoperability tests: it signs models that
modelvet must verify, and verifies bundles that modelvet signed.

Usage (all paths explicit; nothing is written outside the given paths):
  model_signing_tool.py keygen {p256,p384,p521} PRIVATE.pem PUBLIC.pem
  model_signing_tool.py ca OUT_DIR {p256,p384}      # root.pem, leaf-key.pem, leaf.pem, int.pem
  model_signing_tool.py sign-key MODEL PRIVATE.pem SIG METHOD HASH [SHARD_SIZE]
  model_signing_tool.py sign-cert MODEL OUT_DIR SIG METHOD HASH [SHARD_SIZE]
  model_signing_tool.py verify-key MODEL PUBLIC.pem SIG [METHOD HASH [SHARD_SIZE]]
  model_signing_tool.py verify-cert MODEL ROOT.pem SIG

METHOD is files or shards; HASH is sha256, blake2 or blake3 (model-signing's names).
verify-key with an explicit METHOD/HASH sets the hashing configuration instead of letting
model-signing guess it from the payload (its guess fails for blake2b; see the notes).
Exit status 0 means the reference tool accepted, 1 that it refused (reason on stderr).
"""

import datetime
import pathlib
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import model_signing

CURVES = {"p256": ec.SECP256R1(), "p384": ec.SECP384R1(), "p521": ec.SECP521R1()}


def write_key(key, private_path, public_path=None):
    pathlib.Path(private_path).write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    if public_path:
        pathlib.Path(public_path).write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
        )


def certificate(subject, issuer, public_key, signing_key, ca, path_len=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_len), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False),
            critical=True,
        ).add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
        )
    return builder.sign(signing_key, hashes.SHA256())


def make_ca(out_dir, curve):
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    root_key = ec.generate_private_key(ec.SECP384R1())
    int_key = ec.generate_private_key(ec.SECP384R1())
    leaf_key = ec.generate_private_key(CURVES[curve])
    root = certificate("modelvet test root", "modelvet test root", root_key.public_key(), root_key, True)
    inter = certificate("modelvet test intermediate", "modelvet test root", int_key.public_key(), root_key, True, 0)
    leaf = certificate("modelvet test signer", "modelvet test intermediate", leaf_key.public_key(), int_key, False)
    for name, cert in (("root.pem", root), ("int.pem", inter), ("leaf.pem", leaf)):
        (out / name).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    write_key(leaf_key, out / "leaf-key.pem")


def inside(model, path):
    """`path` relative to the model, as model-signing's CLI resolves ignore paths."""
    try:
        return [pathlib.Path(path).resolve().relative_to(pathlib.Path(model).resolve())]
    except ValueError:
        return []


def hashing_config(method, hash_name, shard_size):
    config = model_signing.hashing.Config()
    if method == "shards":
        config.use_shard_serialization(hashing_algorithm=hash_name, shard_size=shard_size)
    else:
        config.use_file_serialization(hashing_algorithm=hash_name)
    return config


def main(argv):
    command, args = argv[1], argv[2:]
    if command == "keygen":
        curve, private_path, public_path = args
        write_key(ec.generate_private_key(CURVES[curve]), private_path, public_path)
    elif command == "ca":
        make_ca(args[0], args[1])
    elif command in ("sign-key", "sign-cert"):
        model, material, sig, method, hash_name = args[:5]
        shard = int(args[5]) if len(args) > 5 else 1_000_000_000
        config = model_signing.signing.Config().set_hashing_config(
            hashing_config(method, hash_name, shard).set_ignored_paths(
                paths=inside(model, sig), ignore_git_paths=True
            )
        )
        if command == "sign-key":
            config.use_elliptic_key_signer(private_key=material)
        else:
            d = pathlib.Path(material)
            config.use_certificate_signer(
                private_key=d / "leaf-key.pem",
                signing_certificate=d / "leaf.pem",
                certificate_chain=[d / "int.pem"],
            )
        config.sign(model, sig)
    elif command == "verify-key":
        model, public_key, sig = args[:3]
        config = model_signing.verifying.Config().use_elliptic_key_verifier(public_key=public_key)
        if len(args) > 3:
            shard = int(args[5]) if len(args) > 5 else 1_000_000_000
            config.set_hashing_config(
                hashing_config(args[3], args[4], shard).set_ignored_paths(
                    paths=inside(model, sig), ignore_git_paths=True
                )
            )
        try:
            config.verify(model, sig)
        except Exception as e:  # the reference raises ValueError and friends
            print(f"model-signing refused: {e}", file=sys.stderr)
            return 1
    elif command == "verify-cert":
        model, root, sig = args
        config = model_signing.verifying.Config().use_certificate_verifier(certificate_chain=[root])
        try:
            config.verify(model, sig)
        except Exception as e:
            print(f"model-signing refused: {e}", file=sys.stderr)
            return 1
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
