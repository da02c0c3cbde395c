"""The local executor: the cells one after another in this process, intermediates shared through one memo."""

from __future__ import annotations

from seebench import EXECUTOR, Component, Param, execute_cell, hookimpl, param_defaults

THREADS = Param("threads", None, "torch intra-op threads each cell runs with (default: torch's default, all cores); "
                "local and Ray runs give identical numbers only at the same thread count", type=int, nullable=True)
PROCS_PER_CELL = Param("procs_per_cell", 1, "pretrain each cell with N DDP processes on this machine (gloo on CPU, "
                       "NCCL on N GPUs); same result as one process at the same global batch", type=int)


@param_defaults((THREADS, PROCS_PER_CELL))
class LocalExecutor:
    """Cells in order, in this process; sources read once are kept for the next cells (execute_cell's memo).
    `procs_per_cell` > 1: each cell's pretraining runs in that many DDP ranks on this machine.
    `threads`: torch intra-op threads per cell (None: torch's default, all cores), restored after each."""

    def __init__(self, *, threads: int | None, procs_per_cell: int):
        self.threads, self.processes = threads, procs_per_cell

    def run(self, cells, registry, run_dir, on_start, on_done, progress, log) -> None:
        memo: dict = {}
        for cell in cells:
            on_start(cell)
            on_done(cell, execute_cell(cell, registry, run_dir, memo=memo, progress=progress, log=log,
                                       processes=self.processes, threads=self.threads))


@hookimpl
def seebench_register_executors():
    return [Component(kind=EXECUTOR, name="local", factory=LocalExecutor,
                      description="the cells one after another in this process (the default)",
                      params=(THREADS, PROCS_PER_CELL))]
