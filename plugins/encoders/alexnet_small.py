"""Encoder `alexnet-small`: the paper's small-scale AlexNet (5 conv, fc6/fc7, 128-d L2-normalised output)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seebench import ENCODER, Component, ConfigError, Param, hookimpl, param_defaults

# Channels of Wang & Isola's SmallAlexNet (used by Baradad et al. at 64 px): conv1..conv5, fc.
CONV = (96, 192, 384, 384, 192)
FC = 4096
MIN_SIZE = 15  # three 3x3/2 max-pools: 15 -> 7 -> 3 -> 1


def _conv(cin: int, cout: int, pool: bool) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(3, 2))
    return nn.Sequential(*layers)


PARAMS = (
    Param("width", 1.0, "multiplier of conv channels and fc width (1.0: 96..384 conv, 4096 fc)",
          minimum=0.03, maximum=4.0),
    Param("embed_dim", 128, "dimension of the normalised output the objective trains", minimum=2),
    Param("grid", 7, "conv5 is max-pooled to grid x grid before fc6 (7 is exact at 64 px)", minimum=1),
)


@param_defaults(PARAMS)
class AlexNetSmall(nn.Module):
    """`forward` returns fc6 (what the probe sees, `feature_dim`); `embed` continues through fc7 and
    fc8 to the L2-normalised `embed_dim` output that pretraining objectives use.

    The conv5 map is pooled to a fixed `grid` x `grid` (7 x 7 is exact at 64 px, as in the paper), so
    fc6 takes any image of at least 15 px.
    """

    def __init__(self, *, width: float, embed_dim: int, grid: int):
        super().__init__()
        ch = [max(4, int(round(c * width))) for c in CONV]
        fc = max(16, int(round(FC * width)))
        self.features = nn.Sequential(
            _conv(3, ch[0], True), _conv(ch[0], ch[1], True), _conv(ch[1], ch[2], False),
            _conv(ch[2], ch[3], False), _conv(ch[3], ch[4], True),
        )
        self.pool = nn.AdaptiveMaxPool2d(grid)
        self.fc6 = nn.Sequential(nn.Flatten(), nn.Linear(ch[4] * grid * grid, fc, bias=False),
                                 nn.BatchNorm1d(fc), nn.ReLU(inplace=True))
        self.fc7 = nn.Sequential(nn.Linear(fc, fc, bias=False), nn.BatchNorm1d(fc), nn.ReLU(inplace=True))
        self.fc8 = nn.Linear(fc, embed_dim)
        self.feature_dim = fc
        self.embed_dim = embed_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or min(x.shape[-2:]) < MIN_SIZE:
            raise ConfigError(
                f"encoder 'alexnet-small' needs images of at least {MIN_SIZE}x{MIN_SIZE} px (N, 3, H, W), "
                f"got {tuple(x.shape)}; raise the budget's image_size"
            )
        return self.fc6(self.pool(self.features(x)))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The pretraining output: fc6 -> fc7 -> fc8 -> L2 normalisation."""
        return F.normalize(self.fc8(self.fc7(self.forward(x))), dim=1)


@hookimpl
def seebench_register_encoders():
    return [
        Component(
            kind=ENCODER,
            name="alexnet-small",
            factory=AlexNetSmall,
            description="the paper's small AlexNet: 5 conv, fc6/fc7, 128-d L2-normalised output; probe on fc6",
            params=PARAMS,
            tags=("alexnet", "paper-small"),
        )
    ]
