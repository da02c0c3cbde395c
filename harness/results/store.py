"""The result store: one JSON file per cell key, written atomically, validated when read; a failed re-run
never replaces a good result (its record goes to results/failed/<key>.json instead)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from seebench.primitives.atomic import atomic_write_text, remove_stale_temps
from seebench.api.errors import ConfigError, ResultFileError
from seebench.results.schema import validation_error
from seebench.results.migrate import migrate_results
from seebench.results.reading import RESULTS, read_result, result_files

FAILED = "failed"  # results/failed/<key>.json: the last failed attempt of a cell whose good result was kept

__all__ = ["FAILED", "RESULTS", "LoadedResults", "ResultStore", "atomic_write_text", "load_results",
           "read_result", "result_files"]


@dataclass
class LoadedResults:
    results: list[dict[str, Any]]
    problems: list[str]
    origins: dict[str, Path] = field(default_factory=dict)  # key -> run directory it was read from

    def artifact_paths(self, result: dict[str, Any]) -> dict[str, Path]:
        """A result's artifacts as paths that exist (relative ones resolved against its run directory)."""
        base = self.origins.get(result["key"], Path("."))
        out = {}
        for name, value in (result.get("artifacts") or {}).items():
            path = Path(value) if Path(value).is_absolute() else base / value
            if path.exists():
                out[name] = path
        return out


def load_results(folders: Iterable[Path]) -> LoadedResults:
    """Every valid result under `folders`; bad files are reported by path and skipped."""
    results, problems, origins = [], [], {}
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            problems.append(f"{folder}: no such directory")
            continue
        for path in result_files(folder):
            try:
                result = read_result(path)
            except ResultFileError as exc:
                problems.append(str(exc))
                continue
            results.append(result)
            origins[result["key"]] = folder
    return LoadedResults(results, problems, origins)


class ResultStore:
    """`<run_dir>/results/<key>.json`; a cell is finished when its file is valid with status ok."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        self.folder = self.run_dir / RESULTS

    def prepare(self) -> None:
        """Create the folders, check they are writable, remove temp files a killed run left in results/, cache/
        and checkpoints/ (only those whose writer is gone: a live writer's are kept, harness/primitives/atomic.py),
        and bring result files of an older schema to the current one under their new keys (harness/results/
        upgrade.py), so a run directory made by an older seebench resumes without re-running finished cells."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            probe = self.folder / f".write-test-{os.getpid()}"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise ConfigError(f"{self.run_dir}: output directory is not writable ({exc.strerror}); "
                              f"choose another with --out DIR") from None
        for folder in [self.folder, self.folder / FAILED, *self.run_dir.glob("cache/*"),
                       *self.run_dir.glob("checkpoints/*")]:
            remove_stale_temps(folder)
        migrate_results(self.run_dir)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        path = self.path(key)
        if not path.exists():
            return None
        try:
            return read_result(path)
        except ResultFileError:
            return None

    def is_finished(self, key: str) -> bool:
        result = self.get(key)
        return result is not None and result["status"] == "ok"

    def problem(self, key: str) -> str | None:
        """Why an existing file for `key` is unusable (None if fine or absent)."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            read_result(path)
            return None
        except ResultFileError as exc:
            return str(exc)

    def failed_path(self, key: str) -> Path:
        return self.folder / FAILED / f"{key}.json"

    def write(self, result: dict[str, Any]) -> Path:
        """Store a cell's result and return where it went. A failed result for a cell that has a good one goes to
        results/failed/<key>.json and the good one stays; a good result clears that record."""
        problem = validation_error(result)
        if problem:  # a harness bug or a plugin returning junk: never write an unreadable file
            raise ResultFileError(f"result of cell {result.get('key')} is invalid ({problem})")
        key = result["key"]
        try:
            text = json.dumps(result, indent=1, sort_keys=True, allow_nan=False) + "\n"
        except ValueError:  # NaN or infinity somewhere (metrics are cleaned; this is a harness bug)
            raise ResultFileError(f"result of cell {key} holds NaN or infinity outside its metrics") from None
        path = self.failed_path(key) if result["status"] != "ok" and self.is_finished(key) else self.path(key)
        try:
            atomic_write_text(path, text)
        except OSError as exc:  # full disk, read-only or unwritable folder: the earlier file (if any) is intact
            raise ResultFileError(f"{path}: cannot write the result of cell {key} ({exc.strerror or exc}); free "
                                  f"space or fix the folder's permissions, then re-run: finished cells are kept") from None
        if path != self.path(key):
            return path
        if result["status"] == "ok":
            self.failed_path(key).unlink(missing_ok=True)
        return path

    def load(self) -> LoadedResults:
        return load_results([self.run_dir])
