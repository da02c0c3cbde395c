"""Older result files brought to the current schema: in memory when read (`upgrade_result`), on disk by
`migrate_results` (the one-off key change of schema 2, applied to leaderboard/results/ and to run directories)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from seebench.matrix.cell import Cell
from seebench.primitives.atomic import atomic_path, atomic_write_text
from seebench.results.schema import SCHEMA_VERSION
from seebench.results.validate import parse_strict

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


@dataclass
class MigrationReport:
    migrated: list[tuple[str, str]] = field(default_factory=list)  # (old key, new key) per file rewritten
    kept: list[str] = field(default_factory=list)  # one line per file left alone, and why


def _artifact_base(folder: Path, path: str) -> Path | None:
    """Where a relative artifact path of a result in `folder` resolves: the run directory (results/'s parent)
    for a run, the leaderboard folder (results/'s parent) for published results."""
    for base in (folder.parent, folder):
        if (base / path).exists():
            return base
    return None


def _renamed_artifacts(folder: Path, result: dict[str, Any], old: str, new: str) -> list[tuple[Path, Path]]:
    """Point artifacts named after the old key (`<key>-<name><ext>`, as publish names them) at the new
    name; returns the (old file, new file) pairs to copy."""
    moves = []
    for name, value in (result.get("artifacts") or {}).items():
        rel = Path(value)
        base = None if rel.is_absolute() else _artifact_base(folder, value)
        if base is None or not rel.name.startswith(old):
            continue
        renamed = rel.with_name(new + rel.name[len(old):])
        result["artifacts"][name] = str(renamed)
        moves.append((base / rel, base / renamed))
    return moves


def migrate_results(folder: Path) -> MigrationReport:
    """Rewrite every result file of an older schema in `folder` (a run directory or a folder of result JSONs)
    at the current schema: upgraded as `upgrade_result` does in memory, renamed to its new key, artifacts named
    after the old key renamed with it; every other byte (metrics, curves, provenance) kept.

    Each new file is complete on disk (atomic write, artifacts copied first) before the old one is removed, so
    an interrupted migration leaves readable files and running it again finishes the job. A current file is
    skipped; one the reader rejects (`read_result`), or whose new key already names a different file, is left
    alone and named in `kept`. Caches keyed by cell content are not migrated (docs/reliability.md)."""
    from seebench.api.errors import ResultFileError
    from seebench.results.store import RESULTS, read_result, result_files  # the store reads through upgrade_result

    report = MigrationReport()
    folder = Path(folder)
    results_folder = folder / RESULTS if (folder / RESULTS).is_dir() else folder
    for path in result_files(folder):
        try:
            stored = parse_strict(path.read_text(encoding="utf-8"))
            if isinstance(stored, dict) and stored.get("schema_version") == SCHEMA_VERSION:
                continue
            result = read_result(path)  # upgraded and checked: a file the reader rejects is not rewritten
        except (OSError, ValueError, ResultFileError) as exc:
            report.kept.append(f"not migrated: {exc}")
            continue
        old, new = path.stem, result["key"]
        target = path.with_name(f"{new}.json")
        moves = _renamed_artifacts(results_folder, result, old, new)
        text = json.dumps(result, indent=1, sort_keys=True) + "\n"
        if target.exists() and target.read_text(encoding="utf-8") != text:
            report.kept.append(f"{path}: not migrated ({target.name} already holds another result of this cell)")
            continue
        for src, dest in moves:
            if src.exists() and not dest.exists():
                with atomic_path(dest) as tmp:
                    shutil.copyfile(src, tmp)
        atomic_write_text(target, text)
        if target != path:
            path.unlink()
        for src, _ in moves:
            src.unlink(missing_ok=True)
        report.migrated.append((old, new))
    return report
