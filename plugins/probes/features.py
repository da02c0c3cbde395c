"""What the built-in probes share: the `image_size` parameter and asking the harness for features at it."""

from __future__ import annotations

import inspect

from harness import CellContext, ConfigError, Param

IMAGE_SIZE = Param("image_size", 0, "embed the probe's images at this size (0: the budget's image_size); the "
                   "paper's small scale probes at 64 px while pretraining on 128 px images", minimum=0,
                   omit_at_default=True)  # absent from the key at 0: existing cells keep their keys


def harness_takes_size() -> bool:
    """Whether this harness' CellContext.labelled_features accepts `size=`."""
    return "size" in inspect.signature(CellContext.labelled_features).parameters


def check_size(image_size: int, who: str) -> None:
    """Preflight: a probe asking for its own image size needs a harness that can extract at it."""
    if image_size and not harness_takes_size():
        raise ConfigError(f"{who}: image_size={image_size} needs a seebench whose CellContext.labelled_features "
                          f"takes size=; this one embeds at the budget's image_size only (set image_size = 0)")


def labelled_features(ctx, probe, who: str):
    """(train, train_labels, test, test_labels, classes) at the probe's image size."""
    extra = {"size": probe.image_size} if probe.image_size else {}
    return ctx.labelled_features(probe.source, probe.source_params, probe.train_size, probe.test_size, who=who,
                                 **extra)
