"""Rough cost of cells for --dry-run: past wall times where known, else timed passes scaled up.

Per distinct pretraining (cells that differ only by evaluator share one) the plan counts the
images a generator renders on the fly (each of the `dataset_size` distinct images once when
later epochs fit in memory, see image_cache.py; else every image seen), the optimiser steps, and three times: rendering at the
generator's speed timed here (one thread, as the prefetch thread renders), training on this
machine (one timed forward pass at the crop size x passes x images seen), and training on a GPU
from the encoder's FLOPs at an assumed sustained rate (ASSUMED_GPU_FLOPS).
"""

from __future__ import annotations

import math
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from seebench.matrix.cell import Cell, content_key
from seebench.api.components import GENERATOR, OBJECTIVE, SOURCE
from seebench.primitives.order import permutation
from seebench.run.image_cache import images_rendered
from seebench.results.store import load_results

DEFAULT_PASSES = 6.0  # two augmented views, forward + backward (~2x forward) each
DEFAULT_EVAL_IMAGES = 2000  # evaluators that do not say (train_size + test_size)
ASSUMED_GPU_FLOPS = 25e12  # sustained FLOP/s of one A100-class GPU in TF32 training a ResNet


@dataclass
class Estimate:
    seconds: float
    how: str

    def describe(self) -> str:
        return f"~{duration(self.seconds)} ({self.how})"


@dataclass
class PretrainPlan:
    """One pretraining (per seed) and what it costs."""

    cell: Cell  # the first cell that needs it
    seeds: list[int]
    distinct_images: int  # images the data offers per epoch (a generator's dataset_size)
    distinct_assumed: bool  # a real source whose size is unknown until read: the budget's dataset_size
    rendered: int  # images a generator renders on the fly (= images seen); 0 for a source
    images_seen: int
    steps: int
    crop: int
    render_s: float | None  # per seed, one thread here; None: not measurable (e.g. a fitted generator)
    render_rate: float | None  # images per second, one thread here
    train_s: float  # per seed, on this machine when idle
    gpu_s: float  # per seed, on one GPU at ASSUMED_GPU_FLOPS
    flops_per_image: float  # one forward pass at the crop size


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _shape(cell: Cell) -> str:
    """Identity without the seed: cells that differ only by seed cost the same."""
    ident = cell.identity()
    ident.pop("seed")
    return content_key(ident)


def _pretrain_shape(cell: Cell) -> str:
    ident = cell.identity()
    return content_key({k: ident[k] for k in ("data", "encoder", "objective", "budget")})


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _encoder(cell: Cell, registry: Any) -> torch.nn.Module:
    comp = registry.get("encoder", cell.encoder.name)
    torch.manual_seed(0)
    return comp.factory(**dict(cell.encoder.params)).eval()


def _forward_seconds_per_image(cell: Cell, registry: Any, size: int, cache: dict) -> float:
    """Seconds of one forward pass per image on this machine when idle: on a GPU the fastest of
    three timed passes; on the CPU the CPU time of one thread divided by the cores (CPU time, unlike
    the clock, does not grow when other processes share the machine)."""
    key = ("time", content_key(cell.encoder.identity()), size)
    if key not in cache:
        device = _device()
        model = _encoder(cell, registry).to(device)
        batch = 16 if size <= 64 else 4 if size <= 160 else 2
        x = torch.randn(batch, 3, size, size, device=device)
        best = float("inf")
        threads = torch.get_num_threads()
        if device.type == "cpu":
            torch.set_num_threads(1)
        try:
            with torch.inference_mode():
                model(x)  # warm-up
                for _ in range(3):
                    if device.type == "cuda":
                        torch.cuda.synchronize()
                        t0 = time.perf_counter()
                        model(x)
                        torch.cuda.synchronize()
                        best = min(best, time.perf_counter() - t0)
                    else:
                        t0 = time.process_time()
                        model(x)
                        best = min(best, (time.process_time() - t0) / (os.cpu_count() or 1))
        finally:
            torch.set_num_threads(threads)
        cache[key] = best / batch
    return cache[key]


def _flops_per_image(cell: Cell, registry: Any, size: int, cache: dict) -> float:
    key = ("flops", content_key(cell.encoder.identity()), size)
    if key not in cache:
        from torch.utils.flop_counter import FlopCounterMode

        model = _encoder(cell, registry)
        counter = FlopCounterMode(display=False)
        with torch.inference_mode(), counter:
            model(torch.randn(1, 3, size, size))
        cache[key] = float(counter.get_total_flops())
    return cache[key]


def _cpu_time(generate: Any, indices: list[int], size: int) -> float:
    t0 = time.process_time()
    generate(indices, 0, size)
    return max(time.process_time() - t0, 1e-6)


def _render_batch(obj: Any, size: int) -> int:
    """Images a generator renders at once whatever it is asked (featvis optimises fixed batches,
    padded): its `settings(size)["chunk"]` or `chunk`, else 1."""
    settings = getattr(obj, "settings", None)
    chunk = settings(size).get("chunk") if callable(settings) else getattr(obj, "chunk", None)
    return max(1, int(chunk)) if isinstance(chunk, int) and not isinstance(chunk, bool) else 1


def _render_rate(cell: Cell, registry: Any, cache: dict) -> float | None:
    """Images per CPU-second one thread renders of the cell's generator at the budget's size, timed
    by CPU time (what an idle core gives) on batches growing towards the budget's batch size; the
    first pays any set-up and is all that is timed of a generator slower than 2 CPU-seconds a batch.
    A generator that renders in fixed batches starts with one."""
    ref, size = cell.data, cell.budget.image_size
    key = ("render", content_key(ref.identity()), size)
    if key not in cache:
        rate = None
        comp = registry.get(GENERATOR, ref.name)
        obj = comp.factory(**dict(ref.params))
        if not hasattr(obj, "fit"):  # a generator fitted first (a GAN) has no speed before its fit
            # indices drawn over the whole dataset, as training batches are (a generator whose cost
            # depends on how indices group, e.g. one network per block of them, is timed as it runs)
            distinct = max(1, cell.budget.pretrain_dataset_size())
            order = permutation(distinct, 0).tolist()
            most = min(cell.budget.batch_size, distinct)
            n, start, spent = min(_render_batch(obj, size), most), 0, 0.0
            threads = torch.get_num_threads()
            torch.set_num_threads(1)
            try:
                first = _cpu_time(obj.generate, order[start:start + n], size)
                start, rate = n, n / first
                if first < 2.0:  # quick: the first batch paid the set-up; time later, larger ones
                    while spent < 0.5 and start + n <= distinct:
                        n = min(2 * n, most)
                        dt = _cpu_time(obj.generate, order[start:start + n], size)
                        rate, spent, start = n / dt, spent + dt, start + n
                        if n == most:
                            break
            finally:
                torch.set_num_threads(threads)
        cache[key] = rate
    return cache[key]


def _passes(cell: Cell, registry: Any) -> float:
    meta = registry.get(OBJECTIVE, cell.objective.name).metadata
    return float(meta.get("passes_per_image", DEFAULT_PASSES))


def _eval_images(cell: Cell, registry: Any) -> int:
    """Images the evaluator embeds: its train_size + test_size where its source takes them."""
    params = cell.evaluator.params
    source = params.get("source")
    declared: set[str] = set()
    if isinstance(source, str):
        try:
            declared = {p.name for p in registry.get(SOURCE, source).params}
        except Exception:
            declared = set()
    sizes = [int(params[k]) for k in ("train_size", "test_size") if isinstance(params.get(k), int) and k in declared]
    return sum(sizes) or DEFAULT_EVAL_IMAGES


def _crop(cell: Cell) -> int:
    return int(cell.objective.params.get("crop_size") or 0) or cell.budget.image_size


def pretrain_plans(cells: list[Cell], registry: Any, cache: dict | None = None) -> list[PretrainPlan]:
    """One plan per distinct pretraining (data, encoder, objective, budget), seeds gathered."""
    cache = {} if cache is None else cache
    plans: dict[str, PretrainPlan] = {}
    seen_keys: set[str] = set()
    for cell in cells:
        if cell.objective is None or cell.data is None or cell.encoder is None:
            continue
        shape = _pretrain_shape(cell)
        if shape in plans:
            if cell.pretrained_key not in seen_keys:
                plans[shape].seeds.append(cell.seed)
                seen_keys.add(cell.pretrained_key)
            continue
        seen_keys.add(cell.pretrained_key)
        budget = cell.budget
        distinct = budget.pretrain_dataset_size()
        assumed = cell.data.kind == SOURCE
        if assumed and isinstance(cell.data.params.get("train_size"), int):
            distinct, assumed = int(cell.data.params["train_size"]), False
        seen = budget.images_seen(distinct)
        steps = int(math.ceil(seen / budget.batch_size))
        crop = _crop(cell)
        passes = _passes(cell, registry)
        rendered = images_rendered(distinct, seen, budget.image_size) if cell.data.kind == GENERATOR else 0
        rate = None
        if rendered:
            try:
                rate = _render_rate(cell, registry, cache)
            except Exception:
                rate = None
        try:
            train_s = _forward_seconds_per_image(cell, registry, crop, cache) * passes * seen
            flops = _flops_per_image(cell, registry, crop, cache)
        except Exception:
            train_s, flops = float("nan"), float("nan")
        plans[shape] = PretrainPlan(
            cell=cell, seeds=[cell.seed], distinct_images=distinct, distinct_assumed=assumed, rendered=rendered, images_seen=seen,
            steps=steps, crop=crop, render_s=rendered / rate if rate else None, render_rate=rate,
            train_s=train_s, gpu_s=flops * passes * seen / ASSUMED_GPU_FLOPS, flops_per_image=flops)
    return list(plans.values())


def estimate_cells(cells: list[Cell], registry: Any, run_dir: Path, cache: dict | None = None) -> dict[str, Estimate]:
    """Seconds per cell on this machine: pretraining (rendering + training) is charged to the first
    cell that needs it, feature extraction to every cell."""
    cache = {} if cache is None else cache
    past: dict[str, list[float]] = {}
    for r in load_results([run_dir]).results if Path(run_dir).is_dir() else []:
        if r["status"] == "ok":
            try:
                past.setdefault(_shape(Cell.from_dict(r["cell"])), []).append(r["wall_time_s"])
            except Exception:
                continue
    plans = {_pretrain_shape(p.cell): p for p in pretrain_plans(cells, registry, cache)}
    charged: set[str] = set()
    out: dict[str, Estimate] = {}
    for cell in cells:
        if _shape(cell) in past:
            out[cell.key] = Estimate(statistics.median(past[_shape(cell)]), "as other seeds took")
            continue
        if cell.encoder is None:
            out[cell.key] = Estimate(30.0, "guess")
            continue
        try:
            seconds = _forward_seconds_per_image(cell, registry, cell.budget.image_size, cache) * _eval_images(cell, registry)
        except Exception:
            out[cell.key] = Estimate(60.0, "guess: encoder failed to build")
            continue
        plan = plans.get(_pretrain_shape(cell)) if cell.objective is not None else None
        how = "timed forward pass x images"
        if plan is not None and cell.pretrained_key not in charged:
            charged.add(cell.pretrained_key)
            seconds += plan.train_s + (plan.render_s or 0.0)
            if plan.render_s:
                how = "timed forward pass x images + rendering"
        out[cell.key] = Estimate(seconds, how)
    return out
