"""DDP inside one cell: run its pretraining in N local processes (gloo on CPU, NCCL on CUDA); rank 0 caches the encoder.

The parent hosts the rendezvous store and starts the ranks with torch.multiprocessing (spawn).
Each rank gets torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR/PORT), joins the
process group with `init_process_group` from that environment, rebuilds the cell's context from
the cell and the run directory, and calls `pretrained_encoder()`: the objective trains on its
share of every global batch, and rank 0 writes the encoder into the cache as a single process
would. The parent then loads the cached encoder and runs the evaluator once, in one process.
Rank 0's progress and log lines reach the parent's callbacks through a queue.
"""

from __future__ import annotations

import importlib
import os
import traceback
from pathlib import Path
from typing import Any

import torch

from seebench.api.errors import CellFailed, ConfigError
from seebench.run.threads import rank_threads

BACKENDS = {"cpu": "gloo", "cuda": "nccl"}


def check_processes(value: Any, option: str = "--procs-per-cell (matrix: procs_per_cell)") -> int:
    """The number of processes per cell as an int >= 1, or a one-line ConfigError naming `option`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
        raise ConfigError(f"{option} must be a whole number of processes >= 1, got {value!r}; "
                          f"use 1 for one process per cell")
    return int(value)


def in_process_group() -> bool:
    """True inside an initialised torch.distributed process group (a rank of ours or the user's torchrun)."""
    try:
        import torch.distributed as dist
    except ImportError:  # pragma: no cover
        return False
    return dist.is_available() and dist.is_initialized()


def cell_threads() -> int:
    """Torch threads working on the cell: this process's, times the ranks when inside a process group."""
    import torch

    threads = torch.get_num_threads()
    if in_process_group():
        import torch.distributed as dist

        threads *= dist.get_world_size()
    return threads


def is_main_rank() -> bool:
    """Rank 0 of the process group, or a process outside any group: the one that writes shared files."""
    if not in_process_group():
        return True
    import torch.distributed as dist

    return dist.get_rank() == 0


def _check_device(device: torch.device, n: int) -> None:
    import torch.distributed as dist

    if not dist.is_available():
        raise CellFailed(f"{n} processes per cell need torch.distributed, which this PyTorch build lacks; "
                         f"use --procs-per-cell 1")
    if device.type not in BACKENDS:
        raise CellFailed(f"DDP inside a cell runs on CPU (gloo) or CUDA (NCCL), not on {device.type}; "
                         f"set SEEBENCH_DEVICE=cpu or use --procs-per-cell 1")
    if device.type == "cuda" and torch.cuda.device_count() < n:
        raise CellFailed(f"--procs-per-cell {n} on CUDA needs {n} GPUs, this process sees {torch.cuda.device_count()}; "
                         f"lower --procs-per-cell or give each cell {n} GPUs (with Ray: --gpus-per-cell {n})")


def _registry_recipe(registry: Any) -> tuple[list[str], list[tuple[str, str]]]:
    """How a rank rebuilds the parent's registry: plugins disabled, and modules registered in-process."""
    block = [p.name for p in registry.plugins if p.status == "disabled"]
    extra = [(p.name, p.value) for p in registry.plugins if p.distribution == "(in-process)"]
    return block, extra


def pretrain_in_processes(ctx: Any, n: int) -> None:
    """Train `ctx`'s encoder with `n` ranks into the cache (CellFailed with rank's message on failure)."""
    import torch.distributed as dist
    import torch.multiprocessing as mp

    _check_device(ctx.device, n)
    if ctx.budget.batch_size < n:
        raise CellFailed(f"batch_size {ctx.budget.batch_size} cannot be shared by {n} processes; raise the budget's "
                         f"batch_size or lower --procs-per-cell")
    if ctx.cell.data is not None:
        ctx.data_component()  # fit a generator (a DCGAN) once, here: the ranks then read it from the cache
    block, extra = _registry_recipe(ctx.registry)
    # The cell's thread count (--threads) is in effect here: run_cell and the Ray tasks set it around the
    # whole cell (harness/run/threads.py), so the n ranks share it, at least one each.
    threads = rank_threads(torch.get_num_threads(), n, ctx.device.type)
    store = dist.TCPStore("127.0.0.1", 0, world_size=n, is_master=True, wait_for_workers=False)
    messages = mp.get_context("spawn").SimpleQueue()
    args = (n, ctx.cell.to_dict(), str(ctx.run_dir), block, extra, ctx.device.type, threads, store.port, messages)
    procs = mp.start_processes(_rank_main, args=args, nprocs=n, join=False, start_method="spawn")
    errors: list[tuple] = []

    def pump() -> None:
        while not messages.empty():
            kind, *rest = messages.get()
            if kind == "progress":
                ctx.progress(*rest)
            elif kind == "log":
                ctx.log(rest[0])
            else:
                errors.append(tuple(rest))

    try:
        while not procs.join(timeout=0.2):
            pump()
    except (mp.ProcessRaisedException, mp.ProcessExitedException) as exc:
        pump()
        if errors:
            rank, type_name, message, trace = next((e for e in errors if e[0] == exc.error_index), errors[0])
            text = message if type_name == "CellFailed" else f"{type_name}: {message}"
            raise CellFailed(f"DDP rank {rank} of {n}: {text}") from RuntimeError(trace)
        raise CellFailed(f"DDP rank {exc.error_index} of {n} failed: {str(exc).strip().splitlines()[-1]}") from exc
    except BaseException:
        for p in procs.processes:
            if p.is_alive():
                p.terminate()
        for p in procs.processes:
            p.join(timeout=10)
        raise
    finally:
        del store
    pump()


def _rank_main(rank: int, n: int, cell_dict: dict, run_dir: str, block: list[str], extra: list[tuple[str, str]],
               device_type: str, threads: int, port: int, messages: Any) -> None:
    """One rank: torchrun's environment, the process group, the cell's pretraining; errors reported to the parent."""
    import torch.distributed as dist

    from seebench.matrix.cell import Cell
    from seebench.run.context import CellContext
    from seebench.plugins.manager import load_registry

    os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(n), LOCAL_WORLD_SIZE=str(n),
                      GROUP_RANK="0", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
                      TORCHELASTIC_USE_AGENT_STORE="True")  # the parent hosts the store, as torchrun's agent does
    try:
        torch.set_num_threads(threads)
        device = torch.device(device_type, rank) if device_type == "cuda" else torch.device("cpu")
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(BACKENDS[device_type])
        try:
            registry = load_registry(block=block, extra=[(name, importlib.import_module(mod)) for name, mod in extra])
            main = rank == 0
            ctx = CellContext(Cell.from_dict(cell_dict), registry, Path(run_dir), device=device,
                              progress=(lambda *a: messages.put(("progress", *a))) if main else None,
                              log=(lambda line: messages.put(("log", line))) if main else None)
            ctx.pretrained_encoder()
        finally:
            dist.destroy_process_group()
    except BaseException as exc:
        messages.put(("error", rank, type(exc).__name__, str(exc), traceback.format_exc()))
        raise
