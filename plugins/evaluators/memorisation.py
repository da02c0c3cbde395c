"""Memorisation: each sample's nearest GAN-training crop in three views, near-copy thresholds calibrated on held-out photos."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

# two pixel views of an image: "pixels" (grey, half resolution: fine detail) and "low-pass" (grey,
# 1/8: the scene layout, which survives blurring, a few pixels' shift and added noise); a third,
# "features", is the encoder the appearance metrics (KID) use: it sees a copy that is mirrored or
# moved, which no pixel-aligned view does
VIEWS = {"pixels": 2, "lowpass": 8}
FEATURES = "features"
CALIBRATION_QUANTILE = 0.05  # of held-out-to-train distances
CALIBRATION_FACTOR = 0.5  # a near-copy is closer than half of that


def _view(images: torch.Tensor, pool: int) -> torch.Tensor:
    """uint8 (N, C, H, W) -> float (N, D): luminance in 0..1, average-pooled by `pool`."""
    x = images.float() / 255.0
    if x.shape[1] == 3:
        x = 0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]
    x = F.avg_pool2d(x, pool) if min(x.shape[-2:]) >= 2 * pool else x
    return x.flatten(1)


def _nearest_rows(q: torch.Tensor, t: torch.Tensor, chunk: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """RMS distance of each row of q to its nearest row of t, and that row's index."""
    dists, idx = [], []
    for start in range(0, len(q), chunk):
        d = torch.cdist(q[start:start + chunk], t) / np.sqrt(t.shape[1])
        v, i = d.min(dim=1)
        dists.append(v)
        idx.append(i)
    return torch.cat(dists), torch.cat(idx)


def nearest(queries: torch.Tensor, train: torch.Tensor, pool: int, chunk: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """RMS distance of each query to its nearest training image in one pixel view, and that image's index."""
    return _nearest_rows(_view(queries, pool), _view(train, pool), chunk)


def feature_directions(features: torch.Tensor, train_mean: torch.Tensor) -> torch.Tensor:
    """Features centred on the training crops' mean, unit length: their L2 distance is a cosine distance
    (sqrt(2 - 2 cos)). Centring matters: a random-init encoder's features share a large common part
    (all positive after the last ReLU), which leaves every pair of crops at a cosine near 1."""
    x = features.float() - train_mean
    return x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)


@dataclass
class CopyReport:
    is_copy: np.ndarray  # bool per sample: a near-copy in any view
    nearest_index: np.ndarray  # index of each sample's nearest training crop (pixels view)
    thresholds: dict[str, float]  # per view: distance below which a sample is a near-copy
    ratio_median: dict[str, float]  # per view: median sample NN distance / median held-out NN distance
    flags: dict[str, np.ndarray] = field(default_factory=dict)  # per view: bool per sample

    @property
    def fraction(self) -> float:
        return float(self.is_copy.mean()) if len(self.is_copy) else 0.0

    def view_fraction(self, view: str) -> float:
        f = self.flags[view]
        return float(f.mean()) if len(f) else 0.0


def near_copies(samples: torch.Tensor, train: torch.Tensor, held_out: torch.Tensor,
                embed: Callable[[torch.Tensor], torch.Tensor] | None = None) -> CopyReport:
    """Flag samples that are near-copies of GAN-training crops.

    Held-out crops are real photos the GAN never saw: their distances to the training crops are
    what "new content" looks like for this collection (small when every photo shows the same cup).
    A sample closer to a training crop than half the 5th percentile of those distances is a
    near-copy in that view; with `embed` (uint8 images -> features) the encoder's features are a
    third view, calibrated the same way. A sample is a near-copy if any view says so: each view
    misses a kind of copy the others see (pixels: a blurred or noisy copy; low-pass: a moved or
    mirrored one; features: a faint change of fine detail), and each view's own false-positive rate
    on new content is below the quantile, so "any" costs at most a few percent more of them."""
    flags_by_view, thresholds, ratios, nearest_idx = {}, {}, {}, None
    views = {view: (lambda x, p=pool: _view(x, p)) for view, pool in VIEWS.items()}
    if embed is not None:
        f_train = embed(train)
        mean = f_train.float().mean(0)
        views[FEATURES] = lambda x: feature_directions(embed(x), mean)
    for view, represent in views.items():
        t = feature_directions(f_train, mean) if view == FEATURES else represent(train)
        d_ho, _ = _nearest_rows(represent(held_out), t)
        d_s, idx = _nearest_rows(represent(samples), t)
        tau = CALIBRATION_FACTOR * float(torch.quantile(d_ho, CALIBRATION_QUANTILE))
        thresholds[view] = tau
        ratios[view] = float(d_s.median() / d_ho.median().clamp_min(1e-12))
        flags_by_view[view] = (d_s < tau).numpy()
        if nearest_idx is None:
            nearest_idx = idx.numpy()
    flags = np.logical_or.reduce(list(flags_by_view.values()))
    return CopyReport(flags, nearest_idx, thresholds, ratios, flags_by_view)


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
