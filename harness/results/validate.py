"""Checks a result must pass before it counts: strict JSON, its key recomputed from its cell, metrics in range."""

from __future__ import annotations

import json
import math
from typing import Any

from seebench.matrix.cell import Cell

# unit -> (low, high) inclusive; a metric of another unit (or none) must only be finite
UNIT_RANGES: dict[str, tuple[float, float]] = {"%": (0.0, 100.0), "flag": (0.0, 1.0)}


class StrictJSONError(ValueError):
    """JSON that Python's parser would accept but the JSON standard does not (NaN, Infinity, duplicate keys)."""


def _no_constants(name: str) -> Any:
    raise StrictJSONError(f"{name} is not valid JSON (metrics must be finite numbers)")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise StrictJSONError(f"key {key!r} appears twice")
        out[key] = value
    return out


def parse_strict(text: str) -> Any:
    """json.loads that refuses NaN, Infinity and repeated keys (StrictJSONError) as well as malformed JSON."""
    return json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_duplicates)


def metric_problem(name: str, value: Any, info: dict[str, Any]) -> str | None:
    """Why metric `name` = `value` cannot be counted under its declared `info` (None if it can)."""
    if value is None:  # recorded by the harness when an evaluator returned NaN: shown as missing, not counted
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return f"metric {name} = {value!r} is not a finite number"
    unit = (info or {}).get("unit", "")
    if unit == "flag" and value not in (0, 1):
        return f"metric {name} = {value} is a flag and must be 0 or 1"
    if unit in UNIT_RANGES:
        low, high = UNIT_RANGES[unit]
        if not low <= value <= high:
            return f"metric {name} = {value:g} {unit} is outside {low:g}-{high:g}"
    return None


def result_problem(result: dict[str, Any]) -> str | None:
    """Why a schema-valid result cannot be trusted (None if it can): its key must be the content key of its
    recorded cell, its seed the cell's, and (for a finished cell) every metric finite and inside its declared
    unit's range."""
    try:
        cell = Cell.from_dict(result["cell"])
        key = cell.key
    except Exception as exc:  # noqa: BLE001 - any malformed cell record is one line
        return f"its cell record cannot be read ({type(exc).__name__}: {exc})"
    if key != result["key"]:
        return f"its key {result['key']} is not the key of its recorded cell ({key}); the cell was edited"
    if result["seed"] != cell.seed:
        return f"its seed {result['seed']} differs from its cell's seed {cell.seed}"
    if result["status"] != "ok":  # a failure counts for nothing; its metrics (if any) are not checked
        return None
    info = result.get("metric_info") or {}
    for name, value in result["metrics"].items():
        problem = metric_problem(name, value, info.get(name) or {})
        if problem:
            return problem
    return None
