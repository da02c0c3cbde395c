"""Keep a generator's rendered pretraining images in memory when an epoch is seen more than once."""

from __future__ import annotations

import os
from typing import Callable, Sequence

import torch

ENV_LIMIT = "SEEBENCH_IMAGE_CACHE_GB"
DEFAULT_SHARE = 0.25  # of this machine's memory, per pretraining process


def limit_bytes() -> int:
    """$SEEBENCH_IMAGE_CACHE_GB (0 turns the cache off), else a quarter of this machine's memory."""
    raw = os.environ.get(ENV_LIMIT)
    if raw:
        try:
            return int(float(raw) * 2**30)
        except ValueError:
            raise ValueError(f"${ENV_LIMIT} must be a number of GiB, got {raw!r}") from None
    return int(DEFAULT_SHARE * os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def will_cache(distinct: int, seen: int, image_size: int, channels: int = 3) -> bool:
    """True when images repeat (more seen than distinct) and the distinct ones fit under the limit."""
    return seen > distinct and distinct * channels * image_size * image_size <= limit_bytes()


def images_rendered(distinct: int, seen: int, image_size: int) -> int:
    """How many images a generator renders to serve `seen` images out of `distinct`."""
    return min(distinct, seen) if will_cache(distinct, seen, image_size) else seen


class RenderedImages:
    """Index -> uint8 image, rendered by `render(indices)` the first time an index is asked for.

    Generators are deterministic per index, so serving a repeat from memory gives the same bytes as
    rendering it again; the paper pre-rendered its datasets to disk for the same reason.
    """

    def __init__(self, length: int, render: Callable[[list[int]], torch.Tensor]):
        self.length, self.render = length, render
        self.store: torch.Tensor | None = None
        self.have = torch.zeros(length, dtype=torch.bool)

    @property
    def count(self) -> int:
        return int(self.have.sum())

    def batch(self, indices: Sequence[int]) -> torch.Tensor:
        idx = torch.as_tensor(list(indices), dtype=torch.long)
        missing = torch.unique(idx[~self.have[idx]])
        if len(missing):
            fresh = self.render(missing.tolist())
            if self.store is None:
                self.store = torch.empty((self.length, *fresh.shape[1:]), dtype=fresh.dtype)
            self.store[missing] = fresh
            self.have[missing] = True
        assert self.store is not None
        return self.store[idx]
