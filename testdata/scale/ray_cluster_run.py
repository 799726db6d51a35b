"""Runs modelvet.ray on a local Ray cluster for tests/ray_scale.rs: a head node and one more
node (each its own raylet and worker processes) on 127.0.0.1, started with
`ray.cluster_utils.Cluster`.

    ray_cluster_run.py --targets FILE --out OUT.jsonl --work DIR [--kill-worker]

Without --kill-worker the scan runs from a shell as users run it,
`python -m modelvet.ray --address ADDR ...`. With it the scan runs through the API in this
process, and once a shard task is running its worker process is killed (SIGKILL), so Ray
must retry that shard. Prints one JSON line: the cluster's node count, the killed worker's
pid (or null), the exit code, the seconds taken, and (with --kill-worker) the verdicts of
the first 20 targets as a Ray Dataset returned by `modelvet.ray.scan`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

# Every node, worker and driver on the loopback address: Ray's own switch for it (named for
# the platforms where it is the default), set before Ray is imported and inherited by the
# processes the cluster starts.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402


def busy_shard_workers() -> list[int]:
    """Pids of Ray workers executing a shard (Ray titles them `ray::scan_shard`)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if cmdline.startswith(b"ray::scan_shard"):
            pids.append(int(entry.name))
    return pids


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--targets", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--kill-worker", action="store_true")
    args = ap.parse_args()
    work = Path(args.work)
    started = time.monotonic()
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False},
    )
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    killed = None
    try:
        if not args.kill_worker:
            done = subprocess.run(
                [
                    sys.executable, "-m", "modelvet.ray",
                    "--address", cluster.address,
                    "--targets", args.targets,
                    "--out", args.out,
                    "--cache", str(work / "cache"),
                    "--resume-dir", str(work / "shards"),
                    "--batch-size", "10",
                ],
                capture_output=True,
                text=True,
            )
            sys.stderr.write(done.stderr)
            code = done.returncode
            nodes = None
        else:
            import modelvet.ray as mray

            ray.init(address=cluster.address, log_to_driver=False)
            nodes = len([n for n in ray.nodes() if n["Alive"]])
            result: dict = {}

            def run() -> None:
                try:
                    result["out"] = mray.scan(
                        args.targets,
                        cache=work / "cache",
                        resume_dir=work / "shards",
                        out=args.out,
                        batch_size=10,
                    )
                except BaseException as e:  # reported below
                    result["error"] = repr(e)

            t = threading.Thread(target=run)
            t.start()
            deadline = time.monotonic() + 120
            while killed is None and t.is_alive() and time.monotonic() < deadline:
                busy = busy_shard_workers()
                if busy:
                    # Let the shard get under way, so its killed attempt had done part of it.
                    time.sleep(0.5)
                    for pid in busy:
                        try:
                            os.kill(pid, signal.SIGKILL)
                            killed = pid
                            break
                        except ProcessLookupError:
                            continue
                time.sleep(0.05)
            t.join()
            if "error" in result:
                print(json.dumps({"error": result["error"]}))
                return 1
            code = 0
            # The API's other form: a Ray Dataset of verdicts, for the first 20 targets,
            # from the cache the run above filled.
            first = [line.strip() for line in open(args.targets) if line.strip()][:20]
            rows = mray.scan(first, cache=work / "cache").take_all()
            dataset = {r["target"]: [r["verdict"], r["exit_code"], r["cache_hits"]] for r in rows}
        print(json.dumps({
            "dataset": dataset if args.kill_worker else None,
            "nodes": nodes,
            "killed_pid": killed,
            "exit_code": code,
            "seconds": round(time.monotonic() - started, 1),
        }))
        return 0
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()


if __name__ == "__main__":
    sys.exit(main())
