"""DDP inside one cell: its pretraining in N local processes (gloo on CPU, NCCL on CUDA); rank 0 caches the encoder.

A cell executor (metadata scope "cell"): `--procs-per-cell N` hands each cell's pretraining to it. The
parent hosts the rendezvous store and starts the ranks with torch.multiprocessing (spawn). Each rank gets
torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR/PORT), joins the process group with
`init_process_group` from that environment, rebuilds the cell's context from the cell, the run directory
and the parent's RegistrySpec, and calls `pretrained_encoder()`: the objective trains on its share of every
global batch, and rank 0 writes the encoder into the cache as a single process would. The parent then
loads the cached encoder and runs the evaluator once, in one process. Rank 0's progress and log lines
reach the parent's callbacks through a queue. Only seebench's public API is used.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Any

import torch

from seebench import EXECUTOR, Cell, CellContext, CellFailed, Component, hookimpl

BACKENDS = {"cpu": "gloo", "cuda": "nccl"}


def check_device(device: torch.device, n: int) -> None:
    """CellFailed with what to change unless `n` ranks can run on `device` (gloo on CPU, NCCL on n GPUs)."""
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


class DDPLauncher:
    """`pretrain(ctx, processes, threads)`: train `ctx`'s encoder in `processes` ranks of `threads` torch threads
    each into the cache (CellFailed with the failing rank's message)."""

    def pretrain(self, ctx: Any, n: int, threads: int) -> None:
        import torch.distributed as dist
        import torch.multiprocessing as mp

        check_device(ctx.device, n)
        if ctx.budget.batch_size < n:
            raise CellFailed(f"batch_size {ctx.budget.batch_size} cannot be shared by {n} processes; raise the "
                             f"budget's batch_size or lower --procs-per-cell")
        if ctx.cell.data is not None:
            ctx.data_component()  # fit a generator (a DCGAN) once, here: the ranks then read it from the cache
        spec = ctx.registry.spec()  # every rank builds the parent's registry (allow, block, in-process plugins)
        store = dist.TCPStore("127.0.0.1", 0, world_size=n, is_master=True, wait_for_workers=False)
        messages = mp.get_context("spawn").SimpleQueue()
        args = (n, ctx.cell.to_dict(), str(ctx.run_dir), spec, ctx.device.type, threads, store.port, messages)
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


def _rank_main(rank: int, n: int, cell_dict: dict, run_dir: str, registry_spec: Any, device_type: str, threads: int,
               port: int, messages: Any) -> None:
    """One rank: torchrun's environment, the process group, the cell's pretraining; errors reported to the parent."""
    import torch.distributed as dist

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
            main = rank == 0
            ctx = CellContext(Cell.from_dict(cell_dict), registry_spec.load(), Path(run_dir), device=device,
                              progress=(lambda *a: messages.put(("progress", *a))) if main else None,
                              log=(lambda line: messages.put(("log", line))) if main else None)
            ctx.pretrained_encoder()  # inside the process group: trains here, on this rank's share
            # every rank past its last collective before any rank tears its gloo pairs down: a full test run
            # here once saw rank 1 abort at teardown ("terminate called without an active exception");
            # synchronising before destroy_process_group is the usual remedy (mosaicml/streaming#186)
            dist.barrier()
        finally:
            dist.destroy_process_group()
    except BaseException as exc:
        messages.put(("error", rank, type(exc).__name__, str(exc), traceback.format_exc()))
        raise


@hookimpl
def seebench_register_executors():
    return [Component(kind=EXECUTOR, name="ddp", factory=DDPLauncher, metadata={"scope": "cell"},
                      description="one cell's pretraining in N processes on this machine (--procs-per-cell N)")]
