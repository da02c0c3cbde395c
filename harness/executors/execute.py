"""What an executor calls (public API, docs/plugin-api.md "Executors"): run and store a cell, store a lost one, precompute."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

from seebench.matrix.cell import Cell
from seebench.results.store import ResultStore
from seebench.run.cell_runner import failed_result, run_cell
from seebench.run.context import CellContext
from seebench.run.threads import cell_threads

CellDone = Callable[[Cell, dict[str, Any]], None]
Progress = Callable[[int, int, str], None]


class Executor(Protocol):
    """What an executor component's factory returns: `run` the cells, calling `on_start`/`on_done` around each."""

    def run(self, cells: Iterable[Cell], registry: Any, run_dir: Path, on_start: Callable[[Cell], None],
            on_done: CellDone, progress: Progress, log: Callable[[str], None]) -> None: ...


def execute_cell(cell: Cell, registry: Any, run_dir: Path, memo: dict | None = None, progress: Progress | None = None,
                 log: Callable[[str], None] | None = None, processes: int = 1,
                 threads: int | None = None) -> dict[str, Any]:
    """Run one cell (with `threads` torch threads; None: as they are) and store its result atomically before
    returning it: a crash after this point loses nothing, a crash before it leaves no file at all. Never raises
    for an error inside the cell (the result says 'failed'). `memo`: one dict shared by consecutive cells of one
    process; sources (costly to read, cheap to hold) stay in it, models and data objects are dropped after the cell."""
    result = run_cell(cell, registry, Path(run_dir), memo=memo, progress=progress, log=log, processes=processes,
                      threads=threads)
    ResultStore(Path(run_dir)).write(result)
    if memo is not None:
        for key in [k for k in memo if k[0] != "source"]:
            del memo[key]
    return result


def store_failed_cell(cell: Cell, registry: Any, run_dir: Path, error_type: str, message: str) -> dict[str, Any]:
    """Store and return a failed result for a cell that never reported back (its worker died); a re-run retries it."""
    result = failed_result(cell, registry, error_type, message)
    ResultStore(Path(run_dir)).write(result)
    return result


def precompute(cell: Cell, registry: Any, run_dir: Path, what: str, processes: int = 1,
               threads: int | None = None) -> None:
    """Compute a cell's shared intermediate into the run folder's cache, with the cell's thread count:
    `what="fit"` fits its generator (a DCGAN), `"pretrain"` pretrains its encoder (in `processes` ranks).
    The cells that share it (same data and seed; same `cell.pretrained_key`) then read it from the cache."""
    if what not in ("fit", "pretrain"):
        raise ValueError(f"precompute: what must be 'fit' or 'pretrain', got {what!r}")
    with cell_threads(threads):
        ctx = CellContext(cell, registry, Path(run_dir), processes=processes)
        if what == "fit":
            ctx.data_component()
        else:
            ctx.pretrained_encoder()
