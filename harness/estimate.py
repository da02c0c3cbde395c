"""Rough cost of cells for --dry-run: past wall times where known, else a timed forward pass scaled up."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .cell import Cell, content_key
from .components import OBJECTIVE
from .store import load_results

DEFAULT_PASSES = 6.0  # two augmented views, forward + backward (~2x forward) each
DEFAULT_EVAL_IMAGES = 2000  # evaluators that do not say (train_size + test_size)


@dataclass
class Estimate:
    seconds: float
    how: str

    def describe(self) -> str:
        s = self.seconds
        text = f"{s:.0f} s" if s < 90 else f"{s / 60:.0f} min" if s < 5400 else f"{s / 3600:.1f} h"
        return f"~{text} ({self.how})"


def _shape(cell: Cell) -> str:
    """Identity without the seed: cells that differ only by seed cost the same."""
    ident = cell.identity()
    ident.pop("seed")
    return content_key(ident)


def _forward_seconds_per_image(cell: Cell, registry: Any, cache: dict) -> float:
    ref = cell.encoder
    size = cell.budget.image_size
    key = (content_key(ref.identity()), size)
    if key not in cache:
        comp = registry.get("encoder", ref.name)
        torch.manual_seed(0)
        model = comp.factory(**dict(ref.params)).eval()
        batch = 8 if size <= 64 else 2
        x = torch.randn(batch, 3, size, size)
        with torch.inference_mode():
            model(x)  # warm-up
            t0 = time.perf_counter()
            model(x)
            cache[key] = (time.perf_counter() - t0) / batch
    return cache[key]


def estimate_cells(cells: list[Cell], registry: Any, run_dir: Path) -> dict[str, Estimate]:
    past: dict[str, list[float]] = {}
    for r in load_results([run_dir]).results if Path(run_dir).is_dir() else []:
        if r["status"] == "ok":
            try:
                past.setdefault(_shape(Cell.from_dict(r["cell"])), []).append(r["wall_time_s"])
            except Exception:
                continue
    timing_cache: dict = {}
    out: dict[str, Estimate] = {}
    for cell in cells:
        if _shape(cell) in past:
            out[cell.key] = Estimate(statistics.median(past[_shape(cell)]), "as other seeds took")
            continue
        if cell.encoder is None:
            out[cell.key] = Estimate(30.0, "guess")
            continue
        try:
            per_image = _forward_seconds_per_image(cell, registry, timing_cache)
        except Exception:
            out[cell.key] = Estimate(60.0, "guess: encoder failed to build")
            continue
        passes = 0.0
        if cell.objective is not None and cell.data is not None:
            meta = registry.get(OBJECTIVE, cell.objective.name).metadata
            passes = float(meta.get("passes_per_image", DEFAULT_PASSES))
        params = cell.evaluator.params
        eval_images = sum(int(params[k]) for k in ("train_size", "test_size") if isinstance(params.get(k), int))
        eval_images = eval_images or DEFAULT_EVAL_IMAGES
        pretrain_images = cell.budget.images_seen(cell.budget.pretrain_dataset_size()) if passes else 0
        seconds = per_image * (passes * pretrain_images + eval_images)
        out[cell.key] = Estimate(seconds, "timed forward pass x images")
    return out
