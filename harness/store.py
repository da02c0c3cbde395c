"""The result store: one JSON file per cell key, written atomically, validated when read."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .errors import ConfigError, ResultFileError
from .schema import validation_error

RESULTS = "results"


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder, fsync, rename: readers never see a torn file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def read_result(path: Path) -> dict[str, Any]:
    """Parse and validate one result file; ResultFileError names the file and the problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ResultFileError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); truncated or "
                              f"hand-edited — delete it and re-run the cell") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultFileError(f"{path}: unreadable ({exc})") from None
    problem = validation_error(data)
    if problem:
        raise ResultFileError(f"{path}: does not match the result schema ({problem}); delete it and re-run the cell")
    if path.stem != data["key"] and not path.stem.startswith(data["key"]):
        raise ResultFileError(f"{path}: file name does not match its key {data['key']}; it was renamed or edited")
    return data


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


def result_files(folder: Path) -> list[Path]:
    """Result JSONs in a run directory (its results/ folder) or in a plain folder of JSONs."""
    folder = Path(folder)
    target = folder / RESULTS if (folder / RESULTS).is_dir() else folder
    return sorted(p for p in target.glob("*.json") if not p.name.startswith("."))


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
        """Create the folders, check they are writable, remove temp files a killed run left."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            probe = self.folder / f".write-test-{os.getpid()}"
            probe.write_text("ok")
            probe.unlink()
        except OSError as exc:
            raise ConfigError(f"{self.run_dir}: output directory is not writable ({exc.strerror}); "
                              f"choose another with --out DIR") from None
        for stale in self.folder.glob(".*.tmp"):
            stale.unlink(missing_ok=True)

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

    def write(self, result: dict[str, Any]) -> Path:
        problem = validation_error(result)
        if problem:  # a harness bug or a plugin returning junk: never write an unreadable file
            raise ResultFileError(f"result of cell {result.get('key')} is invalid ({problem})")
        path = self.path(result["key"])
        atomic_write_text(path, json.dumps(result, indent=1, sort_keys=True) + "\n")
        return path

    def load(self) -> LoadedResults:
        return load_results([self.run_dir])
