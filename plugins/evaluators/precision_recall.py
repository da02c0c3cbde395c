"""Evaluator `precision-recall`: improved precision and recall (Kynkaanniemi et al. 2019), k-NN manifolds."""

from __future__ import annotations

import torch

from seebench import EVALUATOR, Component, Param, hookimpl, param_defaults

from seebench_plugins.evaluators.samples import COMMON_PARAMS, real_and_fake_features


def knn_radii(features: torch.Tensor, k: int) -> torch.Tensor:
    """Distance of each point to its k-th nearest neighbour in the same set (itself excluded)."""
    d = torch.cdist(features, features)
    k = min(k, len(features) - 1)
    return d.kthvalue(k + 1, dim=1).values  # the 1st smallest is the point itself (0)


def coverage(points: torch.Tensor, manifold: torch.Tensor, radii: torch.Tensor) -> float:
    """Fraction of points inside at least one ball (manifold_j, radii_j)."""
    inside = torch.cdist(points, manifold) <= radii[None, :]
    return float(inside.any(dim=1).float().mean())


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> tuple[float, float]:
    if len(real) < 2 or len(fake) < 2:
        raise ValueError(f"precision-recall: need at least 2 real and 2 generated images, got {len(real)} and {len(fake)}")
    real, fake = real.double(), fake.double()
    precision = coverage(fake, real, knn_radii(real, k))
    recall = coverage(real, fake, knn_radii(fake, k))
    return precision, recall


PARAMS = COMMON_PARAMS + (Param("k", 3, "neighbours defining each manifold ball", minimum=1),)


@param_defaults(PARAMS)
class PrecisionRecall:
    def __init__(self, *, source: str, source_params: dict | None, samples: int, k: int):
        self.source, self.source_params, self.samples, self.k = source, source_params, samples, k

    def evaluate(self, ctx) -> dict[str, float]:
        real, fake = real_and_fake_features(ctx, self.source, self.source_params, self.samples)
        if self.samples == 0 and len(fake) > len(real):
            fake = fake[:len(real)]  # equal set sizes: the k-NN radii then mean the same on both sides
        p, r = precision_recall(real, fake, self.k)
        return {"precision": p, "recall": r, "n_real": float(len(real)), "n_fake": float(len(fake))}


@hookimpl
def seebench_register_evaluators():
    return [
        Component(
            kind=EVALUATOR, name="precision-recall", factory=PrecisionRecall,
            description="improved precision/recall of samples vs held-out photos (k-NN manifolds, k=3) in encoder features",
            params=PARAMS,
            uses=("data", "encoder"),
            metadata={"table": "camera", "metrics": {"precision": {"higher_is_better": True, "unit": ""},
                                  "recall": {"higher_is_better": True, "unit": ""}}},
        )
    ]
