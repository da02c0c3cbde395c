"""Encoder `resnet18`: timm's ResNet-18, random init, optional small-image stem."""

from __future__ import annotations

import timm
import torch
from torch import nn

from harness import ENCODER, Component, Param, hookimpl


class TimmEncoder(nn.Module):
    """A timm backbone with its classifier removed: images -> pooled features."""

    def __init__(self, model_name: str, small_stem: bool = True):
        super().__init__()
        # pretrained=False: nothing is downloaded, weights are a seeded random init.
        self.backbone = timm.create_model(model_name, pretrained=False, num_classes=0)
        if small_stem and hasattr(self.backbone, "conv1") and hasattr(self.backbone, "maxpool"):
            # CIFAR-style stem for 32-64 px inputs: 3x3 stride-1 conv, no max-pool.
            out = self.backbone.conv1.out_channels
            self.backbone.conv1 = nn.Conv2d(3, out, kernel_size=3, stride=1, padding=1, bias=False)
            self.backbone.maxpool = nn.Identity()
        self.feature_dim = self.backbone.num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)


def resnet18(small_stem: bool = True) -> TimmEncoder:
    return TimmEncoder("resnet18", small_stem=small_stem)


@hookimpl
def seebench_register_encoders():
    return [
        Component(
            kind=ENCODER,
            name="resnet18",
            factory=resnet18,
            description="ResNet-18 from timm, random init, 512-d pooled features",
            params=(Param("small_stem", True, "3x3 stride-1 stem without max-pool, for 32-64 px images"),),
            tags=("resnet",),
        )
    ]
