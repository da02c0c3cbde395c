"""What the built-in probes share: the `image_size` parameter and asking the harness for features at it."""

from __future__ import annotations

from seebench import Param

IMAGE_SIZE = Param("image_size", 0, "embed the probe's images at this size (0: the budget's image_size); the "
                   "paper's small scale probes at 64 px while pretraining on 128 px images", minimum=0,
                   omit_at_default=True)  # absent from the key at 0: existing cells keep their keys


def labelled_features(ctx, probe, who: str):
    """(train, train_labels, test, test_labels, classes) at the probe's image size."""
    return ctx.labelled_features(probe.source, probe.source_params, probe.train_size, probe.test_size, who=who,
                                 size=probe.image_size)
