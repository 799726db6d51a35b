"""Where pip put the `modelvet` executable that came with this package."""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

_EXE = "modelvet" + (sysconfig.get_config_var("EXE") or "")


def _candidates() -> list[Path]:
    dirs = [Path(sysconfig.get_path("scripts"))]
    # `pip install --user`
    user_scheme = {"nt": "nt_user", "posix": "posix_user"}.get(os.name)
    if sys.version_info >= (3, 10):
        user_scheme = sysconfig.get_preferred_scheme("user")
    if user_scheme:
        try:
            dirs.append(Path(sysconfig.get_path("scripts", scheme=user_scheme)))
        except KeyError:
            pass
    # `pip install --target DIR`: the package is DIR/modelvet, the executable DIR/bin.
    dirs.append(Path(__file__).resolve().parent.parent / "bin")
    return [d / _EXE for d in dirs]


def find_modelvet_bin() -> str:
    """The path of the bundled `modelvet` executable (never another one found on PATH,
    whose version could differ from this package's)."""
    override = os.environ.get("MODELVET_BINARY")
    if override:
        return override
    for candidate in _candidates():
        if candidate.is_file():
            return str(candidate)
    searched = ", ".join(str(c) for c in _candidates())
    raise FileNotFoundError(
        f"the modelvet executable is not where pip installs it (looked in: {searched}); "
        "reinstall the package, or set MODELVET_BINARY to the executable"
    )
