"""Run a block with a fixed number of torch intra-op threads: small per-image ops are fastest (and
their bytes independent of the caller's thread setting) on one thread; parallelise with workers."""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

import torch

# GNU OpenMP is not fork-safe: a forked worker (seebench generate's pool) that opens a parallel
# region of more threads after its parent used one waits forever on a futex. Forked children
# therefore run torch_threads blocks on one thread (the workers are the parallelism there; the
# families pin their bytes at threads=1, their default).
_FORKED = False


def _mark_forked() -> None:
    global _FORKED
    _FORKED = True


os.register_at_fork(after_in_child=_mark_forked)


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Set torch's intra-op thread count to `n` (0: leave it alone) for the block, then restore it."""
    before = torch.get_num_threads()
    if _FORKED and n > 1:
        n = 1
    if n and n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
