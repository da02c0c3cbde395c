"""Encoders `raw-pixels` and `mean-colors`: no-training baselines of the paper's chart."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seebench import ENCODER, Component, Param, hookimpl, param_defaults

RAW_PIXELS_PARAMS = (Param("size", 16, "pixels are area-resized to size x size before flattening", minimum=1),)
MEAN_COLORS_PARAMS = (Param("grid", 1, "mean colour per cell of a grid x grid partition", minimum=1),)


@param_defaults(RAW_PIXELS_PARAMS)
class RawPixels(nn.Module):
    """The image itself, area-resized to `size` x `size`, flattened: 3 * size^2 features."""

    def __init__(self, *, size: int):
        super().__init__()
        self.size = size
        self.feature_dim = 3 * size * size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(x, self.size).flatten(1)


@param_defaults(MEAN_COLORS_PARAMS)
class MeanColors(nn.Module):
    """Mean colour of each cell of a `grid` x `grid` partition: 3 * grid^2 features."""

    def __init__(self, *, grid: int):
        super().__init__()
        self.grid = grid
        self.feature_dim = 3 * grid * grid

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.adaptive_avg_pool2d(x, self.grid).flatten(1)


@hookimpl
def seebench_register_encoders():
    return [
        Component(
            kind=ENCODER,
            name="raw-pixels",
            factory=RawPixels,
            description="baseline: the normalised pixels themselves (area-resized), no training",
            params=RAW_PIXELS_PARAMS,
            uses=(),  # no trainable weights: the objective and the pretraining data are irrelevant
            tags=("baseline",),
            metadata={"role": "baseline", "baseline_label": "raw-pixels"},
        ),
        Component(
            kind=ENCODER,
            name="mean-colors",
            factory=MeanColors,
            description="baseline: mean RGB colour of the image (or of each grid cell), no training",
            params=MEAN_COLORS_PARAMS,
            uses=(),
            tags=("baseline",),
            metadata={"role": "baseline", "baseline_label": "mean-colors"},
        ),
    ]
