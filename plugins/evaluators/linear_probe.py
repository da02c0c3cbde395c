"""Evaluator `linear-probe`: a linear classifier on frozen, cached features of a real source; top-1 and top-5."""

from __future__ import annotations

import torch

from seebench import EVALUATOR, Component, Param, hookimpl, param_defaults

from seebench_plugins.evaluators.features import IMAGE_SIZE, TOP_K_METADATA, LabelledProbe, labelled_features, source_params, top1_top5
from seebench_plugins.evaluators.logreg import fit_lbfgs, fit_paper, standardize


PARAMS = (
    *source_params("train images", 10000, "test images (10000: all of Fashion-MNIST's)"),
    Param("protocol", "fast", "fast: full-batch L-BFGS on standardized features; paper: Adam 100 epochs",
          choices=("fast", "paper")),
    Param("l2", 1e-3, "L2 penalty of the fast protocol (picked so it matches the paper protocol, see benchmarks/probe.py)", minimum=0.0),
    Param("max_iter", 100, "L-BFGS iterations of the fast protocol", minimum=1),
    Param("epochs", 100, "epochs of the paper protocol", minimum=1),
    Param("lr", 1e-3, "Adam learning rate of the paper protocol", minimum=0.0),
    Param("batch_size", 128, "minibatch of the paper protocol", minimum=1),
    IMAGE_SIZE,
)


@param_defaults(PARAMS)
class LinearProbe(LabelledProbe):
    who = "linear-probe"

    def __init__(self, *, source: str, source_params: dict | None, train_size: int, test_size: int, protocol: str,
                 l2: float, max_iter: int, epochs: int, lr: float, batch_size: int, image_size: int):
        self.set_source(source, source_params, train_size, test_size, image_size)
        self.protocol, self.l2, self.max_iter = protocol, l2, max_iter
        self.epochs, self.lr, self.batch_size = epochs, lr, batch_size

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
        return top1_top5(scores, test_labels)


@hookimpl
def seebench_register_evaluators():
    return [
        Component(
            kind=EVALUATOR,
            name="linear-probe",
            factory=LinearProbe,
            description="linear classifier on frozen cached features of a real source (fast L-BFGS or the paper's Adam)",
            params=PARAMS,
            metadata=TOP_K_METADATA,
        )
    ]
