"""`seebench run`: lock the run folder, skip finished cells, execute the rest, notify plugins, summarise."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seebench.run import preflight
from seebench.api.errors import ConfigError
from seebench.executors.select import DEFAULT_EXECUTOR, build_executor
from seebench.matrix.config import Matrix
from seebench.run.progress import MatrixProgress
from seebench.run.run_lock import RunLock
from seebench.results.migrate import migrate_results
from seebench.results.store import FAILED, RESULTS, ResultStore, atomic_write_text


@dataclass
class RunSummary:
    total: int
    skipped: int
    ran: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    forced_good: int = 0  # --force: cells that had a good result and were run again
    kept_good: int = 0  # of those, how many kept their good result because the re-run failed

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def run_matrix(matrix: Matrix, registry: Any, run_dir: Path, force: bool = False, executor: Any = DEFAULT_EXECUTOR,
               live: bool | None = None, executor_options: dict[str, Any] | None = None) -> RunSummary:
    """Run the unfinished cells of `matrix` into `run_dir`, holding its lock (a second run there refuses).
    `executor`: a registered executor's name (built with `executor_options`) or an executor object."""
    if isinstance(executor, str):
        executor = build_executor(registry, executor, executor_options)
    with RunLock(run_dir):
        return _run_locked(matrix, registry, Path(run_dir), force, executor, live)


def _run_locked(matrix: Matrix, registry: Any, run_dir: Path, force: bool, executor: Any, live: bool | None) -> RunSummary:
    store = ResultStore(run_dir)
    if store.folder.is_dir():  # results of an older schema take their new keys first, so they count as finished
        migrate_results(run_dir)
    finished = {c.key for c in matrix.cells if store.is_finished(c.key)}
    todo = [c for c in matrix.cells if force or c.key not in finished]
    preflight.check(todo, registry)  # a missing probe or data set stops the run before any pretraining
    store.prepare()
    try:
        atomic_write_text(run_dir / "matrix.json", json.dumps(
            {"name": matrix.name, "origin": matrix.origin, "config": matrix.config,
             "cells": [c.key for c in matrix.cells]}, indent=1, default=str) + "\n")
    except OSError as exc:  # a full disk or a folder that turned read-only: nothing has run yet
        raise ConfigError(f"{run_dir / 'matrix.json'}: cannot write ({exc.strerror or exc}); free space or "
                          f"choose another --out DIR") from None
    summary = RunSummary(total=len(matrix.cells), skipped=len(matrix.cells) - len(todo),
                         forced_good=len(finished) if force else 0)
    registry.notify("seebench_matrix_started", cells=matrix.cells, run_dir=run_dir)
    results: list[dict[str, Any]] = []
    with MatrixProgress(len(todo), summary.skipped, live=live) as progress:
        for problem in (store.problem(c.key) for c in todo):
            if problem:
                progress.message(f"warning: {problem} (the cell will be re-run)")

        def on_start(cell):
            for w in registry.notify("seebench_cell_started", cell=cell):
                progress.message(f"warning: {w}")
            progress.cell_started(cell)

        def on_done(cell, result):
            summary.ran += 1
            results.append(result)
            if result["status"] != "ok":
                summary.failed.append(result)
                if cell.key in finished:  # the store kept the good result (harness/results/store.py)
                    summary.kept_good += 1
            progress.cell_finished(cell, result)
            for w in registry.notify("seebench_cell_finished", cell=cell, result=result):
                progress.message(f"warning: {w}")

        executor.run(todo, registry, run_dir, on_start, on_done, progress.step, lambda msg: progress.message(f"  {msg}"))
        for w in registry.notify("seebench_matrix_finished", results=results, run_dir=run_dir):
            progress.message(f"warning: {w}")
        if summary.forced_good:
            progress.message(f"--force re-ran {summary.forced_good} cell(s) that had a good result: "
                             f"{summary.forced_good - summary.kept_good} replaced, {summary.kept_good} kept because "
                             f"the re-run failed" + (f" (errors in {run_dir / RESULTS / FAILED}/)" if summary.kept_good
                                                     else ""))
    summary.warnings = list(registry.warnings)
    return summary
