"""Run a block with a fixed number of torch intra-op threads: small per-image ops are fastest (and
their bytes independent of the caller's thread setting) on one thread; parallelise with workers."""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Set torch's intra-op thread count to `n` (0: leave it alone) for the block, then restore it."""
    before = torch.get_num_threads()
    if n and n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
