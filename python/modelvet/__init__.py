"""modelvet: tells whether a machine-learning model artifact is safe to load, without loading it.

The command line is the `modelvet` executable installed with this package (also
`python -m modelvet`). From Python:

    import modelvet
    report = modelvet.scan(["model.pt"])
    if not report.passed:
        for artifact, finding in report.findings():
            print(artifact.path, finding.severity, finding.message)
"""

from modelvet._api import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_INCOMPLETE,
    Artifact,
    Finding,
    ModelvetError,
    Report,
    ReportError,
    Summary,
    UsageError,
    Verification,
    scan,
    verify,
)
from modelvet._find import find_modelvet_bin

__all__ = [
    "EXIT_CLEAN",
    "EXIT_ERROR",
    "EXIT_FINDINGS",
    "EXIT_INCOMPLETE",
    "Artifact",
    "Finding",
    "ModelvetError",
    "Report",
    "ReportError",
    "Summary",
    "UsageError",
    "Verification",
    "find_modelvet_bin",
    "scan",
    "verify",
]
