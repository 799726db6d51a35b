"""The Python API: runs the bundled executable and returns its JSON as typed objects.

Every answer is parsed as JSON and checked against the schema shipped with this package;
an answer that is not JSON, or does not match, raises `ReportError` instead of being
half-read.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from modelvet import _schema
from modelvet._find import find_modelvet_bin

PathLike = Union[str, "os.PathLike[str]"]

#: Exit codes of `modelvet scan` (see the README).
EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_ERROR = 0, 1, 2, 3


class ModelvetError(Exception):
    """Base class of the errors this package raises."""


class UsageError(ModelvetError):
    """modelvet refused the request (bad option, bad configuration) and wrote no report."""

    def __init__(self, message: str, exit_code: int, stderr: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.stderr = stderr


class ReportError(ModelvetError):
    """modelvet's answer was not JSON, or did not match the schema this package expects."""

    def __init__(self, message: str, output: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.output = output
        self.problems = list(problems)


@dataclass(frozen=True)
class Finding:
    rule: str
    rule_name: str
    severity: str
    message: str
    fingerprint: Optional[str]
    location: Dict[str, Any]
    evidence: Dict[str, Any]
    suppressed: bool
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def _from(cls, d: Dict[str, Any]) -> "Finding":
        return cls(
            rule=d["rule"],
            rule_name=d["rule_name"],
            severity=d["severity"],
            message=d["message"],
            fingerprint=d.get("fingerprint"),
            location=d.get("location", {}),
            evidence=d.get("evidence", {}),
            suppressed="suppressed" in d,
            raw=d,
        )


@dataclass(frozen=True)
class Artifact:
    path: str
    file: str
    kind: str
    format: str
    status: str
    size: Optional[int]
    sha256: Optional[str]
    reason: Optional[str]
    findings: Tuple[Finding, ...]
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @classmethod
    def _from(cls, d: Dict[str, Any]) -> "Artifact":
        return cls(
            path=d["path"],
            file=d["file"],
            kind=d["kind"],
            format=d["format"],
            status=d["status"],
            size=d.get("size"),
            sha256=d.get("sha256"),
            reason=d.get("reason"),
            findings=tuple(Finding._from(f) for f in d.get("findings", [])),
            raw=d,
        )


@dataclass(frozen=True)
class Summary:
    files: int
    artifacts: int
    complete: int
    incomplete: int
    errors: int
    findings: Dict[str, int]
    suppressed: int
    fail_on: str
    exit_code: int
    verdict: str

    @classmethod
    def _from(cls, d: Dict[str, Any]) -> "Summary":
        return cls(
            files=d["files"],
            artifacts=d["artifacts"],
            complete=d["complete"],
            incomplete=d["incomplete"],
            errors=d["errors"],
            findings=dict(d["findings"]),
            suppressed=d.get("suppressed", 0),
            fail_on=d["fail_on"],
            exit_code=d["exit_code"],
            verdict=d["verdict"],
        )


@dataclass(frozen=True)
class Report:
    """A scan report (`modelvet scan --format json`, schemas/report.schema.json)."""

    schema_version: str
    tool_version: str
    rules_version: str
    inputs: Tuple[str, ...]
    summary: Summary
    artifacts: Tuple[Artifact, ...]
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @property
    def exit_code(self) -> int:
        """0 clean, 1 a finding at or above the gate, 2 incomplete, 3 error."""
        return self.summary.exit_code

    @property
    def verdict(self) -> str:
        return self.summary.verdict

    @property
    def passed(self) -> bool:
        """True only when every input was fully checked and no finding reached the gate."""
        return self.summary.exit_code == EXIT_CLEAN

    def findings(self, include_suppressed: bool = False) -> Iterator[Tuple[Artifact, Finding]]:
        for artifact in self.artifacts:
            for finding in artifact.findings:
                if include_suppressed or not finding.suppressed:
                    yield artifact, finding

    @classmethod
    def from_json(cls, text: str) -> "Report":
        """Parses and checks a report written by `modelvet scan --format json`."""
        d = _parse_checked(text, "report")
        return cls(
            schema_version=d["schema_version"],
            tool_version=d["tool"]["version"],
            rules_version=d["tool"]["rules_version"],
            inputs=tuple(d["inputs"]),
            summary=Summary._from(d["summary"]),
            artifacts=tuple(Artifact._from(a) for a in d["artifacts"]),
            raw=d,
        )


@dataclass(frozen=True)
class Verification:
    """A verification result (`modelvet verify --format json`, schemas/verification.schema.json)."""

    status: str
    method: str
    target: str
    problems: Tuple[str, ...]
    exit_code: int
    raw: Dict[str, Any] = field(repr=False, compare=False)

    @property
    def verified(self) -> bool:
        return self.status == "verified"

    @classmethod
    def from_json(cls, text: str, exit_code: int) -> "Verification":
        d = _parse_checked(text, "verification")
        return cls(
            status=d["status"],
            method=d["method"],
            target=d["target"],
            problems=tuple(str(p) for p in d["problems"]),
            exit_code=exit_code,
            raw=d,
        )


_SCHEMAS: Dict[str, Dict[str, Any]] = {}


def _parse_checked(text: str, schema_name: str) -> Dict[str, Any]:
    try:
        doc = json.loads(text)
    except ValueError as e:
        head = text[:200].strip() or "(nothing)"
        raise ReportError(f"modelvet did not answer with JSON ({e}); it wrote: {head}", text) from None
    if schema_name not in _SCHEMAS:
        _SCHEMAS[schema_name] = _schema.load(schema_name)
    problems = _schema.errors(doc, _SCHEMAS[schema_name])
    if problems:
        raise ReportError(
            f"modelvet's {schema_name} does not match the schema this package expects "
            f"(is the executable from another version?): {problems[0]}",
            text,
            problems,
        )
    return doc


def _run(args: List[str], binary: Optional[str], timeout: Optional[float], env: Optional[Mapping[str, str]]) -> subprocess.CompletedProcess:
    exe = binary or find_modelvet_bin()
    full_env = None if env is None else {**os.environ, **env}
    return subprocess.run(
        [exe, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        env=full_env,
    )


def _flag(args: List[str], name: str, value: Any) -> None:
    if value is None or value is False:
        return
    if value is True:
        args.append(name)
    else:
        args.extend([name, os.fspath(value)])


def _paths(paths: Union[PathLike, Iterable[PathLike]]) -> List[str]:
    if isinstance(paths, (str, os.PathLike)):
        return [os.fspath(paths)]
    out = [os.fspath(p) for p in paths]
    if not out:
        raise ValueError("scan() needs at least one path")
    return out


def scan(
    paths: Union[PathLike, Iterable[PathLike]],
    *,
    fail_on: Optional[str] = None,
    config: Optional[PathLike] = None,
    no_config: bool = False,
    exclude: Sequence[str] = (),
    no_ignore: bool = False,
    no_default_excludes: bool = False,
    follow_symlinks: bool = False,
    baseline: Optional[PathLike] = None,
    hash: bool = True,
    extra_args: Sequence[str] = (),
    binary: Optional[str] = None,
    timeout: Optional[float] = None,
    env: Optional[Mapping[str, str]] = None,
) -> Report:
    """Scans files, folders or `hf://org/name@rev` references, as `modelvet scan` does.

    Returns the report whatever the verdict: check `report.passed` or `report.exit_code`.
    Raises `UsageError` when modelvet refused the request, `ReportError` when its answer
    is not a report this package understands.
    """
    args = ["scan", "--format", "json"]
    _flag(args, "--fail-on", fail_on)
    _flag(args, "--config", config)
    _flag(args, "--no-config", no_config)
    for pattern in exclude:
        args.extend(["--exclude", pattern])
    _flag(args, "--no-ignore", no_ignore)
    _flag(args, "--no-default-excludes", no_default_excludes)
    _flag(args, "--follow-symlinks", follow_symlinks)
    _flag(args, "--baseline", baseline)
    _flag(args, "--no-hash", not hash)
    args.extend(extra_args)
    args.append("--")
    args.extend(_paths(paths))
    done = _run(args, binary, timeout, env)
    if not done.stdout.strip():
        raise UsageError(
            f"modelvet scan wrote no report (exit {done.returncode}): {done.stderr.strip()}",
            done.returncode,
            done.stderr,
        )
    report = Report.from_json(done.stdout)
    if report.exit_code != done.returncode:
        raise ReportError(
            f"the report says exit {report.exit_code} but modelvet exited {done.returncode}",
            done.stdout,
        )
    return report


def verify(
    path: Optional[PathLike] = None,
    *,
    signature: Optional[PathLike] = None,
    key: Optional[PathLike] = None,
    certificate_chain: Optional[PathLike] = None,
    identity: Optional[str] = None,
    issuer: Optional[str] = None,
    trusted_root: Optional[PathLike] = None,
    against: Optional[str] = None,
    ignore_paths: Sequence[PathLike] = (),
    hf_cache: Union[bool, str] = False,
    cache_dir: Optional[PathLike] = None,
    at: Optional[int] = None,
    extra_args: Sequence[str] = (),
    binary: Optional[str] = None,
    timeout: Optional[float] = None,
    env: Optional[Mapping[str, str]] = None,
) -> Verification:
    """Verifies a model's OMS signature, its files against the Hub (`against="hf://..."`),
    or a Hugging Face cache (`hf_cache=True` or `"org/name"`), as `modelvet verify` does.

    Returns the result whatever it says: check `result.verified`.
    """
    args = ["verify", "--format", "json"]
    _flag(args, "--signature", signature)
    _flag(args, "--key", key)
    _flag(args, "--certificate-chain", certificate_chain)
    _flag(args, "--identity", identity)
    _flag(args, "--issuer", issuer)
    _flag(args, "--trusted-root", trusted_root)
    _flag(args, "--against", against)
    if ignore_paths:
        args.append("--ignore-paths")
        args.extend(os.fspath(p) for p in ignore_paths)
    if hf_cache is True:
        args.append("--hf-cache")
    elif hf_cache:
        args.extend(["--hf-cache", str(hf_cache)])
    _flag(args, "--cache-dir", cache_dir)
    _flag(args, "--at", None if at is None else str(at))
    args.extend(extra_args)
    if path is not None:
        args.extend(["--", os.fspath(path)])
    done = _run(args, binary, timeout, env)
    if not done.stdout.strip():
        raise UsageError(
            f"modelvet verify wrote no result (exit {done.returncode}): {done.stderr.strip()}",
            done.returncode,
            done.stderr,
        )
    return Verification.from_json(done.stdout, done.returncode)
