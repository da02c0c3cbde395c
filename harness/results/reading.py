"""Reading one result file: strict JSON, older schemas upgraded, checked (schema, key, metrics) — one line when rejected."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from seebench.api.errors import ResultFileError
from seebench.results.schema import validation_error
from seebench.results.upgrade import ResultVersionError, upgrade_result
from seebench.results.validate import StrictJSONError, parse_strict, result_problem

RESULTS = "results"


def read_result(path: Path) -> dict[str, Any]:
    """Parse (strict JSON) and check one result file (schema, key recomputed from its cell, metric ranges);
    ResultFileError names the file and the problem in one line."""
    try:
        data = parse_strict(path.read_text(encoding="utf-8"))
    except StrictJSONError as exc:
        raise ResultFileError(f"{path}: rejected, {exc}; fix or delete the file") from None
    except json.JSONDecodeError as exc:
        raise ResultFileError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); truncated or "
                              f"hand-edited — delete it and re-run the cell") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultFileError(f"{path}: unreadable ({exc})") from None
    recorded_key = data.get("key") if isinstance(data, dict) else None  # the file is named after this one
    try:
        data = upgrade_result(data)  # an older schema's file is read at the current one (its key may change)
    except ResultVersionError as exc:
        raise ResultFileError(f"{path}: {exc}") from None
    problem = validation_error(data)
    if problem:
        raise ResultFileError(f"{path}: does not match the result schema ({problem}); delete it and re-run the cell")
    if path.stem != recorded_key and not path.stem.startswith(str(recorded_key)):
        raise ResultFileError(f"{path}: file name does not match its key {recorded_key}; it was renamed or edited")
    problem = result_problem(data)
    if problem:
        raise ResultFileError(f"{path}: rejected, {problem}; it does not count (re-run the cell to replace it)")
    return data


def result_files(folder: Path) -> list[Path]:
    """Result JSONs in a run directory (its results/ folder) or in a plain folder of JSONs."""
    folder = Path(folder)
    target = folder / RESULTS if (folder / RESULTS).is_dir() else folder
    return sorted(p for p in target.glob("*.json") if not p.name.startswith("."))
