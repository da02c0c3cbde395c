"""Evaluator `knn`: weighted k-nearest-neighbour classification of frozen features on a real source."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from seebench import EVALUATOR, Component, Param, hookimpl, topk_accuracy

from .probes.features import IMAGE_SIZE, labelled_features


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


class KNNEvaluator:
    def __init__(self, source: str = "fashion-mnist", source_params: dict | None = None, train_size: int = 10000,
                 test_size: int = 2000, k: int = 20, temperature: float = 0.07, image_size: int = 0):
        self.source, self.source_params = source, dict(source_params or {})
        self.train_size, self.test_size = train_size, test_size
        self.k, self.temperature = k, temperature
        self.image_size = image_size

    def preflight(self, pf) -> None:
        """Before any pretraining: the source's files are there (checked cheaply by the source)."""
        pf.source(self.source, self.source_params, where="knn")

    def evaluate(self, ctx) -> dict[str, float]:
        train, train_labels, test, test_labels, num_classes = labelled_features(ctx, self, "knn")
        scores = knn_predict(train, train_labels, test, num_classes, self.k, self.temperature)
        return {"top1": topk_accuracy(scores, test_labels, 1), "top5": topk_accuracy(scores, test_labels, 5)}


@hookimpl
def seebench_register_evaluators():
    return [
        Component(
            kind=EVALUATOR,
            name="knn",
            factory=KNNEvaluator,
            description="k-NN accuracy (k=20, cosine, exp(sim/T) votes) of frozen features on a real labelled source",
            params=(
                Param("source", "fashion-mnist", "real labelled source to classify"),
                Param("source_params", None, "parameters of that source", type=dict),
                Param("train_size", 10000, "train images (memory bank), a fixed subset, for sources that take train_size", minimum=1),
                Param("test_size", 2000, "test images, a fixed subset, for sources that take test_size", minimum=1),
                Param("k", 20, "neighbours", minimum=1),
                Param("temperature", 0.07, "vote weight exp(sim / T)", minimum=1e-6),
                IMAGE_SIZE,
            ),
            metadata={"metrics": {"top1": {"higher_is_better": True, "unit": "%"},
                                  "top5": {"higher_is_better": True, "unit": "%"}},
                      "chance": "100 / classes"},
        )
    ]
