"""`--procs-per-cell N`: hand one cell's pretraining to the registered cell executor (the built-in `ddp` plugin)."""

from __future__ import annotations

from typing import Any

import torch

from seebench.api.components import EXECUTOR
from seebench.api.errors import CellFailed
from seebench.executors.select import CELL_SCOPE, scope_of
from seebench.run.threads import rank_threads

RANK_LAUNCHER = "ddp"  # the cell executor `--procs-per-cell` uses; a plugin replaces it under this name


def pretrain_in_ranks(ctx: Any, processes: int) -> None:
    """Train `ctx`'s encoder in `processes` processes into the cache, through the cell executor `ddp`.
    The cell's thread count (--threads) is in effect here (set around the whole cell), so the ranks share it."""
    comp = ctx.registry.find(EXECUTOR, RANK_LAUNCHER)
    if comp is None or scope_of(comp) != CELL_SCOPE:
        raise CellFailed(f"--procs-per-cell {processes} needs the cell executor '{RANK_LAUNCHER}' (plugin "
                         f"ddp-executor), which is not loaded; enable it or use --procs-per-cell 1")
    threads = rank_threads(torch.get_num_threads(), processes, ctx.device.type)
    comp.build(where="--procs-per-cell").pretrain(ctx, processes, threads)
