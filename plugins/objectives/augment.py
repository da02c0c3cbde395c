"""The paper's contrastive augmentations (crop, flip, colour jitter, grayscale, optional blur) on uint8 batches."""

from __future__ import annotations

import torch
import torchvision.transforms.v2 as T

from seebench import to_model_input, to_rgb

from seebench_plugins.objectives.batched_augment import augment_batch

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def paper_transform(size: int, blur: bool, scale_min: float = 0.08, jitter: float = 0.4) -> T.Compose:
    """One view's random transform, as in the paper (blur for MoCo v2 only)."""
    steps = [
        T.RandomResizedCrop(size, scale=(scale_min, 1.0), antialias=True),
        T.RandomHorizontalFlip(),
        T.RandomApply([T.ColorJitter(jitter, jitter, jitter, min(jitter / 4, 0.5))], p=0.8),
        T.RandomGrayscale(p=0.2),
    ]
    if blur:
        # MoCo v2: Gaussian blur, sigma in [0.1, 2], kernel ~10% of the image (odd), p = 0.5.
        kernel = max(3, int(0.1 * size) // 2 * 2 + 1)
        steps.append(T.RandomApply([T.GaussianBlur(kernel, sigma=(0.1, 2.0))], p=0.5))
    return T.Compose(steps)


class TwoViews:
    """uint8 (N, C, H, W) -> two independently augmented, normalised float views on `device`.

    `mode="batched"` (default) draws per-image parameters and applies them to the whole batch
    (batched_augment.py); `mode="torchvision"` calls the v2 Compose once per image, the reference.
    """

    def __init__(self, size: int, blur: bool = False, scale_min: float = 0.08, jitter: float = 0.4,
                 mode: str = "batched"):
        if mode not in ("batched", "torchvision"):
            raise ValueError(f"augmentation mode must be 'batched' or 'torchvision', got {mode!r}")
        self.size, self.blur, self.scale_min, self.jitter, self.mode = size, blur, scale_min, jitter, mode
        self.transform = paper_transform(size, blur, scale_min, jitter)

    def _normalise(self, x: torch.Tensor) -> torch.Tensor:
        mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
        return (x - mean) / std

    def __call__(self, images: torch.Tensor, device: torch.device, rows: slice | None = None,
                 total: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """`images` may be rows `rows` of a batch of `total` (a DDP rank's part): augmented as in the whole batch."""
        rgb = to_rgb(images)
        if self.mode == "torchvision":
            if rows is not None:
                raise ValueError("augmentation mode 'torchvision' draws per image in turn and cannot augment part "
                                 "of a batch; use mode 'batched' with several processes")
            rgb = rgb.contiguous()
            a = torch.stack([self.transform(im) for im in rgb])
            b = torch.stack([self.transform(im) for im in rgb])
            return to_model_input(a, None, device), to_model_input(b, None, device)
        x = rgb.to(device, non_blocking=True).float().div_(255.0)
        return tuple(self._normalise(augment_batch(x, self.size, self.blur, self.scale_min, self.jitter, rows, total))
                     for _ in range(2))
