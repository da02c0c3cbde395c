"""JSON schema of a result file; every file read back is checked against it."""

from __future__ import annotations

from typing import Any

import jsonschema

# 2: a component's "version" is its own version; the plugin and its distribution's release moved to "plugin"
# (provenance, not in the key). Older files are upgraded when read (harness/results/upgrade.py).
SCHEMA_VERSION = 2

_REF = {
    "type": ["object", "null"],
    "required": ["kind", "name", "params", "version"],
    "properties": {
        "kind": {"type": "string"},
        "name": {"type": "string"},
        "label": {"type": "string"},
        "params": {"type": "object"},
        "version": {"type": "string"},
        "plugin": {"type": "string"},
    },
}

RESULT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["schema_version", "key", "status", "cell", "row", "role", "metrics", "seed", "versions",
                 "hardware", "wall_time_s", "started", "finished"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "key": {"type": "string", "pattern": "^[0-9a-f]{20}$"},
        "status": {"enum": ["ok", "failed"]},
        "cell": {
            "type": "object",
            "required": ["data", "encoder", "objective", "evaluator", "seed", "budget"],
            "properties": {
                "data": _REF, "encoder": _REF, "objective": _REF,
                "evaluator": {**_REF, "type": "object"},
                "seed": {"type": "integer"},
                "budget": {"type": "object"},
            },
        },
        "row": {"type": "string"},
        "role": {"type": "string"},
        "metrics": {"type": "object", "additionalProperties": {"type": ["number", "null"]}},
        "metric_info": {"type": "object"},
        "table": {"type": "string"},
        "artifacts": {"type": "object", "additionalProperties": {"type": "string"}},
        "curves": {"type": "object", "additionalProperties": {
            "type": "object", "required": ["step", "value"],
            "properties": {"step": {"type": "array", "items": {"type": "integer"}},
                           "value": {"type": "array", "items": {"type": ["number", "null"]}}}}},
        "repaired": {"type": "array", "items": {"type": "string"}},
        "reference": {"type": "object", "additionalProperties": {"type": "number"}},
        "seed": {"type": "integer"},
        "versions": {"type": "object", "additionalProperties": {"type": "string"}},
        "hardware": {"type": "object"},
        "wall_time_s": {"type": "number", "minimum": 0},
        "timings": {"type": "object", "additionalProperties": {"type": "number"}},
        "started": {"type": "string"},
        "finished": {"type": "string"},
        "git_commit": {"type": ["string", "null"]},
        "error": {
            "type": ["object", "null"],
            "required": ["type", "message"],
            "properties": {"type": {"type": "string"}, "message": {"type": "string"},
                           "traceback": {"type": "string"}},
        },
    },
    "allOf": [{"if": {"properties": {"status": {"const": "failed"}}}, "then": {"required": ["error"]}}],
}

_VALIDATOR = jsonschema.Draft202012Validator(RESULT_SCHEMA)


def validation_error(result: Any) -> str | None:
    """None when `result` is a valid result, else the first problem as '<json path>: message'."""
    errors = sorted(_VALIDATOR.iter_errors(result), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    err = errors[0]
    path = "/".join(str(p) for p in err.absolute_path) or "(top level)"
    return f"{path}: {err.message}"
