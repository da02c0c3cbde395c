"""Executors run a list of cells; the local one runs them in this process, one after another."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

from seebench.matrix.cell import Cell
from seebench.run.cell_runner import run_cell
from seebench.results.store import ResultStore

CellDone = Callable[[Cell, dict[str, Any]], None]


def execute_cell(cell: Cell, registry: Any, run_dir: Path, memo: dict | None = None,
                 progress: Callable[[int, int, str], None] | None = None,
                 log: Callable[[str], None] | None = None, processes: int = 1,
                 threads: int | None = None) -> dict[str, Any]:
    """Run one cell (with `threads` torch threads; None: as they are) and store its result atomically
    before returning it (so a crash after this point loses nothing, and a crash before it leaves no file at all)."""
    result = run_cell(cell, registry, run_dir, memo=memo, progress=progress, log=log, processes=processes,
                      threads=threads)
    ResultStore(run_dir).write(result)
    return result


class Executor(Protocol):
    def run(self, cells: Iterable[Cell], registry: Any, run_dir: Path, on_start: Callable[[Cell], None],
            on_done: CellDone, progress: Callable[[int, int, str], None], log: Callable[[str], None]) -> None: ...


class LocalExecutor:
    """Cells in order, in-process; intermediates (sources, encoders) shared through one memo.
    `processes` > 1: each cell's pretraining runs in that many DDP ranks on this machine.
    `threads`: torch intra-op threads per cell (None: torch's default, all cores), restored after each."""

    name = "local"

    def __init__(self, processes: int = 1, threads: int | None = None):
        from seebench.executors.ddp import check_processes
        from seebench.run.threads import check_threads

        self.processes = check_processes(processes)
        self.threads = check_threads(threads)

    def run(self, cells, registry, run_dir, on_start, on_done, progress, log) -> None:
        memo: dict = {}
        for cell in cells:
            on_start(cell)
            on_done(cell, execute_cell(cell, registry, run_dir, memo, progress, log, self.processes, self.threads))
            # Keep sources (cheap to hold, costly to read); drop models and data objects between cells.
            for key in [k for k in memo if k[0] != "source"]:
                del memo[key]


def _ray_executor(**options: Any) -> Executor:
    from seebench.executors.ray_executor import RayExecutor  # Ray is optional: imported only when asked for

    return RayExecutor(**options)


def _local_executor(processes: int = 1, threads: int | None = None, **_: Any) -> Executor:
    return LocalExecutor(processes, threads)


EXECUTORS: dict[str, Callable[..., Executor]] = {"local": _local_executor, "ray": _ray_executor}


def get_executor(name: str, **options: Any) -> Executor:
    from seebench.api.errors import ConfigError

    if name not in EXECUTORS:
        raise ConfigError(f"unknown executor '{name}'; available: {', '.join(EXECUTORS)}")
    return EXECUTORS[name](**{k: v for k, v in options.items() if v is not None})
