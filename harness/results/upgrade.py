"""Older result files brought to the current schema: in memory when read (`upgrade_result`), on disk by
`migrate_results` in results/migrate.py (the one-off key change of schema 2, applied to leaderboard/results/ and to run directories)."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from seebench.matrix.cell import Cell
from seebench.results.schema import SCHEMA_VERSION

AXES = ("data", "encoder", "objective", "evaluator")


class ResultVersionError(ValueError):
    """A result file this seebench cannot bring to its schema (written by a newer seebench)."""


def split_v1_version(version: str) -> tuple[str, str]:
    """Schema 1's "PLUGIN==DIST-VERSION/COMPONENT-VERSION" -> (component version, "PLUGIN==DIST-VERSION").
    A version without that shape (a hand-built ref's "2" or "") is already a component version."""
    provenance, sep, own = version.rpartition("/")
    if not sep or "==" not in provenance:
        return version, ""
    return own, provenance


def _v1_ref_to_v2(ref: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not isinstance(ref, Mapping):
        return ref  # None (an unused axis) or junk the schema check will name
    own, provenance = split_v1_version(str(ref.get("version", "")))
    out = {**ref, "version": own}
    if provenance:
        out["plugin"] = provenance
    return out


def _v1_to_v2(result: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 put the distribution's release inside every component version, hence inside the key. The key
    is recomputed only when the recorded one was the v1 cell's own key: an edited v1 cell keeps its stale key
    and is rejected by the key check like any edited cell."""
    out = {**result, "schema_version": 2}
    cell = result.get("cell")
    if not isinstance(cell, Mapping):
        return out
    try:
        recorded_is_own = Cell.from_dict(cell).key == result.get("key")
    except Exception:  # noqa: BLE001 - a malformed cell is named by the schema / key checks after the upgrade
        recorded_is_own = False
    out["cell"] = {**cell, **{axis: _v1_ref_to_v2(cell.get(axis)) for axis in AXES if axis in cell}}
    if recorded_is_own:
        out["key"] = Cell.from_dict(out["cell"]).key
    return out


UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def upgrade_result(result: Any) -> Any:
    """`result` at the current schema version (a new dict when it was older, `result` itself otherwise).
    Anything without an integer schema_version is returned as is for the schema check to name; a version
    newer than this seebench knows is a ResultVersionError (one line, what to do)."""
    version = result.get("schema_version") if isinstance(result, dict) else None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return result
    if version > SCHEMA_VERSION:
        raise ResultVersionError(f"written by a newer seebench (result schema version {version}, this seebench "
                                 f"reads up to {SCHEMA_VERSION}); upgrade seebench to read it")
    while version < SCHEMA_VERSION:
        result = UPGRADES[version](result)
        version = result["schema_version"]
    return result
