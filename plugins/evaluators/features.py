"""What the built-in probes share: their source parameters, `image_size`, the preflight, features, top-1/top-5."""

from __future__ import annotations

import torch

from seebench import Param, topk_accuracy

IMAGE_SIZE = Param("image_size", 0, "embed the probe's images at this size (0: the budget's image_size); the "
                   "paper's small scale probes at 64 px while pretraining on 128 px images", minimum=0,
                   omit_at_default=True)  # absent from the key at 0: existing cells keep their keys


TOP_K_METADATA = {"metrics": {"top1": {"higher_is_better": True, "unit": "%"},
                              "top5": {"higher_is_better": True, "unit": "%"}},
                  "chance": "100 / classes"}


def source_params(train_help: str, test_size: int, test_help: str) -> tuple[Param, ...]:
    """The real labelled source a probe classifies, and how many of its train and test images it uses."""
    return (Param("source", "fashion-mnist", "real labelled source to classify"),
            Param("source_params", None, "parameters of that source", type=dict),
            Param("train_size", 10000, f"{train_help}, a fixed subset, for sources that take train_size", minimum=1),
            Param("test_size", test_size, f"{test_help}, a fixed subset, for sources that take test_size", minimum=1))


class LabelledProbe:
    """Base of a probe on frozen features of a real labelled source: `who` names it in messages."""

    who = "probe"

    def set_source(self, source: str, source_params: dict | None, train_size: int, test_size: int,
                   image_size: int) -> None:
        self.source, self.source_params = source, dict(source_params or {})
        self.train_size, self.test_size, self.image_size = train_size, test_size, image_size

    def preflight(self, pf) -> None:
        """Before any pretraining: the source's files are there (checked cheaply by the source)."""
        pf.source(self.source, self.source_params, where=self.who)


def top1_top5(scores: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    return {"top1": topk_accuracy(scores, labels, 1), "top5": topk_accuracy(scores, labels, 5)}


def labelled_features(ctx, probe, who: str):
    """(train, train_labels, test, test_labels, classes) at the probe's image size."""
    return ctx.labelled_features(probe.source, probe.source_params, probe.train_size, probe.test_size, who=who,
                                 size=probe.image_size)
