"""Progress of a matrix: a rich live display on a terminal, one plain line per cell otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from seebench.matrix.cell import Cell


def _summary(result: dict[str, Any]) -> str:
    if result["status"] != "ok":
        return f"FAILED ({result['error']['type']}: {result['error']['message'][:160]})"
    shown = ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in result["metrics"].items())
    return f"ok in {result['wall_time_s']:.1f}s: {shown}"


class MatrixProgress:
    """Use as a context manager; `step` is the callback handed to cells (done, total, what)."""

    def __init__(self, total: int, skipped: int = 0, stream: TextIO | None = None, live: bool | None = None):
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() if live is None else live
        self.total, self.skipped, self.done = total, skipped, 0
        self.console = Console(file=self.stream)
        self._progress: Progress | None = None
        self._overall = self._current = None
        self._last_step = 0.0

    def __enter__(self) -> "MatrixProgress":
        if self.live:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=self.console,
                transient=False,
            )
            self._progress.start()
            self._overall = self._progress.add_task("cells", total=self.total)
            self._current = self._progress.add_task("", total=1, visible=False)
        if self.skipped:
            self.message(f"{self.skipped} cell(s) already finished, skipped (use --force to rerun)")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._progress is not None:
            self._progress.stop()

    def message(self, text: str) -> None:
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
        else:
            print(text, file=self.stream, flush=True)

    def cell_started(self, cell: Cell) -> None:
        if self._progress is not None:
            self._progress.update(self._current, description=cell.short()[:70], completed=0, total=1, visible=True)

    def step(self, done: int, total: int, what: str = "") -> None:
        if self._progress is None:
            return
        now = time.monotonic()
        if now - self._last_step < 0.1 and done < total:  # keep redraws cheap inside hot loops
            return
        self._last_step = now
        self._progress.update(self._current, completed=done, total=max(total, 1),
                              description=(what or "step")[:70])

    def cell_finished(self, cell: Cell, result: dict[str, Any]) -> None:
        self.done += 1
        self.message(f"[{self.done}/{self.total}] {cell.short()}: {_summary(result)}")
        if self._progress is not None:
            self._progress.update(self._overall, completed=self.done)
            self._progress.update(self._current, visible=False)
