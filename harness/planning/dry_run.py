"""`seebench run --dry-run`: the cells, the pretraining plan and a rough cost, nothing run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tabulate import tabulate

from seebench.run import preflight
from seebench.planning.estimate import ASSUMED_GPU_FLOPS, DEFAULT_PASSES, duration, estimate_cells, pretrain_plans
from seebench.results.store import ResultStore


def _count(n: float) -> str:
    return f"{n:,.0f}"


def _plan_table(plans) -> tuple[str, dict[str, float]]:
    rows = []
    totals = {"rendered": 0.0, "steps": 0.0, "render_s": 0.0, "train_s": 0.0, "gpu_s": 0.0, "unrendered": 0,
              "assumed": 0}
    for p in plans:
        n = len(p.seeds)
        c = p.cell
        render = "-"
        if p.rendered:
            render = f"~{duration(p.render_s)} ({p.render_rate:,.1f} img/s)" if p.render_s else "unknown (fitted first)"
        rows.append([c.row, c.encoder.label, c.objective.label, c.budget.name, n,
                     _count(p.distinct_images) + ("*" if p.distinct_assumed else ""),
                     f"{c.budget.image_size}/{p.crop}", _count(p.images_seen), _count(p.rendered), _count(p.steps),
                     f"{p.flops_per_image / 1e9:.2f}", render, f"~{duration(p.train_s)}", f"~{duration(p.gpu_s)}"])
        totals["rendered"] += n * p.rendered
        totals["steps"] += n * p.steps
        totals["render_s"] += n * (p.render_s or 0.0)
        totals["unrendered"] += int(bool(p.rendered and not p.render_s))
        totals["assumed"] += int(p.distinct_assumed)
        totals["train_s"] += n * p.train_s
        totals["gpu_s"] += n * p.gpu_s
    table = tabulate(rows, headers=["data", "encoder", "objective", "budget", "seeds", "distinct", "size/crop",
                                    "images seen", "rendered", "steps", "GFLOP/img", "render (1 core)",
                                    "train here", "train 1 GPU"],
                     tablefmt="simple", disable_numparse=True)
    return table, totals


def render(matrix: Any, registry: Any, run_dir: Path, force: bool) -> str:
    store = ResultStore(run_dir)
    cache: dict = {}
    plans = pretrain_plans(matrix.cells, registry, cache)
    estimates = estimate_cells(matrix.cells, registry, run_dir, cache)
    rows, total = [], 0.0
    for cell in matrix.cells:
        done = store.is_finished(cell.key) and not force
        seconds = 0.0 if done else estimates[cell.key].seconds
        total += seconds
        rows.append([cell.key[:10], cell.row, cell.encoder.label if cell.encoder else "-",
                     cell.objective.label if cell.objective else "-", cell.evaluator.label, cell.seed,
                     cell.budget.name, "finished" if done else "to run",
                     "-" if done else estimates[cell.key].describe()])
    where = "this machine's GPU" if "cuda" in str(_device_name()) else f"this machine ({os.cpu_count()} cores)"
    out = [f"{matrix.name}: {matrix.description}".rstrip(": "),
           f"{len(matrix.cells)} cells from {matrix.origin}, results in {run_dir}", "",
           tabulate(rows, headers=["key", "data", "encoder", "objective", "evaluator", "seed", "budget", "status",
                                   "est. time"], tablefmt="simple")]
    to_run = [c for c in matrix.cells if force or not store.is_finished(c.key)]
    problems = preflight.problems(to_run, registry)
    out += [""] + ([f"preflight: {len(problems)} problem(s); `seebench run` would refuse to start:"]
                   + [f"  {p}" for p in problems] if problems else
                   ["preflight: the probes' and data's files are in place"])
    if plans:
        table, t = _plan_table(plans)
        out += ["", "pretraining plan, per seed (a generator renders each distinct image once and keeps it in "
                "memory for later epochs while they fit under $SEEBENCH_IMAGE_CACHE_GB, by default a quarter "
                "of this machine's memory):", table]
        if t["assumed"]:
            out.append("* a real source's size is known only once it is read: the budget's dataset_size is assumed")
        unrendered = f" ({t['unrendered']} fitted generator(s) not counted)" if t["unrendered"] else ""
        out += ["", "totals over seeds:",
                f"  images rendered on the fly: {_count(t['rendered'])}, ~{duration(t['render_s'])} of one CPU "
                f"core{unrendered}",
                f"  pretraining steps: {_count(t['steps'])}, ~{duration(t['train_s'])} of training on {where}, or "
                f"~{duration(t['gpu_s'])} on one GPU at an assumed {ASSUMED_GPU_FLOPS / 1e12:.0f} TFLOP/s sustained "
                f"(GFLOP/img: one forward pass at the crop size; a training image costs ~{DEFAULT_PASSES:.0f})"]
    out += ["", f"rough total: {duration(total)} on {where}, idle, rendering and training one after the other; "
                f"estimates time encoder forward passes and generator batches here (CPU time) and scale by "
                f"images — real runs differ by 2x either way"]
    return "\n".join(out)


def _device_name() -> str:
    from seebench.planning.estimate import _device

    return str(_device())
