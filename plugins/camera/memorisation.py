"""Memorisation: each sample's nearest GAN-training crop, a near-copy threshold calibrated on held-out photos."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

# two views of an image: "pixels" (grey, half resolution: fine detail) and "low-pass" (grey, 1/8:
# the scene layout, which survives blurring, a few pixels' shift and added noise)
VIEWS = {"pixels": 2, "lowpass": 8}
CALIBRATION_QUANTILE = 0.05  # of held-out-to-train distances
CALIBRATION_FACTOR = 0.5  # a near-copy is closer than half of that


def _view(images: torch.Tensor, pool: int) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float (N, D): luminance in 0..1, average-pooled by `pool`."""
    x = images.float() / 255.0
    if x.shape[1] == 3:
        x = 0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]
    x = F.avg_pool2d(x, pool) if min(x.shape[-2:]) >= 2 * pool else x
    return x.flatten(1)


def nearest(queries: torch.Tensor, train: torch.Tensor, pool: int, chunk: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """RMS distance of each query to its nearest training image in one view, and that image's index."""
    t = _view(train, pool)
    dists, idx = [], []
    for start in range(0, len(queries), chunk):
        q = _view(queries[start:start + chunk], pool)
        d = torch.cdist(q, t) / np.sqrt(t.shape[1])
        v, i = d.min(dim=1)
        dists.append(v)
        idx.append(i)
    return torch.cat(dists), torch.cat(idx)


@dataclass
class CopyReport:
    is_copy: np.ndarray  # bool per sample
    nearest_index: np.ndarray  # index of each sample's nearest training crop (pixels view)
    thresholds: dict[str, float]  # per view: distance below which a sample is a near-copy
    ratio_median: dict[str, float]  # per view: median sample NN distance / median held-out NN distance

    @property
    def fraction(self) -> float:
        return float(self.is_copy.mean()) if len(self.is_copy) else 0.0


def near_copies(samples: torch.Tensor, train: torch.Tensor, held_out: torch.Tensor) -> CopyReport:
    """Flag samples that are near-copies of GAN-training crops.

    Held-out crops are real photos the GAN never saw: their distances to the training crops are
    what "new content" looks like for this collection (small when every photo shows the same cup).
    A sample closer to a training crop than half the 5th percentile of those distances, in either
    view, is a near-copy."""
    flags = np.zeros(len(samples), dtype=bool)
    thresholds, ratios, nearest_idx = {}, {}, None
    for view, pool in VIEWS.items():
        d_ho, _ = nearest(held_out, train, pool)
        d_s, idx = nearest(samples, train, pool)
        tau = CALIBRATION_FACTOR * float(torch.quantile(d_ho, CALIBRATION_QUANTILE))
        thresholds[view] = tau
        ratios[view] = float(d_s.median() / d_ho.median().clamp_min(1e-12))
        flags |= (d_s < tau).numpy()
        if nearest_idx is None:
            nearest_idx = idx.numpy()
    return CopyReport(flags, nearest_idx, thresholds, ratios)


def save_pairs(path, samples: torch.Tensor, train: torch.Tensor, report: CopyReport, count: int = 16) -> None:
    """A PNG: each of the first `count` samples above its nearest training crop (a red frame: near-copy)."""
    from torchvision.utils import save_image

    n = min(count, len(samples))
    top = samples[:n].float() / 255
    bottom = train[torch.as_tensor(report.nearest_index[:n])].float() / 255
    top = top.clone()
    for i in np.flatnonzero(report.is_copy[:n]):
        top[i, :, :2, :], top[i, :, -2:, :], top[i, :, :, :2], top[i, :, :, -2:] = 0, 0, 0, 0
        top[i, 0, :2, :], top[i, 0, -2:, :], top[i, 0, :, :2], top[i, 0, :, -2:] = 1, 1, 1, 1
    save_image(torch.cat([top, bottom]), path, nrow=n)
