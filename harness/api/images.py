"""Image containers and conversions: uint8 (N, C, H, W) RGB in transit, float tensors for models."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import torch
import torch.nn.functional as F

from seebench.primitives.order import permutation

# Models see images normalised with ImageNet statistics, the convention of timm/torchvision.
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


@dataclass
class ImageSet:
    """Images held in memory with optional labels: what a source's `load(split)` returns."""

    images: torch.Tensor  # uint8, (N, C, H, W)
    labels: torch.Tensor | None = None  # int64, (N,)
    classes: list[str] = field(default_factory=list)
    name: str = ""

    def __post_init__(self) -> None:
        if self.images.dtype != torch.uint8 or self.images.ndim != 4:
            raise ValueError(
                f"ImageSet {self.name!r}: images must be uint8 (N, C, H, W), "
                f"got {self.images.dtype} {tuple(self.images.shape)}"
            )
        if self.labels is not None and len(self.labels) != len(self.images):
            raise ValueError(f"ImageSet {self.name!r}: {len(self.labels)} labels for {len(self.images)} images")

    def __len__(self) -> int:
        return len(self.images)

    def batch(self, indices: Sequence[int] | torch.Tensor) -> torch.Tensor:
        idx = torch.as_tensor(indices, dtype=torch.long)
        return self.images[idx]

    def batch_labels(self, indices: Sequence[int] | torch.Tensor) -> torch.Tensor | None:
        if self.labels is None:
            return None
        return self.labels[torch.as_tensor(indices, dtype=torch.long)]

    def subset(self, n: int | None, seed: int = 0) -> "ImageSet":
        """A deterministic random subset of `n` images (all of them when n is None or too big)."""
        if n is None or n >= len(self):
            return self
        idx = permutation(len(self), seed)[:n].sort().values
        labels = self.labels[idx] if self.labels is not None else None
        return ImageSet(self.images[idx], labels, list(self.classes), self.name)


def check_uint8_batch(images: torch.Tensor, who: str) -> torch.Tensor:
    """Raise a clear error unless `images` is a uint8 (N, C, H, W) batch with 1 or 3 channels."""
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.ndim != 4:
        got = f"{images.dtype} {tuple(images.shape)}" if isinstance(images, torch.Tensor) else type(images).__name__
        raise TypeError(f"{who} must return uint8 tensors shaped (N, C, H, W); got {got}")
    if images.shape[1] not in (1, 3):
        raise TypeError(f"{who} returned {images.shape[1]} channels; expected 1 (grey) or 3 (RGB)")
    return images


def to_rgb(images: torch.Tensor) -> torch.Tensor:
    """Repeat a grey channel to RGB; leave RGB alone."""
    return images.expand(-1, 3, -1, -1) if images.shape[1] == 1 else images


def resize(images: torch.Tensor, size: int) -> torch.Tensor:
    """Resize a float batch to size x size (bilinear, antialiased) unless it already is."""
    if images.shape[-2:] == (size, size):
        return images
    return F.interpolate(images, size=(size, size), mode="bilinear", antialias=True, align_corners=False)


def to_model_input(images: torch.Tensor, size: int | None = None, device: torch.device | str | None = None) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float32 RGB, resized, normalised with ImageNet mean/std."""
    x = to_rgb(images)
    if device is not None:
        x = x.to(device, non_blocking=True)
    x = x.float().div_(255.0)
    if size is not None:
        x = resize(x, size)
    mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """float in [0, 1] -> uint8, rounding and clamping."""
    return images.clamp(0, 1).mul(255).round().to(torch.uint8)
