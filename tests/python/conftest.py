"""Shared fixtures of the packaging tests: the wheel, built once by maturin from this
checkout, and a fresh virtual environment with only that wheel installed.

Run by scripts/test.sh as `.venv/bin/python -m pytest tests/python`. The Rust build is
shared with cargo through CARGO_TARGET_DIR (default: target/ of the checkout), so the
wheel reuses the release binary scripts/test.sh has just built.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "testdata" / "fixtures"
MALICIOUS = FIXTURES / "malicious" / "evasion03_posix_system.pkl"
TORCH_PAYLOAD = FIXTURES / "malicious" / "evasion08_torch_zip_payload.pt"
BENIGN = FIXTURES / "real" / "lpips_v0.1_alex.pth"


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))


def run(cmd, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run([str(c) for c in cmd], **kw)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheels")
    env = {**os.environ, "CARGO_TARGET_DIR": str(target_dir())}
    maturin = Path(sys.executable).parent / "maturin"
    done = run([maturin, "build", "--release", "--out", out], cwd=ROOT, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    wheels = list(out.glob("modelvet-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


class Env:
    """A virtual environment with the wheel installed and nothing else."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.bin = path / "bin"
        self.python = self.bin / "python"
        self.modelvet = self.bin / "modelvet"

    def py(self, code: str, *args, **kw) -> subprocess.CompletedProcess:
        # MODELVET_BINARY must not leak in: the package has to find its own executable.
        env = {k: v for k, v in os.environ.items() if k != "MODELVET_BINARY"}
        env.update(kw.pop("env", {}))
        return run([self.python, "-c", code, *args], env=env, **kw)


@pytest.fixture(scope="session")
def installed(wheel, tmp_path_factory) -> Env:
    path = tmp_path_factory.mktemp("venv") / "env"
    venv.EnvBuilder(with_pip=True).create(path)
    env = Env(path)
    done = run([env.python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", "--disable-pip-version-check", wheel])
    assert done.returncode == 0, done.stdout + done.stderr
    return env


@pytest.fixture
def have(request):
    """Skips (with the reason printed) when an outside tool is missing."""

    def check(tool: str) -> str:
        found = shutil.which(tool)
        if found is None:
            pytest.skip(f"{tool} is not installed")
        return found

    return check
