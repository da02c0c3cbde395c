"""Evaluator `knn`: weighted k-nearest-neighbour classification of frozen features on a real source."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from seebench import EVALUATOR, Component, Param, hookimpl, param_defaults

from seebench_plugins.evaluators.features import IMAGE_SIZE, TOP_K_METADATA, LabelledProbe, labelled_features, source_params, top1_top5


def knn_predict(train: torch.Tensor, train_labels: torch.Tensor, test: torch.Tensor, num_classes: int,
                k: int = 20, temperature: float = 0.07, chunk: int = 1024) -> torch.Tensor:
    """Class scores (N_test, C): the k most cosine-similar train features vote with exp(sim / T)."""
    train = F.normalize(train, dim=1)
    test = F.normalize(test, dim=1)
    k = min(k, len(train))
    scores = []
    for start in range(0, len(test), chunk):
        sim = test[start:start + chunk] @ train.T
        top_sim, top_idx = sim.topk(k, dim=1)
        weights = (top_sim / temperature).exp()
        votes = torch.zeros(len(sim), num_classes)
        votes.scatter_add_(1, train_labels[top_idx], weights)
        scores.append(votes)
    return torch.cat(scores)


PARAMS = (
    *source_params("train images (memory bank)", 2000, "test images"),
    Param("k", 20, "neighbours", minimum=1),
    Param("temperature", 0.07, "vote weight exp(sim / T)", minimum=1e-6),
    IMAGE_SIZE,
)


@param_defaults(PARAMS)
class KNNEvaluator(LabelledProbe):
    who = "knn"

    def __init__(self, *, source: str, source_params: dict | None, train_size: int, test_size: int, k: int,
                 temperature: float, image_size: int):
        self.set_source(source, source_params, train_size, test_size, image_size)
        self.k, self.temperature = k, temperature

    def evaluate(self, ctx) -> dict[str, float]:
        train, train_labels, test, test_labels, num_classes = labelled_features(ctx, self, "knn")
        return top1_top5(knn_predict(train, train_labels, test, num_classes, self.k, self.temperature), test_labels)


@hookimpl
def seebench_register_evaluators():
    return [
        Component(
            kind=EVALUATOR,
            name="knn",
            factory=KNNEvaluator,
            description="k-NN accuracy (k=20, cosine, exp(sim/T) votes) of frozen features on a real labelled source",
            params=PARAMS,
            metadata=TOP_K_METADATA,
        )
    ]
