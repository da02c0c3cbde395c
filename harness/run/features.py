"""Frozen features of a real source's split under a cell's pretrained encoder, cached on disk by content key."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Mapping

import torch

from seebench.api.components import SOURCE
from seebench.api.images import ImageSet, to_model_input
from seebench.primitives.cache_files import DamagedCacheFile, load_tensors, read_or_set_aside, save_tensors
from seebench.run.cache_layout import cache_file
from seebench.run.pretraining import record_training


def extract_features(encoder: torch.nn.Module, images: ImageSet, size: int, device: torch.device,
                     batch_size: int = 256, progress: Callable[[int, int, str], None] | None = None) -> torch.Tensor:
    """Frozen features of every image, in order, as float32 on the CPU."""
    encoder.eval()
    chunks = []
    n = len(images)
    with torch.inference_mode():
        for start in range(0, n, batch_size):
            batch = images.images[start:start + batch_size]
            chunks.append(encoder(to_model_input(batch, size, device)).float().cpu())
            if progress is not None:
                progress(min(start + batch_size, n), n, "features")
    return torch.cat(chunks) if chunks else torch.empty(0, getattr(encoder, "feature_dim", 0))


def features(ctx: Any, source: str, params: Mapping[str, Any] | None, split: str,
             size: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Features of a real source's split under `ctx`'s pretrained encoder, cached on disk by content key
    (pretrained encoder + source + split + size), with the split's labels.
    `size` is the side the images are resized to (None or 0: the budget's image_size)."""
    size = int(size or ctx.budget.image_size)
    images = ctx.load_source(source, params, split)
    identity = {"encoder": ctx.cell.pretrained_key, "source": source, "params": dict(params or {}),
                "split": split, "size": size}
    path = cache_file(ctx.run_dir, "features", identity, ".safetensors")  # checked once, below
    feats = read_or_set_aside(path, lambda p: _feature_rows(p, len(images)), ctx.repaired)
    if feats is not None:
        if ctx.cell.objective is not None:  # made by the cached encoder: record how it was trained
            record_training(ctx)
    else:
        encoder = ctx.pretrained_encoder()
        t0 = time.perf_counter()
        feats = extract_features(encoder, images, size, ctx.device, progress=ctx.progress)
        ctx.add_time("features_s", time.perf_counter() - t0)
        save_tensors(path, {"features": feats})
    return feats, images.labels


def _feature_rows(path: Path, rows: int) -> torch.Tensor:
    """Cached features, checked, with one float row per image."""
    feats = load_tensors(path).get("features")
    if feats is None or feats.ndim != 2 or len(feats) != rows or not feats.dtype.is_floating_point:
        raise DamagedCacheFile(path, f"not a ({rows}, D) float features tensor")
    return feats


def labelled_features(ctx: Any, source: str, params: Mapping[str, Any] | None = None,
                      train_size: int | None = None, test_size: int | None = None, who: str = "evaluator",
                      size: int | None = None):
    """(train, train_labels, test, test_labels, classes) of a labelled real source under the pretrained
    encoder, at `size` px (None or 0: the budget's image_size). `train_size`/`test_size` are passed on
    only to sources that declare those parameters."""
    comp = ctx.registry.get(SOURCE, source, where=who)
    declared = {p.name for p in comp.params}
    given = dict(params or {})
    for key, value in (("train_size", train_size), ("test_size", test_size)):
        if value is not None and key in declared:
            given.setdefault(key, value)
    train, train_labels = ctx.features(source, given, "train", size)
    test, test_labels = ctx.features(source, given, "test", size)
    if train_labels is None or test_labels is None:
        raise ValueError(f"{who}: source '{source}' has no labels; pick a labelled source")
    classes = int(max(train_labels.max(), test_labels.max())) + 1
    return train, train_labels, test, test_labels, classes
