"""Run one cell: build the evaluator, let it pull what it needs, and turn the outcome into a result."""

from __future__ import annotations

import math
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from seebench.results import environment
from seebench.matrix.cell import Cell
from seebench.api.components import EVALUATOR
from seebench.run.context import CellContext
from seebench.api.errors import CellFailed
from seebench.results.schema import SCHEMA_VERSION
from seebench.run.threads import cell_threads, rank_threads
from seebench.results.validate import result_problem


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _clean_metrics(metrics: Any, evaluator: str) -> dict[str, float | None]:
    if not isinstance(metrics, dict) or not metrics:
        raise TypeError(f"evaluator '{evaluator}' must return a non-empty dict of metric -> number, got {metrics!r}")
    out: dict[str, float | None] = {}
    for name, value in metrics.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"evaluator '{evaluator}' returned metric {name!r} = {value!r}, not a number") from None
        out[str(name)] = number if math.isfinite(number) else None
    return out


def run_cell(cell: Cell, registry: Any, run_dir: Path, memo: dict | None = None,
             progress: Callable[[int, int, str], None] | None = None,
             log: Callable[[str], None] | None = None, device: Any = None, processes: int = 1,
             threads: int | None = None) -> dict[str, Any]:
    """Run `cell` and return its result dict (status 'ok' or 'failed'); never raises for cell errors.
    `processes` > 1 pretrains in that many DDP ranks (the cell executor `ddp`); the evaluator runs once, here.
    `threads`: torch intra-op threads for the whole cell (None: as they are), restored afterwards; the
    result's hardware.torch_threads is the count the cell ran with."""
    with cell_threads(threads):
        return _run_cell(cell, registry, run_dir, memo, progress, log, device, processes)


def _run_cell(cell: Cell, registry: Any, run_dir: Path, memo: dict | None, progress: Any, log: Any, device: Any,
              processes: int) -> dict[str, Any]:
    started = _now()
    t0 = time.perf_counter()
    ctx = CellContext(cell, registry, run_dir, device=device, progress=progress, log=log, memo=memo,
                      processes=processes)
    metrics: dict[str, float | None] = {}
    error = None
    evaluator_comp = None
    try:
        evaluator_comp = registry.get(EVALUATOR, cell.evaluator.name)
        evaluator = ctx.build_ref(cell.evaluator)
        metrics = _clean_metrics(evaluator.evaluate(ctx), cell.evaluator.name)
    except CellFailed as exc:
        error = {"type": "CellFailed", "message": str(exc), "traceback": traceback.format_exc()}
    except Exception as exc:  # record and go on: one broken cell must not stop the matrix
        error = {"type": type(exc).__name__, "message": str(exc), "traceback": traceback.format_exc()}

    result = make_result(cell, registry, metrics, error, started, time.perf_counter() - t0, ctx.timings,
                         str(ctx.device), evaluator_comp)
    invalid = result_problem(result) if error is None else None
    if invalid:  # e.g. a top-1 of 150 %: recorded as a failure, never as a result that would be rejected on reading
        result["status"], result["metrics"], result["error"] = "failed", {}, {
            "type": "InvalidResult", "message": f"evaluator '{cell.evaluator.name}': {invalid}", "traceback": ""}
    result["artifacts"] = dict(ctx.artifacts)
    if ctx.curves.names():  # losses of the pretraining / GAN fit behind this result (harness/run/curves.py)
        result["curves"] = ctx.curves.to_dict()
    if ctx.repairs:  # damaged cache files this cell set aside and recomputed
        result["repaired"] = list(ctx.repairs)
    if ctx.pretrain_threads is not None:  # a cached encoder may come from a run at another thread count
        result["hardware"]["pretrain_threads"] = ctx.pretrain_threads
    if processes > 1:
        result["hardware"]["processes"] = processes
        result["hardware"]["threads_per_process"] = rank_threads(result["hardware"]["torch_threads"], processes,
                                                                 ctx.device.type)
    return result


def make_result(cell: Cell, registry: Any, metrics: dict[str, float | None], error: dict | None, started: str,
                wall_time_s: float, timings: dict[str, float] | None = None, device: str = "cpu",
                evaluator_comp: Any = None) -> dict[str, Any]:
    """The result record of a cell (schema in harness/results/schema.py)."""
    data_comp = None
    if cell.data is not None:
        data_comp = registry.find("generator", cell.data.name) or registry.find("source", cell.data.name)
    if evaluator_comp is None:
        evaluator_comp = registry.find(EVALUATOR, cell.evaluator.name)
    return {
        "schema_version": SCHEMA_VERSION,
        "key": cell.key,
        "status": "failed" if error else "ok",
        "cell": cell.to_dict(),
        "row": cell.row,
        "role": cell.role,
        "metrics": metrics,
        "metric_info": dict(evaluator_comp.metadata.get("metrics", {})) if evaluator_comp else {},
        "table": str(evaluator_comp.metadata.get("table", "main")) if evaluator_comp else "main",
        "reference": data_comp.reference_numbers() if data_comp is not None else {},
        "seed": cell.seed,
        "versions": environment.versions(registry.plugins),
        "hardware": {**environment.hardware(), "device": device},
        "wall_time_s": round(wall_time_s, 3),
        "timings": {k: round(v, 3) for k, v in (timings or {}).items()},
        "started": started,
        "finished": _now(),
        "git_commit": environment.git_commit(),
        "error": error,
    }


def failed_result(cell: Cell, registry: Any, error_type: str, message: str) -> dict[str, Any]:
    """A failed result for a cell that never reported back (e.g. its worker kept dying)."""
    return make_result(cell, registry, {}, {"type": error_type, "message": message, "traceback": ""}, _now(), 0.0)
