"""Evaluators `kid` and `fd`: kernel and Frechet distances between samples and held-out photos in encoder features."""

from __future__ import annotations

import warnings

import torch
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.kid import KernelInceptionDistance

from seebench import EVALUATOR, Component, Param, hookimpl, param_defaults

from seebench_plugins.evaluators.samples import COMMON_PARAMS, real_and_fake_features


class _Precomputed(nn.Module):
    """torchmetrics runs a feature extractor on whatever `update` gets; ours are computed already
    (by the cell's encoder, not Inception, which would need a download), so it passes them through."""

    def __init__(self, dim: int):
        super().__init__()
        self.num_features = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def kid_score(real: torch.Tensor, fake: torch.Tensor, subsets: int = 100, subset_size: int = 1000,
              seed: int = 0) -> tuple[float, float, int]:
    """Unbiased KID (cubic polynomial kernel MMD^2) with torchmetrics; the subset size shrinks to the
    smaller set so a few hundred photos work. Returns (mean, std over subsets, subset size)."""
    m = min(subset_size, len(real), len(fake))
    if m < 2:
        raise ValueError(f"kid: need at least 2 real and 2 generated images, got {len(real)} and {len(fake)}")
    with warnings.catch_warnings():  # "will save all extracted features": they are small vectors here
        warnings.simplefilter("ignore")
        metric = KernelInceptionDistance(feature=_Precomputed(real.shape[1]), subsets=subsets, subset_size=m)
    metric.update(real.double(), real=True)
    metric.update(fake.double(), real=False)
    with torch.random.fork_rng():
        torch.manual_seed(seed)  # the subsets are drawn with torch's global RNG
        mean, std = metric.compute()
    return float(mean), float(std), m


def fd_score(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Frechet distance between Gaussians fitted to the two feature sets (torchmetrics' FID maths)."""
    if len(real) < 2 or len(fake) < 2:
        raise ValueError(f"fd: need at least 2 real and 2 generated images, got {len(real)} and {len(fake)}")
    metric = FrechetInceptionDistance(feature=_Precomputed(real.shape[1]))
    metric.update(real.double(), real=True)
    metric.update(fake.double(), real=False)
    return float(metric.compute())


KID_PARAMS = COMMON_PARAMS + (
    Param("subsets", 100, "random subsets averaged", minimum=1),
    Param("subset_size", 1000, "subset size (shrunk to the smaller set)", minimum=2),
)


@param_defaults(KID_PARAMS)
class KID:
    def __init__(self, *, source: str, source_params: dict | None, samples: int, subsets: int, subset_size: int):
        self.source, self.source_params, self.samples = source, source_params, samples
        self.subsets, self.subset_size = subsets, subset_size

    def evaluate(self, ctx) -> dict[str, float]:
        real, fake = real_and_fake_features(ctx, self.source, self.source_params, self.samples)
        mean, std, m = kid_score(real, fake, self.subsets, self.subset_size, ctx.seed)
        return {"kid": mean, "kid_std": std, "kid_subset_size": float(m), "n_real": float(len(real)),
                "n_fake": float(len(fake))}


@param_defaults(COMMON_PARAMS)
class FD:
    def __init__(self, *, source: str, source_params: dict | None, samples: int):
        self.source, self.source_params, self.samples = source, source_params, samples

    def evaluate(self, ctx) -> dict[str, float]:
        real, fake = real_and_fake_features(ctx, self.source, self.source_params, self.samples)
        return {"fd": fd_score(real, fake), "n_real": float(len(real)), "n_fake": float(len(fake))}


@hookimpl
def seebench_register_evaluators():
    return [
        Component(
            kind=EVALUATOR, name="kid", factory=KID,
            description="Kernel Inception-style Distance (unbiased MMD^2) of samples vs held-out photos in the cell encoder's features",
            params=KID_PARAMS,
            uses=("data", "encoder"),
            metadata={"table": "camera", "metrics": {"kid": {"higher_is_better": False, "unit": "", "primary": True},
                                  "kid_std": {"higher_is_better": False, "unit": ""}}},
        ),
        Component(
            kind=EVALUATOR, name="fd", factory=FD,
            description="Frechet distance (FID maths) of samples vs held-out photos in the cell encoder's features",
            params=COMMON_PARAMS,
            uses=("data", "encoder"),
            metadata={"table": "camera", "metrics": {"fd": {"higher_is_better": False, "unit": ""}}},
        ),
    ]
