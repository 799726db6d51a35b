"""modelvet.ray without a cluster: the module imports without Ray, a shard runs the bundled
binary and returns one record per target, and a shard that ends without its summary raises
(so Ray retries it). The cluster itself is exercised by tests/ray_scale.rs."""

from __future__ import annotations

import json
import sys

import pytest

from conftest import BENIGN, MALICIOUS, ROOT

sys.path.insert(0, str(ROOT / "python"))
import modelvet.ray as mray  # noqa: E402


def test_the_module_imports_without_ray(installed):
    done = installed.py("import modelvet.ray, sys; print('ray' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_a_shard_returns_one_record_per_target_in_order(installed, tmp_path, monkeypatch):
    monkeypatch.setenv("MODELVET_BINARY", str(installed.modelvet))
    targets = [str(MALICIOUS), str(BENIGN), str(tmp_path / "missing.pt")]
    records = mray.scan_shard(7, targets, cache=str(tmp_path / "cache"), resume_dir=str(tmp_path / "shards"))
    assert [r["target"] for r in records] == targets
    assert [r["verdict"] for r in records] == ["findings", "clean", "error"]
    assert mray.exit_code_of(records) == mray.EXIT_FINDINGS
    # Run again: the shard file already records every target, nothing is scanned twice.
    again = mray.scan_shard(7, targets, resume_dir=str(tmp_path / "shards"))
    assert [r["verdict"] for r in again] == ["findings", "clean", "error"]
    lines = (tmp_path / "shards" / "shard-000007.jsonl").read_text().splitlines()
    assert sum(json.loads(line)["kind"] == "target" for line in lines) == 3
    row = mray._row(records[0])
    assert set(row) == set(mray.COLUMNS)
    assert json.loads(row["record"])["target"] == str(MALICIOUS)


def test_a_shard_without_its_summary_raises(installed, tmp_path, monkeypatch):
    monkeypatch.setenv("MODELVET_BINARY", str(installed.modelvet))
    with pytest.raises(mray.ShardFailed, match="without a summary"):
        mray.scan_shard(0, [str(BENIGN)], extra_args=["--no-such-flag"])


def test_target_lists_drop_comments_blanks_and_repeats(tmp_path):
    listing = tmp_path / "t.txt"
    listing.write_text("# vet these\nhf://a/b\n\nhf://a/b\n/x.pt\n")
    assert mray._targets_of(listing) == ["hf://a/b", "/x.pt"]
    assert mray._targets_of(["b", "a", "b"]) == ["b", "a"]
    with pytest.raises(FileNotFoundError):
        mray._targets_of(tmp_path / "absent.txt")
