"""The README's quick start, run verbatim in a copy of this checkout: a fresh virtual
environment, `pip install .`, and the scan of a real checkpoint and a malicious one."""

from __future__ import annotations

import os
import re
import shutil

from conftest import ROOT, run, target_dir


def quick_start() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Install and run", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1).strip()


def copy_checkout(to):
    """Tracked and untracked files of the checkout (what a clone of it would hold)."""
    listed = run(["git", "-C", ROOT, "ls-files", "-co", "--exclude-standard", "-z"]).stdout
    for rel in filter(None, listed.split("\0")):
        src, dst = ROOT / rel, to / rel
        if not (src.exists() or src.is_symlink()):
            continue  # deleted in the work tree
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst, follow_symlinks=False)


def test_the_readme_quick_start_works_verbatim(tmp_path):
    command = quick_start()
    assert command.startswith("python3 -m venv venv && venv/bin/pip install . && venv/bin/modelvet scan ")
    checkout = tmp_path / "modelvet"
    copy_checkout(checkout)
    env = {
        **os.environ,
        # Shared compiled crates and the dev profile: the command is the README's, the
        # build is quicker (the release build is the wheel test's).
        "CARGO_TARGET_DIR": str(target_dir()),
        "MATURIN_PEP517_ARGS": "--profile dev",
        "NO_COLOR": "1",
    }
    env.pop("MODELVET_BINARY", None)
    env.pop("VIRTUAL_ENV", None)
    done = run(["bash", "-c", command], cwd=checkout, env=env)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "evasion08_torch_zip_payload.pt" in out and "critical" in out.lower(), out
    # The clean checkpoint is counted, not listed: text output names files with news.
    assert "lpips" not in out and "FINDINGS: 2 file(s)" in out, out
    assert (checkout / "venv" / "bin" / "modelvet").exists()
