"""The wheel: `pip install` puts `modelvet` on PATH, `python -m modelvet` runs it, the
Python API gives the same report as the command line, and completions and man pages land
under the environment's share/."""

from __future__ import annotations

import json

from conftest import BENIGN, MALICIOUS, ROOT, TORCH_PAYLOAD, run

API_SCAN = """
import json, sys
import modelvet
report = modelvet.scan(sys.argv[1:])
flagged = sorted({a.file for a, f in report.findings()})
print(json.dumps({"raw": report.raw, "exit": report.exit_code, "passed": report.passed,
                  "verdict": report.verdict, "flagged": flagged,
                  "rules": sorted({f.rule for _, f in report.findings()}),
                  "binary": modelvet.find_modelvet_bin()}))
"""


def test_the_wheel_installs_the_executable_and_the_package(installed, wheel):
    done = run([installed.modelvet, "--version"])
    assert done.returncode == 0
    cargo_version = next(
        line.split('"')[1] for line in (ROOT / "Cargo.toml").read_text().splitlines() if line.startswith("version")
    )
    assert done.stdout.startswith(f"modelvet {cargo_version} (rules "), done.stdout
    assert wheel.name.startswith(f"modelvet-{cargo_version}-")
    # The package finds the executable pip installed beside it.
    found = installed.py("import modelvet; print(modelvet.find_modelvet_bin())")
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == str(installed.modelvet)


def test_the_api_and_the_command_line_give_the_same_report(installed, tmp_path):
    inputs = [str(MALICIOUS), str(BENIGN), str(TORCH_PAYLOAD)]
    cli = run([installed.modelvet, "scan", "--format", "json", *inputs])
    assert cli.returncode == 1, cli.stderr
    api = installed.py(API_SCAN, *inputs)
    assert api.returncode == 0, api.stderr
    got = json.loads(api.stdout)
    assert got["raw"] == json.loads(cli.stdout)
    assert got["exit"] == 1 and got["passed"] is False and got["verdict"] == "findings"
    assert got["flagged"] == sorted([str(MALICIOUS), str(TORCH_PAYLOAD)])
    assert "MV101" in got["rules"]
    # python -m modelvet is the same executable.
    module = run([installed.python, "-m", "modelvet", "scan", "--format", "json", *inputs])
    assert module.returncode == 1
    assert json.loads(module.stdout) == json.loads(cli.stdout)
    # A clean file passes through both.
    clean = installed.py(API_SCAN, str(BENIGN))
    assert json.loads(clean.stdout)["passed"] is True


def test_completions_and_man_pages_are_installed_under_share(installed):
    share = installed.path / "share"
    for rel in [
        "bash-completion/completions/modelvet",
        "zsh/site-functions/_modelvet",
        "fish/vendor_completions.d/modelvet.fish",
        "man/man1/modelvet.1",
        "man/man1/modelvet-scan.1",
    ]:
        installed_file = share / rel
        assert installed_file.is_file(), rel
        assert installed_file.read_bytes() == (ROOT / "python/wheel-data/data/share" / rel).read_bytes()
    bash = run([installed.modelvet, "completions", "bash"])
    assert bash.stdout == (share / "bash-completion/completions/modelvet").read_text()


def test_the_package_carries_the_schemas_and_is_typed(installed):
    done = installed.py(
        "import modelvet, pathlib; p = pathlib.Path(modelvet.__file__).parent; "
        "print((p / 'py.typed').exists()); print((p / 'schemas/report.schema.json').read_text())"
    )
    typed, schema = done.stdout.split("\n", 1)
    assert typed == "True"
    assert json.loads(schema) == json.loads((ROOT / "schemas/report.schema.json").read_text())
