"""`seebench run`: skip finished cells, execute the rest, notify plugins, summarise."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import preflight
from .executors import get_executor
from .matrix import Matrix
from .progress import MatrixProgress
from .store import ResultStore, atomic_write_text


@dataclass
class RunSummary:
    total: int
    skipped: int
    ran: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def run_matrix(matrix: Matrix, registry: Any, run_dir: Path, force: bool = False, executor: str = "local",
               live: bool | None = None, executor_options: dict[str, Any] | None = None) -> RunSummary:
    run_dir = Path(run_dir)
    store = ResultStore(run_dir)
    todo = [c for c in matrix.cells if force or not store.is_finished(c.key)]
    preflight.check(todo, registry)  # a missing probe or data set stops the run before any pretraining
    store.prepare()
    atomic_write_text(run_dir / "matrix.json", json.dumps(
        {"name": matrix.name, "origin": matrix.origin, "config": matrix.config,
         "cells": [c.key for c in matrix.cells]}, indent=1, default=str) + "\n")
    summary = RunSummary(total=len(matrix.cells), skipped=len(matrix.cells) - len(todo))
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
            progress.cell_finished(cell, result)
            for w in registry.notify("seebench_cell_finished", cell=cell, result=result):
                progress.message(f"warning: {w}")

        get_executor(executor, **(executor_options or {})).run(todo, registry, run_dir, on_start, on_done, progress.step,
                                   lambda msg: progress.message(f"  {msg}"))
        for w in registry.notify("seebench_matrix_finished", results=results, run_dir=run_dir):
            progress.message(f"warning: {w}")
    summary.warnings = list(registry.warnings)
    return summary
