#!/usr/bin/env python3
"""Judges CycloneDX JSON documents with the CycloneDX project's own library.

Usage: validate_cyclonedx.py BOM.json [BOM.json ...]
Each document is validated against the strict JSON schema of the specVersion it
declares (1.6 or 1.7) by cyclonedx-python-lib's JsonStrictValidator. Prints one line
per document; exits 1 when any is invalid, 2 on usage errors.
"""
import json
import sys

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

VERSIONS = {"1.6": SchemaVersion.V1_6, "1.7": SchemaVersion.V1_7}


def main(paths):
    if not paths:
        print(__doc__, file=sys.stderr)
        return 2
    failed = False
    for path in paths:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        spec = json.loads(text).get("specVersion")
        if spec not in VERSIONS:
            print(f"{path}: INVALID: specVersion {spec!r} is not 1.6 or 1.7")
            failed = True
            continue
        error = JsonStrictValidator(VERSIONS[spec]).validate_str(text)
        if error is None:
            print(f"{path}: valid CycloneDX {spec}")
        else:
            print(f"{path}: INVALID CycloneDX {spec}: {error}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
