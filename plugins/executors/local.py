"""The local executor: the cells of a run on this machine, in this process or in `jobs` worker processes.

Written as a third-party executor would be: worker processes get the cell as a dict, the run folder
and the parent's RegistrySpec, and call seebench's public execute_cell. Cells that share an
intermediate (a pretrained encoder, a fitted generator) run after the first of them has made it, so
it is made once and read from the run folder's cache by the others.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from seebench import (EXECUTOR, GENERATOR, Cell, Component, Param, PluginError, content_key, execute_cell, hookimpl,
                      param_defaults, store_failed_cell)

THREADS = Param("threads", None, "torch intra-op threads each cell runs with (default: the cores shared by the "
                "jobs, at least 1; with one job torch's default, all cores); local and Ray runs give identical "
                "numbers only at the same thread count", type=int, nullable=True)
PROCS_PER_CELL = Param("procs_per_cell", 1, "pretrain each cell with N DDP processes on this machine (gloo on CPU, "
                       "NCCL on N GPUs); same result as one process at the same global batch", type=int)
JOBS = Param("jobs", 0, "cells run at once, each in its own worker process (0: one per core on a CPU, bounded by "
             "memory at 2 GiB a job; 1 on a GPU, with --procs-per-cell above 1, or for plugins a worker process "
             "cannot import); 1 runs the cells one after another in this process", type=int, minimum=0)
MAX_RESTARTS = 2  # worker pools rebuilt after a worker died (killed, out of memory) before its cells count as failed
GIB_PER_JOB = 2  # measured peak RSS of a quick cell's process: ~1.9 GB


def cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def memory_jobs() -> int:
    """Jobs the machine's memory holds at GIB_PER_JOB each (at least 1)."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return cores()
    return max(1, int(total // (GIB_PER_JOB * 2**30)))


def on_gpu() -> bool:
    """True when cells will run on a CUDA device (SEEBENCH_DEVICE, else torch's default)."""
    want = os.environ.get("SEEBENCH_DEVICE", "")
    if want:
        return want.startswith("cuda")
    import torch

    return torch.cuda.is_available()


# -- worker side ---------------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel kills this worker when the run's process dies (kill -9 included), so no orphan
    goes on computing a cell that nobody waits for; a parent that died before this point ends it now."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def _worker_start(threads: int, parent: int) -> None:
    """Pool initialiser: dies with the parent; numpy's BLAS and OpenMP pools sized like torch's, so jobs do
    not oversubscribe."""
    _die_with_parent(parent)
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the run stops the workers
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    try:
        from threadpoolctl import threadpool_limits

        _WORKER["limits"] = threadpool_limits(limits=threads)
    except ImportError:
        pass


def _worker_cell(cell_dict: dict, run_dir: str, registry_spec: Any, processes: int, threads: int) -> dict:
    """One cell in a worker; the registry and the memo of sources stay for the worker's next cells."""
    if _WORKER.get("spec") != registry_spec:
        _WORKER.update(spec=registry_spec, registry=registry_spec.load(), memo={})
    return execute_cell(Cell.from_dict(cell_dict), _WORKER["registry"], Path(run_dir), memo=_WORKER["memo"],
                        processes=processes, threads=threads)


# -- parent side ---------------------------------------------------------------------------------
def shared_groups(cells: list[Cell], registry: Any) -> list[list[Cell]]:
    """Cells joined by a shared intermediate (same pretrained encoder, or same fitted generator and seed),
    each group in run order: its first cell makes what the others then read from the cache."""
    parent: dict[int, int] = {}

    def find(i: int) -> int:
        while parent.setdefault(i, i) != i:
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    fits: dict[str, bool] = {}
    for i, cell in enumerate(cells):
        keys = []
        if cell.objective is not None:
            keys.append("pretrain:" + cell.pretrained_key)
        if cell.data is not None and cell.data.kind == GENERATOR:
            data_key = content_key(cell.data.identity())
            if data_key not in fits:
                comp = registry.get(GENERATOR, cell.data.name)
                fits[data_key] = hasattr(comp.factory(**dict(cell.data.params)), "fit")
            if fits[data_key]:
                keys.append("fit:" + content_key({"data": cell.data.identity(), "seed": cell.seed}))
        for k in keys:
            if k in owner:
                parent[find(i)] = find(owner[k])
            else:
                owner[k] = i
    groups: dict[int, list[Cell]] = {}
    for i, cell in enumerate(cells):
        groups.setdefault(find(i), []).append(cell)
    return list(groups.values())


@param_defaults((THREADS, PROCS_PER_CELL, JOBS))
class LocalExecutor:
    """`jobs` 1: cells in order, in this process; sources read once are kept for the next cells (execute_cell's
    memo). `jobs` > 1: that many worker processes (spawned), each with `threads` torch threads (default: the
    cores shared by the jobs); numbers equal one process's at the same thread count. `jobs` 0 chooses.
    `procs_per_cell` > 1: each cell's pretraining runs in that many DDP ranks on this machine."""

    def __init__(self, *, threads: int | None, procs_per_cell: int, jobs: int):
        self.threads, self.processes, self.jobs = threads, procs_per_cell, jobs

    def plan(self, n_cells: int, registry: Any) -> tuple[int, int | None, Any]:
        """(jobs, threads per cell, registry spec or None) for a run of n_cells."""
        spec = None
        if self.jobs == 1 or n_cells < 2:
            return 1, self.threads, None
        try:
            spec = registry.spec()
        except PluginError as exc:
            if self.jobs > 1:
                raise PluginError(f"--jobs {self.jobs}: {exc}; or run with --jobs 1") from None
            return 1, self.threads, None
        if self.jobs == 0:
            if self.processes > 1 or on_gpu():
                return 1, self.threads, None
            jobs = min(cores() // max(self.threads or 1, 1), memory_jobs())
        else:
            jobs = self.jobs
        jobs = max(1, min(jobs, n_cells))
        if jobs == 1:
            return 1, self.threads, None
        return jobs, self.threads or max(1, cores() // jobs), spec

    def run(self, cells, registry, run_dir, on_start, on_done, progress, log) -> None:
        cells = list(cells)
        jobs, threads, spec = self.plan(len(cells), registry)
        if jobs == 1:
            memo: dict = {}
            for cell in cells:
                on_start(cell)
                on_done(cell, execute_cell(cell, registry, run_dir, memo=memo, progress=progress, log=log,
                                           processes=self.processes, threads=threads))
            return
        log(f"local: {len(cells)} cell(s) in {jobs} worker processes, {threads} torch thread(s) per cell")
        self._run_pool(cells, registry, str(Path(run_dir).resolve()), spec, jobs, threads, on_start, on_done)

    def _run_pool(self, cells, registry, run_dir, spec, jobs, threads, on_start, on_done) -> None:
        # a group's first cell goes first; the rest follow once it is done (they read its intermediates)
        groups = shared_groups(cells, registry)
        waiting = {id(g[0]): g[1:] for g in groups}
        ready = [g[0] for g in groups]
        started: set[str] = set()
        restarts = 0
        while ready:
            pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_worker_start, initargs=(threads, os.getpid()))
            running: dict[Any, Cell] = {}
            broken = False
            try:
                while (ready or running) and not broken:
                    while ready and len(running) < 2 * jobs:  # a few queued, so no worker idles
                        cell = ready.pop(0)
                        if cell.key not in started:
                            on_start(cell)
                            started.add(cell.key)
                        running[pool.submit(_worker_cell, cell.to_dict(), run_dir, spec, self.processes,
                                            threads)] = cell
                    done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                    for fut in done:
                        cell = running.pop(fut)
                        try:
                            result = fut.result()
                        except BrokenProcessPool:  # a worker died (killed, out of memory): the pool is gone
                            broken = True
                            ready.insert(0, cell)
                            continue
                        on_done(cell, result)
                        ready.extend(waiting.pop(id(cell), []))
                if broken:  # what was queued or running goes again, in a new pool
                    ready[:0] = list(running.values())
            except KeyboardInterrupt:
                for proc in list((getattr(pool, "_processes", None) or {}).values()):
                    proc.kill()
                raise
            finally:
                pool.shutdown(wait=not broken, cancel_futures=True)
            if broken:
                restarts += 1
                if restarts > MAX_RESTARTS:
                    left = ready + [c for followers in waiting.values() for c in followers]
                    for cell in left:
                        on_done(cell, store_failed_cell(
                            cell, registry, Path(run_dir), "WorkerDied",
                            f"a local worker process died {restarts} times (killed, or out of memory) while this "
                            f"cell was queued or running; run again (finished cells are kept), or with --jobs 1"))
                    return


@hookimpl
def seebench_register_executors():
    return [Component(kind=EXECUTOR, name="local", factory=LocalExecutor,
                      description="the cells on this machine: one after another in this process, or in parallel "
                                  "worker processes (--jobs)",
                      params=(THREADS, PROCS_PER_CELL, JOBS))]
