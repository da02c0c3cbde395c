"""Migrating result files of an older schema on disk: upgraded, renamed to their new key, artifacts with them."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seebench.api.errors import ResultFileError
from seebench.primitives.atomic import atomic_path, atomic_write_text
from seebench.results.reading import RESULTS, read_result, result_files
from seebench.results.schema import SCHEMA_VERSION
from seebench.results.validate import parse_strict


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
