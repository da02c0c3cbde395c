"""The one resumable-order helper: fixed permutations and per-epoch data order computable for any step."""

from __future__ import annotations

from typing import Callable

import torch

from seebench.primitives.rng import torch_generator


def permutation(n: int, seed: int) -> torch.Tensor:
    """A fixed permutation of range(n) under `seed` (torch.randperm): the same on every run."""
    return torch.randperm(n, generator=torch_generator(seed))


class EpochOrder:
    """Data order over `n` items: epoch e is `permutation(n, seed_of_epoch(e))`, batches are consecutive
    slices of the epochs laid end to end. Any step's indices are computed without replaying the earlier
    ones, so a resumed run sees exactly the data it would have seen; one epoch's permutation is kept."""

    def __init__(self, n: int, seed_of_epoch: Callable[[int], int]):
        if n < 1:
            raise ValueError(f"EpochOrder: need at least one item to order, got n={n}")
        self.n, self.seed_of_epoch = int(n), seed_of_epoch
        self._epoch, self._perm = -1, torch.empty(0, dtype=torch.long)

    def epoch(self, epoch: int) -> torch.Tensor:
        """The permutation of epoch `epoch`."""
        if epoch != self._epoch:
            self._epoch, self._perm = epoch, permutation(self.n, self.seed_of_epoch(epoch))
        return self._perm

    def indices(self, step: int, batch: int) -> torch.Tensor:
        """The `batch` indices of step `step` (positions step*batch .. (step+1)*batch - 1)."""
        out: list[int] = []
        start = step * batch
        while len(out) < batch:
            epoch, offset = divmod(start + len(out), self.n)
            take = min(batch - len(out), self.n - offset)
            out.extend(self.epoch(epoch)[offset:offset + take].tolist())
        return torch.tensor(out, dtype=torch.long)
