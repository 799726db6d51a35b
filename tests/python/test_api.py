"""The Python API's contract: reports are checked against the schema, anything else is a
clear exception, and verify() reads `modelvet verify`'s JSON."""

from __future__ import annotations

import copy
import json
import os
import stat
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import BENIGN, FIXTURES, MALICIOUS, ROOT, run

sys.path.insert(0, str(ROOT / "python"))
import modelvet  # noqa: E402  (the source tree's package, run against the built binary)
from modelvet import _schema  # noqa: E402


def fake_binary(tmp_path: Path, stdout: str, code: int = 0) -> str:
    script = tmp_path / "fake-modelvet"
    payload = tmp_path / "payload"
    payload.write_text(stdout)
    script.write_text(f"#!/bin/sh\ncat '{payload}'\nexit {code}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


@pytest.fixture
def binary(installed) -> str:
    return str(installed.modelvet)


def test_a_non_json_answer_raises_a_clear_error(tmp_path):
    fake = fake_binary(tmp_path, "Segmentation fault\n", 1)
    with pytest.raises(modelvet.ReportError, match="did not answer with JSON.*Segmentation fault"):
        modelvet.scan(str(MALICIOUS), binary=fake)


def test_a_report_of_another_shape_raises_a_clear_error(tmp_path, binary):
    real = run([binary, "scan", "--format", "json", MALICIOUS]).stdout
    doc = json.loads(real)
    doc["summary"]["verdict"] = "probably-fine"
    fake = fake_binary(tmp_path, json.dumps(doc), 1)
    with pytest.raises(modelvet.ReportError, match="does not match the schema") as e:
        modelvet.scan(str(MALICIOUS), binary=fake)
    assert any("probably-fine" in p for p in e.value.problems)
    # An exit code that disagrees with the report is not trusted either.
    fake = fake_binary(tmp_path, real, 0)
    with pytest.raises(modelvet.ReportError, match="exit 1 but modelvet exited 0"):
        modelvet.scan(str(MALICIOUS), binary=fake)


def test_a_refused_request_raises_usage_error(binary):
    with pytest.raises(modelvet.UsageError, match="fail-on") as e:
        modelvet.scan(str(BENIGN), fail_on="sometimes", binary=binary)
    assert e.value.exit_code == 3


def test_options_reach_the_command_line(binary, tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "legacy").mkdir()
    (tmp_path / "models" / "ok.pth").write_bytes(BENIGN.read_bytes())
    (tmp_path / "legacy" / "bad.pkl").write_bytes(MALICIOUS.read_bytes())
    report = modelvet.scan(tmp_path, binary=binary, no_config=True)
    assert report.exit_code == 1
    report = modelvet.scan(tmp_path, binary=binary, no_config=True, exclude=["legacy/"], hash=False)
    assert report.passed, report.raw
    assert [a.sha256 for a in report.artifacts] == [None]
    report = modelvet.scan(tmp_path, binary=binary, no_config=True, fail_on="none")
    assert report.passed and report.summary.findings["critical"] == 1


def test_verify_reads_the_verification_result(binary, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (tmp_path / "pub.pem").write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    model = tmp_path / "model"
    model.mkdir()
    (model / "weights.pth").write_bytes(BENIGN.read_bytes())
    signed = run([binary, "sign", "--key", tmp_path / "key.pem", model])
    assert signed.returncode == 0, signed.stderr
    result = modelvet.verify(model, key=tmp_path / "pub.pem", binary=binary)
    assert result.verified and result.exit_code == 0 and result.method == "key", result.raw
    (model / "weights.pth").write_bytes(BENIGN.read_bytes() + b"\0")
    result = modelvet.verify(model, key=tmp_path / "pub.pem", binary=binary)
    assert not result.verified and result.exit_code == 1 and result.problems


def reports(binary) -> list:
    """Real reports: every fixture folder, plus a remote-free mix of options."""
    out = []
    for folder in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        done = run([binary, "scan", "--format", "json", "--no-hash", folder])
        out.append(json.loads(done.stdout))
    return out


def breakages(doc: dict):
    """Ways a report can be wrong, each a separate copy."""
    def edit(fn):
        d = copy.deepcopy(doc)
        fn(d)
        return d

    yield edit(lambda d: d.pop("summary"))
    yield edit(lambda d: d["summary"].__setitem__("exit_code", "1"))
    yield edit(lambda d: d["summary"].__setitem__("verdict", "fine"))
    yield edit(lambda d: d.__setitem__("surprise", 1))
    yield edit(lambda d: d.__setitem__("schema_version", "9.0.0"))
    if d_art := doc["artifacts"]:
        yield edit(lambda d: d["artifacts"][0].__setitem__("status", "unknown"))
        yield edit(lambda d: d["artifacts"][0].__setitem__("size", -1))
        yield edit(lambda d: d["artifacts"][0].pop("path"))
        for i, a in enumerate(d_art):
            if a.get("findings"):
                yield edit(lambda d: d["artifacts"][i]["findings"][0].__setitem__("severity", "dire"))
                yield edit(lambda d: d["artifacts"][i]["findings"][0].pop("rule"))
                break


def test_the_built_in_checker_agrees_with_jsonschema(binary):
    schema = _schema.load("report")
    reference = jsonschema.Draft202012Validator(schema)
    docs = reports(binary)
    assert len(docs) >= 5
    broken = 0
    for doc in docs:
        assert _schema.errors(doc, schema) == [], doc["inputs"]
        assert reference.is_valid(doc)
        for bad in breakages(doc):
            assert not reference.is_valid(bad)
            assert _schema.errors(bad, schema), "the checker accepted what jsonschema rejects"
            broken += 1
    assert broken >= 50


def test_an_unknown_schema_keyword_is_refused():
    with pytest.raises(_schema.SchemaError, match="unsupported keyword"):
        _schema._check_keywords({"type": "object", "dependentRequired": {}}, "#")
