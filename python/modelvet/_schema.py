"""A strict checker for the JSON Schema subset modelvet's own schemas use.

The wheel carries no dependencies, so the reports are checked here rather than with the
`jsonschema` package. Loading a schema that uses a keyword this module does not know is
an error, so a schema change that needs more cannot be silently half-checked; the tests
compare this checker with `jsonschema` on real and broken reports.
"""

from __future__ import annotations

import json
import math
import re
from importlib import resources
from typing import Any, Dict, List

# Keywords that only annotate.
_ANNOTATIONS = {"$schema", "$id", "title", "description", "$comment", "examples", "default"}
_CHECKED = {
    "type",
    "required",
    "properties",
    "additionalProperties",
    "propertyNames",
    "items",
    "minItems",
    "maxItems",
    "enum",
    "const",
    "minimum",
    "maximum",
    "pattern",
    "anyOf",
    "allOf",
    "if",
    "then",
    "$ref",
    "$defs",
}

_MAX_DEPTH = 64


class SchemaError(Exception):
    """The schema itself uses something this checker does not implement."""


def load(name: str) -> Dict[str, Any]:
    """Loads one of the schemas shipped in the package (`report`, `verification`)."""
    text = resources.files("modelvet").joinpath("schemas", f"{name}.schema.json").read_text("utf-8")
    schema = json.loads(text)
    _check_keywords(schema, "#")
    return schema


def _check_keywords(node: Any, where: str) -> None:
    if isinstance(node, bool):
        return
    if not isinstance(node, dict):
        raise SchemaError(f"{where}: a schema must be an object or a boolean")
    unknown = set(node) - _ANNOTATIONS - _CHECKED
    if unknown:
        raise SchemaError(f"{where}: unsupported keyword(s) {sorted(unknown)}")
    for key in ("properties", "$defs"):
        for name, sub in node.get(key, {}).items():
            _check_keywords(sub, f"{where}/{key}/{name}")
    for key in ("items", "propertyNames", "if", "then"):
        if key in node:
            _check_keywords(node[key], f"{where}/{key}")
    if isinstance(node.get("additionalProperties"), dict):
        _check_keywords(node["additionalProperties"], f"{where}/additionalProperties")
    for key in ("anyOf", "allOf"):
        for i, sub in enumerate(node.get(key, [])):
            _check_keywords(sub, f"{where}/{key}/{i}")


def errors(instance: Any, schema: Dict[str, Any], limit: int = 10) -> List[str]:
    """Where `instance` breaks `schema`, as JSON-pointer-like paths with a reason."""
    found: List[str] = []
    _validate(instance, schema, schema, "", found, limit, 0)
    return found


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        return isinstance(value, list)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if kind == "number":
        return isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value))
    raise SchemaError(f"unknown type {kind!r}")


def _equal(a: Any, b: Any) -> bool:
    # JSON equality: 1 == 1.0, but true is not 1.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _validate(value: Any, schema: Any, root: Dict[str, Any], at: str, found: List[str], limit: int, depth: int) -> None:
    if len(found) >= limit:
        return
    if depth > _MAX_DEPTH:
        found.append(f"{at or '/'}: nested deeper than {_MAX_DEPTH} levels")
        return
    if schema is True:
        return
    if schema is False:
        found.append(f"{at or '/'}: not allowed here")
        return
    here = at or "/"

    def sub(v: Any, s: Any, path: str) -> None:
        _validate(v, s, root, path, found, limit, depth + 1)

    def passes(v: Any, s: Any) -> bool:
        trial: List[str] = []
        _validate(v, s, root, at, trial, 1, depth + 1)
        return not trial

    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise SchemaError(f"only local references are supported: {ref}")
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        sub(value, target, at)
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_type_ok(value, k) for k in kinds):
            found.append(f"{here}: expected {' or '.join(kinds)}, got {type(value).__name__}")
            return
    if "const" in schema and not _equal(value, schema["const"]):
        found.append(f"{here}: must be {schema['const']!r}, got {value!r}")
    if "enum" in schema and not any(_equal(value, e) for e in schema["enum"]):
        found.append(f"{here}: {value!r} is not one of {schema['enum']!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            found.append(f"{here}: {value} is below the minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            found.append(f"{here}: {value} is above the maximum {schema['maximum']}")
    if isinstance(value, str) and "pattern" in schema and re.search(schema["pattern"], value) is None:
        found.append(f"{here}: {value!r} does not match {schema['pattern']!r}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            found.append(f"{here}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            found.append(f"{here}: more than {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                sub(item, schema["items"], f"{at}/{i}")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{here}: missing required property {name!r}")
        properties = schema.get("properties", {})
        for name, item in value.items():
            if "propertyNames" in schema:
                sub(name, schema["propertyNames"], f"{at}/{name}")
            if name in properties:
                sub(item, properties[name], f"{at}/{name}")
            elif "additionalProperties" in schema:
                extra = schema["additionalProperties"]
                if extra is False:
                    found.append(f"{here}: unexpected property {name!r}")
                else:
                    sub(item, extra, f"{at}/{name}")
    for alternative in schema.get("allOf", []):
        sub(value, alternative, at)
    if "anyOf" in schema and not any(passes(value, s) for s in schema["anyOf"]):
        found.append(f"{here}: matches none of the allowed shapes")
    if "if" in schema and "then" in schema and passes(value, schema["if"]):
        sub(value, schema["then"], at)
