"""Per-channel renormalisation of float images to natural-image (ImageNet) mean and std, then uint8."""

from __future__ import annotations

import numpy as np
import torch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def to_natural_uint8(image: torch.Tensor) -> torch.Tensor:
    """(3, H, W) float -> uint8 whose channels have ImageNet's mean and std (before clipping).

    Statistics are taken in float64 numpy over one image at a time: no thread- or batch-dependent
    reduction order, so the bytes depend on the image alone."""
    x = image.detach().cpu().numpy().astype(np.float64).reshape(3, -1)
    mean = x.mean(axis=1, keepdims=True)
    std = x.std(axis=1, keepdims=True)
    std[std == 0] = 1.0
    target_mean = np.asarray(IMAGENET_MEAN)[:, None]
    target_std = np.asarray(IMAGENET_STD)[:, None]
    out = ((x - mean) / std * target_std + target_mean) * 255.0
    out = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return torch.from_numpy(out.reshape(image.shape))
