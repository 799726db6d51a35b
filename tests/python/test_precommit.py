"""The pre-commit hooks in .pre-commit-hooks.yaml, run by pre-commit itself
(`pre-commit try-repo`, which installs this checkout the way users' pre-commit does)
against throwaway Git repositories: an ordinary one passes, one with a malicious model
fails and names it."""

from __future__ import annotations

import os
import shutil

import pytest

from conftest import BENIGN, MALICIOUS, ROOT, TORCH_PAYLOAD, run, target_dir


def git_repo(path, files):
    path.mkdir()
    run(["git", "init", "-q", "-b", "main", path])
    for rel, data in files.items():
        target = path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    run(["git", "-C", path, "add", "-A"])
    return path


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """One pre-commit store for the module: a checkout is installed into it once."""
    return tmp_path_factory.mktemp("pre-commit-home")


def hook_env(home):
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(home),
        # pre-commit installs the hooks by building this checkout from source with maturin.
        # Sharing cargo's output folder and its dev profile reuses every compiled crate
        # but modelvet itself; the release build is the wheel test's.
        "CARGO_TARGET_DIR": str(target_dir()),
        "MATURIN_PEP517_ARGS": "--profile dev",
        "NO_COLOR": "1",
        # try-repo commits uncommitted changes to a shadow repository; a fresh machine
        # has no Git identity.
        "GIT_AUTHOR_NAME": "modelvet tests",
        "GIT_AUTHOR_EMAIL": "tests@modelvet.invalid",
        "GIT_COMMITTER_NAME": "modelvet tests",
        "GIT_COMMITTER_EMAIL": "tests@modelvet.invalid",
    }
    env.pop("MODELVET_BINARY", None)
    return env


def try_repo(repo, hook, home, *extra):
    env = hook_env(home)
    return run(
        [shutil.which("pre-commit") or ROOT / ".venv/bin/pre-commit", "try-repo", ROOT, hook, "--all-files", "--color", "never", *extra],
        cwd=repo,
        env=env,
    )


def ordinary_files():
    return {
        "README.md": b"# An ML app\n",
        "src/train.py": b"import torch\nmodel = torch.load('models/model.pth')\n",
        "assets/logo.woff2": bytes([0x77, 0x4F, 0x46, 0x32, 0, 1, 0xFF, 0x80, 7, 9] * 20),
        "models/model.pth": BENIGN.read_bytes(),
    }


def test_the_scan_hook_passes_an_ordinary_repository_and_fails_a_malicious_model(tmp_path, home):
    good = git_repo(tmp_path / "good", ordinary_files())
    done = try_repo(good, "modelvet", home)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "modelvet scan (model files, by content)" in done.stdout
    assert "Passed" in done.stdout

    bad_files = ordinary_files()
    bad_files["models/head.pkl"] = MALICIOUS.read_bytes()
    bad_files["models/ckpt.bin"] = TORCH_PAYLOAD.read_bytes()
    bad = git_repo(tmp_path / "bad", bad_files)
    done = try_repo(bad, "modelvet", home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Failed" in done.stdout
    assert "models/head.pkl" in done.stdout and "models/ckpt.bin" in done.stdout
    assert "MV101" in done.stdout or "posix.system" in done.stdout


def test_the_verify_hook_checks_a_signed_model(tmp_path, home, installed):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = tmp_path / "key.pem"
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    repo = git_repo(tmp_path / "signed", {"keys/model.pub": public, "models/m/model.pth": BENIGN.read_bytes()})
    signed = run([installed.modelvet, "sign", "--key", private, repo / "models/m"])
    assert signed.returncode == 0, signed.stderr
    run(["git", "-C", repo, "add", "-A"])
    config = repo / ".pre-commit-config.yaml"

    done = try_repo(repo, "modelvet-verify", home)
    # No folder and no key given: a usage error, never a pass.
    assert done.returncode != 0, done.stdout

    # try-repo takes no args; the hook's args come from a config that points at the repo.
    head = run(["git", "-C", ROOT, "rev-parse", "HEAD"]).stdout.strip()
    config.write_text(
        "repos:\n"
        f"  - repo: {ROOT}\n"
        f"    rev: {head}\n"
        "    hooks:\n"
        "      - id: modelvet-verify\n"
        "        args: [--key, keys/model.pub, models/m]\n"
    )
    env = hook_env(home)
    pre_commit = shutil.which("pre-commit") or ROOT / ".venv/bin/pre-commit"
    done = run([pre_commit, "run", "modelvet-verify", "--all-files", "--color", "never"], cwd=repo, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    (repo / "models/m/model.pth").write_bytes(BENIGN.read_bytes() + b"tampered")
    done = run([pre_commit, "run", "modelvet-verify", "--all-files", "--color", "never"], cwd=repo, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "model.pth" in done.stdout
