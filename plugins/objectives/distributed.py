"""The ranks of one pretraining run under torch.distributed: global-batch gathers, BatchNorm and gradient averaging.

A single process is rank 0 of a world of 1, where every helper here is the identity, so the loop
has one code path. With a process group (started by the harness for `--procs-per-cell N`, or by
the user's own `torchrun`), each rank holds a contiguous slice of the global batch and:

- `gather` concatenates a tensor's rows from every rank in rank order (= the global batch's order),
  with gradients: the backward pass sums the incoming gradients over ranks and keeps this rank's rows.
  Every rank then computes the same loss over the whole global batch.
- `batchnorm` makes the BatchNorm layers of the modules normalise with the global batch's mean and
  variance (torch's SyncBatchNorm refuses CPU tensors; this works on gloo and NCCL alike).
- `average_gradients` all-reduces the gradients and divides by the world size, as DDP does.

Gradients per rank come out as world-size times the rank's share of the global loss's gradient,
so the average over ranks is the single-process gradient of the same global batch.
"""

from __future__ import annotations

import contextlib
from typing import Iterable, Iterator

import torch
from torch import nn

try:
    import torch.distributed as dist
except ImportError:  # pragma: no cover - builds without torch.distributed
    dist = None


def _sum_over_ranks(t: torch.Tensor) -> torch.Tensor:
    out = t.detach().clone()
    dist.all_reduce(out)
    return out


class _AllReduceSum(torch.autograd.Function):
    """Sum over ranks; the gradient of every rank's input is the sum of the ranks' output gradients."""

    @staticmethod
    def forward(ctx, t):  # noqa: D102
        return _sum_over_ranks(t)

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        return _sum_over_ranks(grad.contiguous())


class _Gather(torch.autograd.Function):
    """Rows of every rank in rank order; backward: gradients summed over ranks, this rank's rows kept."""

    @staticmethod
    def forward(ctx, t, sizes, rank):  # noqa: D102
        ctx.sizes, ctx.rank = sizes, rank
        return _gather_rows(t.detach(), sizes)

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        total = _sum_over_ranks(grad.contiguous())
        start = sum(ctx.sizes[:ctx.rank])
        return total[start:start + ctx.sizes[ctx.rank]], None, None


def _gather_rows(t: torch.Tensor, sizes: list[int]) -> torch.Tensor:
    most = max(sizes)
    t = t.contiguous()
    if len(t) < most:  # collectives need equal shapes: pad, gather, trim
        t = torch.cat([t, t.new_zeros((most - len(t),) + tuple(t.shape[1:]))])
    parts = [torch.empty_like(t) for _ in sizes]
    dist.all_gather(parts, t)
    return torch.cat([p[:n] for p, n in zip(parts, sizes)])


class World:
    """This process's place among the ranks that pretrain one cell (one process: rank 0 of 1)."""

    def __init__(self, rank: int = 0, size: int = 1):
        self.rank, self.size = rank, size

    @classmethod
    def current(cls) -> "World":
        """The initialised default process group, or a world of one."""
        if dist is not None and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            return cls(dist.get_rank(), dist.get_world_size())
        return cls()

    @property
    def distributed(self) -> bool:
        return self.size > 1

    @property
    def main(self) -> bool:
        """Rank 0: the one that reports progress and writes checkpoints."""
        return self.rank == 0

    def share(self, n: int) -> range:
        """This rank's contiguous part of range(n), split as torch.tensor_split does (first ranks one more)."""
        base, extra = divmod(n, self.size)
        start = self.rank * base + min(self.rank, extra)
        return range(start, start + base + (self.rank < extra))

    def gather(self, t: torch.Tensor, grad: bool = True) -> torch.Tensor:
        """Rows of `t` from every rank, concatenated in rank order (ranks may hold different row counts)."""
        if not self.distributed:
            return t
        count = torch.tensor([len(t)], device=t.device)
        counts = [torch.empty_like(count) for _ in range(self.size)]
        dist.all_gather(counts, count)
        sizes = [int(c) for c in counts]
        if grad and t.requires_grad:
            return _Gather.apply(t, sizes, self.rank)
        return _gather_rows(t.detach(), sizes)

    def sum(self, t: torch.Tensor) -> torch.Tensor:
        """Sum over ranks, differentiable."""
        return _AllReduceSum.apply(t) if self.distributed else t

    def mean(self, t: torch.Tensor) -> float:
        """A scalar's mean over ranks, as a Python float."""
        if not self.distributed:
            return float(t.detach())
        return float(_sum_over_ranks(t.detach().reshape(1))) / self.size

    def broadcast_(self, *modules: nn.Module) -> None:
        """Copy rank 0's parameters and buffers into every rank's modules (in place)."""
        if not self.distributed:
            return
        with torch.no_grad():
            for module in modules:
                for t in module.state_dict().values():
                    dist.broadcast(t, 0)

    def average_gradients(self, params: Iterable[torch.Tensor]) -> None:
        """All-reduce the gradients (one flat buffer per dtype and device) and divide by the world size."""
        if not self.distributed:
            return
        groups: dict[tuple, list[torch.Tensor]] = {}
        for p in params:
            if p.grad is not None:
                groups.setdefault((p.grad.dtype, p.grad.device), []).append(p.grad)
        for grads in groups.values():
            flat = torch.cat([g.reshape(-1) for g in grads])
            dist.all_reduce(flat)
            flat.div_(self.size)
            for g, chunk in zip(grads, flat.split([g.numel() for g in grads])):
                g.copy_(chunk.view_as(g))

    @contextlib.contextmanager
    def batchnorm(self, *modules: nn.Module) -> Iterator[list[str]]:
        """Within the block, the plain BatchNorm layers of `modules` use the global batch's statistics.

        Yields the names of BatchNorm subclasses with their own forward (e.g. a fused BN + activation),
        which keep per-rank statistics.
        """
        patched, skipped = [], []
        if self.distributed:
            for module in modules:
                for name, m in module.named_modules():
                    if isinstance(m, nn.modules.batchnorm._BatchNorm):
                        if type(m).forward is not nn.modules.batchnorm._BatchNorm.forward:
                            skipped.append(f"{name} ({type(m).__name__})")
                            continue
                        m.forward = _GlobalBatchNorm(m, self)
                        patched.append(m)
        try:
            yield skipped
        finally:
            for m in patched:
                del m.forward


class _GlobalBatchNorm:
    """The forward of one BatchNorm layer with mean and variance over all ranks' rows (two passes)."""

    def __init__(self, bn: nn.modules.batchnorm._BatchNorm, world: World):
        self.bn, self.world = bn, world

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        bn = self.bn
        if not (bn.training or (bn.running_mean is None and bn.running_var is None)):
            return nn.modules.batchnorm._BatchNorm.forward(bn, x)  # eval: running statistics
        bn._check_input_dim(x)
        dims = [0] + list(range(2, x.dim()))
        shape = (1, -1) + (1,) * (x.dim() - 2)
        count = x.numel() // x.shape[1]
        first = self.world.sum(torch.cat([x.sum(dims), x.new_tensor([count])]))
        n = first[-1]
        mean = first[:-1] / n
        centred = x - mean.view(shape)
        var = self.world.sum(centred.pow(2).sum(dims)) / n  # biased, as BatchNorm normalises
        if bn.training and bn.track_running_stats and bn.running_mean is not None:
            with torch.no_grad():
                bn.num_batches_tracked.add_(1)
                f = 1.0 / float(bn.num_batches_tracked) if bn.momentum is None else bn.momentum
                bn.running_mean.mul_(1 - f).add_(mean.detach(), alpha=f)
                bn.running_var.mul_(1 - f).add_(var.detach() * (n / (n - 1)), alpha=f)
        y = centred * torch.rsqrt(var + bn.eps).view(shape)
        if bn.affine:
            y = y * bn.weight.view(shape) + bn.bias.view(shape)
        return y

