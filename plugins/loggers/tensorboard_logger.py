"""Optional plugin `tensorboard`: every cell's training curves (hook seebench_step) as TensorBoard event files.

Active when TensorBoard is installed (`pip install 'seebench[tensorboard]'`); otherwise it does nothing.
Events go to RUN_DIR/tensorboard/<row>/<objective>-seed<S>-<key> (or under $SEEBENCH_TENSORBOARD_DIR), one
run per cell, flushed at every step so that nothing is lost when a Ray worker or a DDP rank exits; watch them
with `tensorboard --logdir RUN_DIR/tensorboard`. Disable with --disable-plugin tensorboard.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import Any

from seebench import hookimpl

ENV_DIR = "SEEBENCH_TENSORBOARD_DIR"
_writers: dict[str, Any] = {}  # cell key -> SummaryWriter of this process


def available() -> bool:
    return importlib.util.find_spec("tensorboard") is not None


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text).strip("_") or "cell"


def log_dir(cell: Any, run_dir: Path | str) -> Path:
    """Where a cell's events go."""
    root = Path(os.environ.get(ENV_DIR) or Path(run_dir) / "tensorboard")
    objective = (cell.objective.label or cell.objective.name) if cell.objective is not None else "no-objective"
    return root / _safe(cell.row or "cell") / f"{_safe(objective)}-seed{cell.seed}-{cell.key}"


def _writer(cell: Any, run_dir: Path | str) -> Any:
    if cell.key not in _writers:
        from torch.utils.tensorboard import SummaryWriter

        _writers[cell.key] = SummaryWriter(log_dir=str(log_dir(cell, run_dir)))
    return _writers[cell.key]


@hookimpl
def seebench_step(cell, step, metrics, run_dir):
    if not available():
        return
    writer = _writer(cell, run_dir)
    for name, value in metrics.items():
        writer.add_scalar(name, value, global_step=step)
    writer.flush()  # ~50 µs: a worker that exits without closing loses nothing


@hookimpl
def seebench_cell_finished(cell, result):
    writer = _writers.pop(getattr(cell, "key", None), None)  # a cell that never streamed has no writer
    if writer is not None:
        writer.close()
