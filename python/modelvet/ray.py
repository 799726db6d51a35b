"""Scan many targets on a Ray cluster: `modelvet.ray.scan(...)` and `python -m modelvet.ray`.

Targets (paths the workers can see, `hf://` references, `s3://`/`gs://`/`az://` URLs) are
cut into shards; each shard is one Ray task that runs the bundled `modelvet` executable
(`scan --targets-from SHARD --format jsonl`) and returns its records. A task that dies (its
worker killed, its node lost) is retried by Ray; its records count only from the attempt
that finished, so every target has exactly one record. With `resume_dir` on a file system
every worker sees, a retried shard also skips the targets its killed attempt had finished
(`--resume`), so they are not scanned twice; with a shared `cache`, bytes judged anywhere
in the cluster are not read again.

    import modelvet.ray
    ds = modelvet.ray.scan(["hf://org/a", "hf://org/b"], cache="/shared/modelvet-cache")
    ds.filter(lambda r: r["verdict"] != "clean").show()

    python -m modelvet.ray --address HOST:6379 --targets targets.txt --out verdicts.jsonl

Ray is imported only when used; it is not a dependency of the `modelvet` package.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from modelvet._find import find_modelvet_bin

#: The exit codes of `modelvet scan` (see `modelvet scan --help`).
EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_ERROR = 0, 1, 2, 3

#: Columns of the Dataset rows. `record` is the whole JSON Lines record (artifacts,
#: findings, models), as text, so rows keep one schema whatever the artifacts hold.
COLUMNS = (
    "target",
    "source",
    "verdict",
    "exit_code",
    "revision",
    "commit",
    "files",
    "bytes_read",
    "bytes_total",
    "requests",
    "cache_hits",
    "elapsed_ms",
    "error",
    "record",
)


class ShardFailed(RuntimeError):
    """A shard's modelvet run ended without its summary record (killed, crashed, usage error)."""


def _targets_of(targets: Iterable[str] | str | os.PathLike) -> list[str]:
    """A list of targets, or the file listing them (one per line, `#` comments)."""
    if isinstance(targets, (str, os.PathLike)) and Path(targets).is_file():
        lines = Path(targets).read_text(encoding="utf-8").splitlines()
    elif isinstance(targets, (str, os.PathLike)):
        raise FileNotFoundError(f"{targets}: no such target list (pass a list to scan targets)")
    else:
        lines = list(targets)
    unique: dict[str, None] = {}
    for line in lines:
        line = line.strip()
        if line and not line.startswith("#"):
            unique.setdefault(line, None)
    return list(unique)


def _shards(targets: list[str], size: int) -> list[list[str]]:
    return [targets[i : i + size] for i in range(0, len(targets), size)]


def scan_shard(
    shard_id: int,
    targets: list[str],
    *,
    cache: str | None = None,
    policy: str | None = None,
    jobs: int | None = None,
    resume_dir: str | None = None,
    extra_args: list[str] | None = None,
) -> list[dict]:
    """Runs modelvet on one shard and returns its target records. Raises ShardFailed when
    the run ended without its summary (the caller, Ray, retries the whole shard)."""
    binary = find_modelvet_bin()
    with tempfile.TemporaryDirectory(prefix="modelvet-shard-") as tmp:
        listing = Path(tmp) / "targets.txt"
        listing.write_text("".join(t + "\n" for t in targets), encoding="utf-8")
        if resume_dir:
            Path(resume_dir).mkdir(parents=True, exist_ok=True)
            out = Path(resume_dir) / f"shard-{shard_id:06d}.jsonl"
            output_args = ["--resume", str(out)]
        else:
            out = Path(tmp) / "out.jsonl"
            output_args = ["--output", str(out)]
        cmd = [binary, "scan", "--targets-from", str(listing), "--format", "jsonl", *output_args]
        if cache:
            cmd += ["--cache", str(cache)]
        if policy:
            cmd += ["--config", str(policy)]
        else:
            cmd += ["--no-config"]
        if jobs:
            cmd += ["--jobs", str(jobs)]
        cmd += list(extra_args or [])
        done = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=_die_with_parent)
        records, summary = [], None
        if out.exists():
            for line in out.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                if record.get("kind") == "target":
                    records.append(record)
                elif record.get("kind") == "summary":
                    summary = record
        if summary is None or done.returncode not in (0, 1, 2, 3):
            raise ShardFailed(
                f"shard {shard_id}: modelvet exited {done.returncode} without a summary: "
                f"{done.stderr.strip()[-2000:]}"
            )
        # A resumed shard file may hold records of an earlier attempt: one per target.
        latest: dict[str, dict] = {}
        for r in records:
            latest[r["target"]] = r
        missing = [t for t in targets if t not in latest]
        if missing:
            raise ShardFailed(f"shard {shard_id}: no record for {len(missing)} target(s), first {missing[0]}")
        return [latest[t] for t in targets]


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, be killed when the worker that started us dies,
    so a retried shard never runs beside its killed attempt."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG, SIGKILL = 1, 9
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, SIGKILL)
        except (OSError, AttributeError):
            pass


def _row(record: dict) -> dict:
    cache = record.get("cache") or {}
    return {
        "target": record["target"],
        "source": record.get("source"),
        "verdict": record["verdict"],
        "exit_code": int(record["exit_code"]),
        "revision": record.get("revision"),
        "commit": record.get("commit"),
        "files": record.get("files"),
        "bytes_read": record.get("bytes_read"),
        "bytes_total": record.get("bytes_total"),
        "requests": record.get("requests"),
        "cache_hits": cache.get("hits"),
        "elapsed_ms": record.get("elapsed_ms"),
        "error": record.get("error"),
        "record": json.dumps(record, sort_keys=True),
    }


def exit_code_of(records: Iterable[dict]) -> int:
    """The batch's exit code: a finding anywhere wins, then an error, then an incomplete target."""
    codes = {int(r["exit_code"]) for r in records}
    for code in (EXIT_FINDINGS, EXIT_ERROR, EXIT_INCOMPLETE):
        if code in codes:
            return code
    return EXIT_CLEAN


def _run_shards(
    targets: list[str],
    *,
    cache,
    policy,
    num_cpus,
    batch_size,
    jobs,
    resume_dir,
    max_retries,
    address,
    extra_args,
) -> Iterator[list[dict]]:
    import ray

    if not ray.is_initialized():
        ray.init(address=address, log_to_driver=False)
    if batch_size is None:
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        # A few shards per CPU keep every worker busy and a retried shard small.
        batch_size = max(1, min(64, -(-len(targets) // (cpus * 4))))
    remote = ray.remote(num_cpus=num_cpus, max_retries=max_retries, retry_exceptions=[ShardFailed])(scan_shard)
    pending = [
        remote.remote(
            i,
            shard,
            cache=None if cache is None else str(cache),
            policy=None if policy is None else str(policy),
            jobs=jobs,
            resume_dir=None if resume_dir is None else str(resume_dir),
            extra_args=extra_args,
        )
        for i, shard in enumerate(_shards(targets, batch_size))
    ]
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        for ref in ready:
            yield ray.get(ref)


def scan(
    targets: Iterable[str] | str | os.PathLike,
    *,
    cache: str | os.PathLike | None = None,
    policy: str | os.PathLike | None = None,
    num_cpus: float = 1,
    out: str | os.PathLike | None = None,
    address: str | None = None,
    batch_size: int | None = None,
    jobs: int | None = None,
    resume_dir: str | os.PathLike | None = None,
    max_retries: int = 3,
    extra_args: list[str] | None = None,
):
    """Scans `targets` (a list, or a file with one per line) on the Ray cluster.

    - `cache`: a verdict cache folder every worker can reach (`--cache`).
    - `policy`: a modelvet.toml for every shard (`--config`); without it no configuration
      file is looked up (`--no-config`), so the verdicts do not depend on the worker's folder.
    - `num_cpus`: CPUs each shard's task reserves; `jobs`: targets in flight inside a shard.
    - `out`: write JSON Lines there (one record per target, then a summary) and return its
      path; without it, return a `ray.data.Dataset` with the columns in `COLUMNS`.
    - `resume_dir`: where shards keep their records, so a retried shard skips what its
      killed attempt finished (a folder on a file system every worker sees).
    - `address`: the cluster, when Ray is not initialised yet (`ray.init(address=...)`).
    """
    listed = _targets_of(targets)
    results = _run_shards(
        listed,
        cache=cache,
        policy=policy,
        num_cpus=num_cpus,
        batch_size=batch_size,
        jobs=jobs,
        resume_dir=resume_dir,
        max_retries=max_retries,
        address=address,
        extra_args=extra_args,
    )
    if out is None:
        import ray

        rows = [_row(r) for shard in results for r in shard]
        return ray.data.from_items(rows)
    all_records = []
    with open(out, "w", encoding="utf-8") as f:
        for shard in results:
            for r in shard:
                f.write(json.dumps(r, sort_keys=True) + "\n")
                all_records.append({"exit_code": r["exit_code"], "verdict": r["verdict"]})
            f.flush()
        verdicts: dict[str, int] = {}
        for r in all_records:
            verdicts[r["verdict"]] = verdicts.get(r["verdict"], 0) + 1
        summary = {
            "kind": "summary",
            "targets": len(listed),
            "scanned": len(all_records),
            "verdicts": dict(sorted(verdicts.items())),
            "exit_code": exit_code_of(all_records),
        }
        f.write(json.dumps(summary, sort_keys=True) + "\n")
    return str(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m modelvet.ray",
        description="Scan the targets of a list on a Ray cluster; one JSON Lines record per target.",
    )
    parser.add_argument("--address", help="the Ray cluster (HOST:PORT, or `auto`)")
    parser.add_argument("--targets", required=True, help="file with one target per line")
    parser.add_argument("--out", required=True, help="JSON Lines output")
    parser.add_argument("--cache", help="verdict cache folder every worker reaches")
    parser.add_argument("--policy", help="modelvet.toml for every shard")
    parser.add_argument("--num-cpus", type=float, default=1, help="CPUs per shard task")
    parser.add_argument("--batch-size", type=int, help="targets per shard")
    parser.add_argument("--jobs", type=int, help="targets in flight inside a shard")
    parser.add_argument("--resume-dir", help="shard records kept here, for retried shards")
    parser.add_argument("--max-retries", type=int, default=3, help="retries of a failed shard")
    args = parser.parse_args(argv)
    out = scan(
        args.targets,
        cache=args.cache,
        policy=args.policy,
        num_cpus=args.num_cpus,
        out=args.out,
        address=args.address,
        batch_size=args.batch_size,
        jobs=args.jobs,
        resume_dir=args.resume_dir,
        max_retries=args.max_retries,
    )
    with open(out, encoding="utf-8") as f:
        summary = json.loads(f.read().splitlines()[-1])
    print(
        f"{summary['scanned']} of {summary['targets']} targets: {summary['verdicts']}; "
        f"exit code {summary['exit_code']} (records in {out})",
        file=sys.stderr,
    )
    return int(summary["exit_code"])


if __name__ == "__main__":
    sys.exit(main())
