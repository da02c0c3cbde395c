"""Which pooled units image i maximises: the official order (each unit alone, then pairs i < j in order)."""

from __future__ import annotations

import functools

import numpy as np


@functools.lru_cache(maxsize=8)
def _pair_starts(width: int) -> np.ndarray:
    """starts[a]: how many pairs (i, j), i < j, come before those with i = a, lexicographically."""
    counts = np.arange(width - 1, 0, -1, dtype=np.int64)  # pairs with first unit a: width - 1 - a
    return np.concatenate([[0], np.cumsum(counts)])


def official_units(index: int, width: int) -> list[int]:
    """generate_datasets/feature_visualizations/generate_dataset.py, generate_sorted_k_of_n: the N
    images of a dataset maximise [0], [1], ... [width - 1] (the avgpool units one at a time), then
    the pairs [0, 1], [0, 2], ... [0, width - 1], [1, 2], ... until N are listed (then shuffled, so
    images 0..N-1 here are the official set of N in sorted order). Past all pairs (N > 2,098,176 at
    width 2048; the official script would list pairs again) the pairs repeat."""
    if index < width:
        return [index]
    if width < 2:
        return [index % width]
    starts = _pair_starts(width)
    k = (index - width) % int(starts[-1])
    first = int(np.searchsorted(starts, k, side="right")) - 1
    return [first, first + 1 + k - int(starts[first])]
