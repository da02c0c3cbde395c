"""Encoders `resnet18`, `resnet50` and `timm:<name>`: timm backbones, random init, optional small stem."""

from __future__ import annotations

import difflib

import timm
import torch
from torch import nn

from seebench import ENCODER, Component, ConfigError, Param, hookimpl, param_defaults

RESNET_CHANNELS = (64, 128, 256, 512)


class TimmEncoder(nn.Module):
    """A timm backbone with its classifier removed: images -> pooled features (`feature_dim`)."""

    def __init__(self, model_name: str, small_stem: bool = True, width: float = 1.0, **kwargs):
        super().__init__()
        self.model_name = model_name
        if width != 1.0:
            if not model_name.startswith(("resnet", "wide_resnet")):
                raise ConfigError(f"encoder '{model_name}': width is only supported for timm ResNets")
            kwargs["channels"] = tuple(max(4, int(round(c * width))) for c in RESNET_CHANNELS)
            kwargs["stem_width"] = max(4, int(round(64 * width)))
        try:
            # pretrained=False: nothing is downloaded, weights are a seeded random init.
            self.backbone = timm.create_model(model_name, pretrained=False, num_classes=0, **kwargs)
        except RuntimeError as exc:  # timm's "Unknown model" message
            close = difflib.get_close_matches(model_name, timm.list_models(), n=5, cutoff=0.6)
            hint = f"; close names: {', '.join(close)}" if close else ""
            raise ConfigError(f"encoder 'timm:{model_name}': timm has no such model ({exc}){hint}") from None
        if small_stem and hasattr(self.backbone, "conv1") and hasattr(self.backbone, "maxpool"):
            # CIFAR-style stem for 32-64 px inputs: 3x3 stride-1 conv, no max-pool.
            conv1 = self.backbone.conv1
            if isinstance(conv1, nn.Conv2d):
                self.backbone.conv1 = nn.Conv2d(3, conv1.out_channels, kernel_size=3, stride=1, padding=1, bias=False)
                self.backbone.maxpool = nn.Identity()
        # with num_classes=0 timm returns pre-logits features: head_hidden_size where a model has a
        # hidden head layer (MobileNetV3, ...), else num_features
        self.feature_dim = getattr(self.backbone, "head_hidden_size", None) or self.backbone.num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        try:
            return self.backbone(x)
        except (RuntimeError, AssertionError) as exc:
            if isinstance(exc, AssertionError) or "size" in str(exc).lower():
                raise ConfigError(
                    f"encoder '{self.model_name}' cannot take {tuple(x.shape[-2:])} px images ({exc}); "
                    f"pick a budget image_size the model accepts"
                ) from exc
            raise


def _params(small_stem_default: bool) -> tuple[Param, ...]:
    return (
        Param("small_stem", small_stem_default, "3x3 stride-1 stem without max-pool, for 32-64 px images"),
        Param("width", 1.0, "channel multiplier of a ResNet (0.25 makes CPU runs feasible)", minimum=0.0625, maximum=4.0),
    )


RESNET18_PARAMS = _params(True)
RESNET50_PARAMS = _params(False)
TIMM_PARAMS = (Param("variant", "resnet18", "the timm model name"),) + _params(False)


@param_defaults(RESNET18_PARAMS)
def resnet18(*, small_stem: bool, width: float) -> TimmEncoder:
    return TimmEncoder("resnet18", small_stem=small_stem, width=width)


@param_defaults(RESNET50_PARAMS)
def resnet50(*, small_stem: bool, width: float) -> TimmEncoder:
    return TimmEncoder("resnet50", small_stem=small_stem, width=width)


@param_defaults(TIMM_PARAMS)
def timm_any(*, variant: str, small_stem: bool, width: float) -> TimmEncoder:
    if not variant:
        raise ConfigError("encoder 'timm:*' needs a model name, e.g. timm:resnet34")
    return TimmEncoder(variant, small_stem=small_stem, width=width)


@hookimpl
def seebench_register_encoders():
    return [
        Component(
            kind=ENCODER,
            name="resnet18",
            factory=resnet18,
            description="ResNet-18 from timm, random init, 512-d pooled features (times width)",
            params=RESNET18_PARAMS,
            tags=("resnet",),
            version="2",
        ),
        Component(
            kind=ENCODER,
            name="resnet50",
            factory=resnet50,
            description="ResNet-50 from timm, random init, 2048-d pooled features: the paper's large scale",
            params=RESNET50_PARAMS,
            tags=("resnet",),
        ),
        Component(
            kind=ENCODER,
            name="timm:*",
            factory=timm_any,
            description="any timm model by name (timm:resnet34, timm:vit_tiny_patch16_224, ...), random init",
            params=TIMM_PARAMS,
            tags=("timm",),
        ),
    ]
