"""Progress: plain lines without escape codes off a terminal, a live rich display on one."""

import io

from seebench.api.budget import Budget
from seebench.matrix.cell import Cell, ComponentRef
from seebench.run.progress import MatrixProgress

CELL = Cell(evaluator=ComponentRef("evaluator", "knn", {}, "knn"), data=None, encoder=None, objective=None,
            seed=0, budget=Budget(), row="random-init")
OK = {"status": "ok", "wall_time_s": 2.5, "metrics": {"top1": 61.234}}
FAILED = {"status": "failed", "error": {"type": "CellFailed", "message": "loss is NaN at step 7"}}


def test_quiet_plain_lines_when_not_a_terminal():
    stream = io.StringIO()
    with MatrixProgress(total=2, skipped=1, stream=stream) as progress:
        progress.cell_started(CELL)
        for i in range(100):
            progress.step(i, 100, "pretrain")
        progress.cell_finished(CELL, OK)
        progress.cell_finished(CELL, FAILED)
    lines = stream.getvalue().splitlines()
    assert lines == [
        "1 cell(s) already finished, skipped (use --force to rerun)",
        "[1/2] random-init | - | - | knn | seed 0 | default: ok in 2.5s: top1=61.23",
        "[2/2] random-init | - | - | knn | seed 0 | default: FAILED (CellFailed: loss is NaN at step 7)",
    ]
    assert "\x1b[" not in stream.getvalue()


def test_live_display_on_a_terminal_shows_cells_and_eta():
    stream = io.StringIO()
    with MatrixProgress(total=3, stream=stream, live=True) as progress:
        progress.console.force_terminal = True
        progress.cell_started(CELL)
        progress.step(5, 10, "pretrain")
        progress.cell_finished(CELL, OK)
    out = stream.getvalue()
    assert "cells" in out and "1/3" in out and "eta" in out
