"""The Ray executor: every cell a Ray task; shared intermediates are tasks the cells depend on.

Written as a third-party executor would be: workers get the cell as a dict, the run folder and the
parent's RegistrySpec, and call seebench's public execute_cell / precompute. Ray is imported only when a
run starts, so the plugin loads (and `seebench plugins` lists it) without Ray installed.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from typing import Any

from seebench import (EXECUTOR, GENERATOR, Cell, Component, ConfigError, Param, content_key, execute_cell, hookimpl, param_defaults,
                      precompute, store_failed_cell)

ENV_VARS = ("SEEBENCH_PLUGINS", "SEEBENCH_DISABLE_PLUGINS", "SEEBENCH_DEVICE")


def _ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("the ray executor needs Ray: pip install 'seebench[ray]' (or pip install ray), "
                          "or run with --executor local") from None
    return ray


def threads_for_cpus(cpus_per_cell: float | None) -> int:
    """A Ray cell's default thread count: its CPUs rounded down, at least 1."""
    return max(1, int(cpus_per_cell or 1))


def seebench_prepare(cell_dict: dict, run_dir: str, registry_spec: Any, what: str, processes: int, threads: int,
                     *deps: Any) -> str:
    """Compute a shared intermediate (a fitted generator, a pretrained encoder) into the disk cache, with the
    cells' thread count. Errors are returned, not raised: the cells then hit them again and record them properly."""
    try:
        precompute(Cell.from_dict(cell_dict), registry_spec.load(), Path(run_dir), what, processes, threads)
        return ""
    except Exception as exc:  # noqa: BLE001 - reported by the cells that need it
        return f"{type(exc).__name__}: {exc}"


def seebench_cell(cell_dict: dict, run_dir: str, registry_spec: Any, processes: int, threads: int, *deps: Any) -> dict:
    return execute_cell(Cell.from_dict(cell_dict), registry_spec.load(), Path(run_dir), processes=processes,
                        threads=threads)


class RayExecutor:
    """Options: address (None starts a local Ray instance; 'auto' or 'ray://host:port' joins a cluster),
    cpus_per_cell (default: one per process), gpus_per_cell, procs_per_cell (DDP ranks per cell; default
    gpus_per_cell when that is above 1, else 1), threads (torch intra-op threads per cell, set in the worker;
    default cpus_per_cell rounded down, at least 1), num_cpus (size of a local instance), max_retries (per
    cell, for workers that die; a cell that raises is recorded as failed, not retried)."""

    def __init__(self, *, address: str | None, cpus_per_cell: float | None, gpus_per_cell: float,
                 num_cpus: int | None, max_retries: int, procs_per_cell: int | None, threads: int | None):
        if gpus_per_cell > 1 and gpus_per_cell != int(gpus_per_cell):
            raise ConfigError(f"--gpus-per-cell above 1 starts that many DDP ranks per cell and must be a whole "
                              f"number, got {gpus_per_cell}")
        self.processes = procs_per_cell if procs_per_cell is not None else (
            int(gpus_per_cell) if gpus_per_cell > 1 else 1)
        if gpus_per_cell > 1 and int(gpus_per_cell) != self.processes:
            raise ConfigError(f"--gpus-per-cell {gpus_per_cell:g} means {gpus_per_cell:g} DDP ranks per cell, but "
                              f"--procs-per-cell is {self.processes}; give the same number or leave one out")
        self.address, self.num_cpus, self.max_retries = address, num_cpus, max_retries
        self.cpus_per_cell = cpus_per_cell if cpus_per_cell is not None else self.processes
        self.threads = threads or threads_for_cpus(self.cpus_per_cell)
        self.gpus_per_cell = gpus_per_cell

    def _init(self, ray) -> None:
        if ray.is_initialized():
            return
        env = {k: os.environ[k] for k in ENV_VARS if k in os.environ}
        kwargs: dict[str, Any] = {"runtime_env": {"env_vars": env}} if env else {}
        if self.address:
            ray.init(address=self.address, **kwargs)
        else:
            ray.init(num_cpus=self.num_cpus or os.cpu_count(), include_dashboard=False, **kwargs)

    def _needs_fit(self, cell: Cell, registry: Any, seen: dict) -> bool:
        if cell.data is None or cell.data.kind != GENERATOR:
            return False
        key = content_key(cell.data.identity())
        if key not in seen:
            comp = registry.get(GENERATOR, cell.data.name)
            seen[key] = hasattr(comp.factory(**dict(cell.data.params)), "fit")
        return seen[key]

    def run(self, cells, registry, run_dir, on_start, on_done, progress, log) -> None:
        ray = _ray()
        self._init(ray)
        run_dir = str(Path(run_dir).resolve())
        spec = registry.spec()  # every worker builds the parent's registry: allow, block, in-process plugins
        resources = {"num_cpus": self.cpus_per_cell, "num_gpus": self.gpus_per_cell}
        prepare = ray.remote(seebench_prepare).options(max_retries=self.max_retries, **resources)
        run = ray.remote(seebench_cell).options(max_retries=self.max_retries, **resources)

        # Shared intermediates become tasks of their own when two or more cells need them.
        fit_groups: dict[str, list[Cell]] = defaultdict(list)
        train_groups: dict[str, list[Cell]] = defaultdict(list)
        fit_seen: dict = {}
        for cell in cells:
            if self._needs_fit(cell, registry, fit_seen):
                fit_groups[content_key({"data": cell.data.identity(), "seed": cell.seed})].append(cell)
            if cell.objective is not None:
                train_groups[cell.pretrained_key].append(cell)
        fit_refs = {k: prepare.remote(g[0].to_dict(), run_dir, spec, "fit", 1, self.threads)
                    for k, g in fit_groups.items() if len(g) > 1 or any(len(train_groups[c.pretrained_key]) > 1 for c in g)}
        train_refs = {}
        for key, group in train_groups.items():
            if len(group) > 1:
                first = group[0]
                deps = [fit_refs[k] for k in fit_refs if first.data is not None and
                        k == content_key({"data": first.data.identity(), "seed": first.seed})]
                train_refs[key] = prepare.remote(first.to_dict(), run_dir, spec, "pretrain", self.processes,
                                                 self.threads, *deps)

        pending: dict[Any, Cell] = {}
        for cell in cells:
            deps = []
            if cell.objective is not None and cell.pretrained_key in train_refs:
                deps.append(train_refs[cell.pretrained_key])
            elif cell.data is not None:
                fk = content_key({"data": cell.data.identity(), "seed": cell.seed})
                if fk in fit_refs:
                    deps.append(fit_refs[fk])
            on_start(cell)
            pending[run.remote(cell.to_dict(), run_dir, spec, self.processes, self.threads, *deps)] = cell
        log(f"ray: {len(pending)} cell task(s), {len(train_refs)} shared pretraining and {len(fit_refs)} "
            f"shared fit task(s) on {ray.cluster_resources().get('CPU', 0):.0f} CPU(s), "
            f"{self.threads} torch thread(s) per cell")
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
                for ref in done:
                    cell = pending.pop(ref)
                    try:
                        result = ray.get(ref)
                    except Exception as exc:  # the worker died more often than max_retries allows
                        result = store_failed_cell(cell, registry, Path(run_dir), type(exc).__name__,
                                                   f"the Ray task of this cell failed after {self.max_retries} "
                                                   f"retries: {exc}")
                    on_done(cell, result)
        except KeyboardInterrupt:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise


OPTIONAL_INT = {"type": int, "nullable": True}
PARAMS = (
    Param("address", None, "'auto' or ray://host:port of a running cluster (default: start a local Ray instance)",
          type=str, nullable=True),
    Param("cpus_per_cell", None, "CPUs each cell task asks for (default: one per DDP process, so 1 without "
          "--procs-per-cell)", type=float, nullable=True, minimum=0.0),
    Param("gpus_per_cell", 0.0, "GPUs each cell task asks for (1 when cells should run on CUDA; N > 1 pretrains "
          "with N DDP ranks)", minimum=0.0),
    Param("num_cpus", None, "CPUs of a local Ray instance (default: all of this machine's)", minimum=1,
          **OPTIONAL_INT),
    Param("max_retries", 2, "times a cell task is retried when its worker dies", minimum=0),
    Param("procs_per_cell", None, "pretrain each cell with N DDP ranks (default: --gpus-per-cell when above 1, "
          "else 1)", **OPTIONAL_INT),
    Param("threads", None, "torch intra-op threads each cell runs with (default: --cpus-per-cell rounded down, "
          "at least 1)", **OPTIONAL_INT),
)


RayExecutor = param_defaults(PARAMS)(RayExecutor)  # defaults written once, in PARAMS


@hookimpl
def seebench_register_executors():
    return [Component(kind=EXECUTOR, name="ray", factory=RayExecutor, params=PARAMS,
                      description="every cell a Ray task on a local instance or a cluster (pip install 'seebench[ray]')")]
