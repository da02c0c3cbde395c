"""A cell's pretrained encoder: reused from the cache, trained in N DDP ranks, or trained here; cached by key.

The encoder lives in `<run_dir>/cache/encoders/<pretrained key>.safetensors` (harness/run/cache_layout.py),
so every evaluator of the same training (and every re-run) reuses it. Beside it a JSON record says how it
was trained (cell, torch threads, curves) and a PNG shows the first images it saw; every result that
reuses the encoder reports those, as the result that trained it does.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch

from seebench.executors import process_group
from seebench.executors.launch import pretrain_in_ranks
from seebench.generate.grids import image_grid, save_png
from seebench.primitives.atomic import atomic_write_text
from seebench.primitives.cache_files import DamagedCacheFile, load_tensors, read_or_set_aside, save_tensors
from seebench.run.cache_layout import data_grid, encoder_file, encoder_record
from seebench.run.curves import saved_curves

DATA_GRID = 16  # first pretraining images drawn beside a cached encoder (artifact "data")


def pretrained_encoder(ctx: Any, memo: dict, processes: int = 1) -> torch.nn.Module:
    """`ctx`'s encoder after the cell's objective, trained once per pretrained key (memoised in `memo`, cached on
    disk); with `processes` > 1 (and not already inside a process group) it trains in that many DDP ranks."""
    key = ctx.cell.pretrained_key
    if ("encoder", key) in memo:
        return memo[("encoder", key)]
    path = encoder_file(ctx.run_dir, key)
    model = ctx.encoder()
    cached = read_or_set_aside(path, lambda p: _fitting_state(model, p), ctx.repaired)
    if cached is not None:
        model.load_state_dict(cached)
        ctx.log(f"reusing pretrained encoder {path.name}")
    elif ctx.cell.objective is not None and processes > 1 and not process_group.in_process_group():
        t0 = time.perf_counter()
        pretrain_in_ranks(ctx, processes)  # the cell executor `ddp` (plugins/executors/ddp.py)
        model.load_state_dict(load_tensors(path))
        ctx.add_time("pretrain_s", time.perf_counter() - t0)
    elif ctx.cell.objective is not None:
        t0 = time.perf_counter()
        model = _train_here(ctx, model, path)
        ctx.add_time("pretrain_s", time.perf_counter() - t0)
    record_training(ctx)
    model.to(ctx.device).eval()
    memo[("encoder", key)] = model
    return model


def _train_here(ctx: Any, model: torch.nn.Module, path: Path) -> torch.nn.Module:
    """Run the objective in this process (or this rank); the main rank caches the encoder, its record and grid."""
    objective = ctx.build_ref(ctx.cell.objective)
    data = ctx.pretraining_data() if ctx.cell.data is not None else None
    model.to(ctx.device)
    result = objective.pretrain(model, data, ctx)
    model = result if isinstance(result, torch.nn.Module) else model
    model.cpu()
    if process_group.is_main_rank():  # under DDP the ranks hold the same weights; rank 0 writes them
        if data is not None and len(data):  # what the encoder saw, for the leaderboard page
            save_png(image_grid(data.batch(range(min(DATA_GRID, len(data)))), ncol=8), data_grid(path))
        save_tensors(path, model.state_dict())
        atomic_write_text(encoder_record(path), json.dumps(
            {"cell": ctx.cell.to_dict(), "torch_threads": process_group.cell_threads(),
             "curves": ctx.curves.to_dict()}, indent=1))  # every result that reuses it shows its curves
    return model


def record_training(ctx: Any) -> None:
    """What the record beside the cell's cached encoder tells every result that uses it: the thread count it was
    trained with (`ctx.pretrain_threads`), its training curves, the grid of the images it saw (artifact 'data')."""
    path = encoder_file(ctx.run_dir, ctx.cell.pretrained_key)
    ctx.pretrain_threads = _trained_with(path)
    ctx.curves.restore(saved_curves(path))
    if data_grid(path).exists() and "samples" not in ctx.artifacts:  # a GAN's own grid says more
        ctx.add_artifact("data", data_grid(path))


def _fitting_state(model: torch.nn.Module, path: Path) -> dict[str, torch.Tensor]:
    """A cached state dict, checked (digest, layout) and required to fit `model` key for key, shape for shape."""
    state = load_tensors(path)
    wanted = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    if {k: tuple(v.shape) for k, v in state.items()} != wanted:
        raise DamagedCacheFile(path, "its tensors do not fit the cell's encoder (names or shapes differ)")
    return state


def _trained_with(path: Path) -> int | None:
    """The torch thread count recorded beside a cached encoder (None for encoders cached before it was)."""
    try:
        value = json.loads(encoder_record(path).read_text()).get("torch_threads")
    except (OSError, ValueError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
