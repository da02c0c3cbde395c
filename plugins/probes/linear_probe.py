"""Evaluator `linear-probe`: a linear classifier on frozen, cached features of a real source; top-1 and top-5."""

from __future__ import annotations

import torch

from seebench import EVALUATOR, Component, Param, hookimpl, topk_accuracy

from .features import IMAGE_SIZE, labelled_features
from .logreg import fit_lbfgs, fit_paper, standardize


class LinearProbe:
    def __init__(self, source: str = "fashion-mnist", source_params: dict | None = None, train_size: int = 10000,
                 test_size: int = 10000, protocol: str = "fast", l2: float = 1e-3, max_iter: int = 100,
                 epochs: int = 100, lr: float = 1e-3, batch_size: int = 128, image_size: int = 0):
        self.source, self.source_params = source, dict(source_params or {})
        self.train_size, self.test_size = train_size, test_size
        self.protocol, self.l2, self.max_iter = protocol, l2, max_iter
        self.epochs, self.lr, self.batch_size = epochs, lr, batch_size
        self.image_size = image_size

    def preflight(self, pf) -> None:
        """Before any pretraining: the source's files are there (checked cheaply by the source)."""
        pf.source(self.source, self.source_params, where="linear-probe")

    def evaluate(self, ctx) -> dict[str, float]:
        train, train_labels, test, test_labels, classes = labelled_features(ctx, self, "linear-probe")
        # the runner may evaluate under no_grad / inference_mode; fitting needs autograd
        with torch.inference_mode(False), torch.enable_grad():
            train, test = standardize(train.float().clone(), test.float().clone())
            if self.protocol == "fast":
                model = fit_lbfgs(train, train_labels, classes, self.l2, self.max_iter)
            else:
                model = fit_paper(train, train_labels, classes, self.epochs, self.lr, self.batch_size,
                                  seed=ctx.seed, progress=ctx.progress)
        with torch.no_grad():
            scores = model(test)
        return {"top1": topk_accuracy(scores, test_labels, 1), "top5": topk_accuracy(scores, test_labels, 5)}


@hookimpl
def seebench_register_evaluators():
    return [
        Component(
            kind=EVALUATOR,
            name="linear-probe",
            factory=LinearProbe,
            description="linear classifier on frozen cached features of a real source (fast L-BFGS or the paper's Adam)",
            params=(
                Param("source", "fashion-mnist", "real labelled source to classify"),
                Param("source_params", None, "parameters of that source", type=dict),
                Param("train_size", 10000, "train images, a fixed subset, for sources that take train_size", minimum=1),
                Param("test_size", 10000, "test images, a fixed subset, for sources that take test_size (10000: all of Fashion-MNIST's)", minimum=1),
                Param("protocol", "fast", "fast: full-batch L-BFGS on standardized features; paper: Adam 100 epochs",
                      choices=("fast", "paper")),
                Param("l2", 1e-3, "L2 penalty of the fast protocol (picked so it matches the paper protocol, see benchmarks/probe.py)", minimum=0.0),
                Param("max_iter", 100, "L-BFGS iterations of the fast protocol", minimum=1),
                Param("epochs", 100, "epochs of the paper protocol", minimum=1),
                Param("lr", 1e-3, "Adam learning rate of the paper protocol", minimum=0.0),
                Param("batch_size", 128, "minibatch of the paper protocol", minimum=1),
                IMAGE_SIZE,
            ),
            metadata={"metrics": {"top1": {"higher_is_better": True, "unit": "%"},
                                  "top5": {"higher_is_better": True, "unit": "%"}},
                      "chance": "100 / classes"},
        )
    ]
