"""Statistics that decide what a statistical-family image looks like, one number (or row) per image.

Used by tests/test_fidelity_statistical.py to compare the fast generator with the reference
(tests/references/statistical.py); every function takes a uint8 stack (N, 3, H, W).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import kurtosis

from references.statistical import build_pyramid, n_scales


def channel_correlation(images: np.ndarray) -> np.ndarray:
    """(N, 3): Pearson correlation of the channel pairs RG, RB, GB per image (1 for a grey image)."""
    x = images.reshape(len(images), 3, -1).astype(np.float64)
    x = x - x.mean(2, keepdims=True)
    x /= np.sqrt((x * x).sum(2, keepdims=True)) + 1e-12
    return np.stack([(x[:, 0] * x[:, 1]).sum(1), (x[:, 0] * x[:, 2]).sum(1), (x[:, 1] * x[:, 2]).sum(1)], 1)


def _amplitude(images: np.ndarray) -> np.ndarray:
    """Mean over channels of |FFT| of each centred channel, (N, H, W), unshifted layout."""
    x = images.astype(np.float64)
    x = x - x.mean(axis=(2, 3), keepdims=True)
    return np.abs(np.fft.fft2(x)).mean(1)


def axis_slopes(images: np.ndarray, fmin: int = 2, fmax_frac: float = 0.25) -> np.ndarray:
    """(N, 2): slope of log amplitude vs log frequency along the fx axis and along the fy axis.

    The official magnitude 1/(|fx|^sx + |fy|^sy) is 1/|fx|^sx on the fx axis: the fitted slope
    is -sx there. Both half-axes are averaged; frequencies fmin .. fmax_frac * size.
    """
    amp = _amplitude(images)
    n = images.shape[-1]
    k = np.arange(fmin, int(fmax_frac * n) + 1)
    along_x = 0.5 * (amp[:, 0, k] + amp[:, 0, -k])
    along_y = 0.5 * (amp[:, k, 0] + amp[:, -k, 0])
    logk = np.log(k)
    fit = lambda a: np.polyfit(logk, np.log(a.T + 1e-12), 1)[0]  # noqa: E731
    return np.stack([fit(along_x), fit(along_y)], 1)


def diagonal_to_axis(images: np.ndarray, fmin: int = 4, fmax_frac: float = 0.2) -> np.ndarray:
    """(N,): log of the mean amplitude on the diagonals over that on the axes, same radii.

    1/(|fx|^s + |fy|^s) gives 2^(s/2 - 1) at radius f (below 1 for s < 2, above for s > 2); a
    radial 1/f^alpha gives 1 whatever alpha.
    """
    amp = _amplitude(images)
    n = images.shape[-1]
    r = np.arange(fmin, int(fmax_frac * n) + 1)
    d = np.rint(r / np.sqrt(2)).astype(int)
    diag = (amp[:, d, d] + amp[:, d, -d] + amp[:, -d, d] + amp[:, -d, -d]) / 4
    axis = (amp[:, 0, r] + amp[:, 0, -r] + amp[:, r, 0] + amp[:, -r, 0]) / 4
    return np.log(diag / (axis + 1e-12) + 1e-12).mean(1)


def band_statistics(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N*3, levels) excess kurtosis per pyramid level (mean over its 4 orientations) and
    (N*3, levels) log std of each level over that of the finest, per channel (pyrtools layout)."""
    scales = n_scales(images.shape[-1])
    kurt, logstd = [], []
    for img in images.astype(np.float64):
        for ch in img:
            pyr = build_pyramid(ch, scales)
            k = [np.mean([kurtosis(pyr[(lv, b)].ravel()) for b in range(4)]) for lv in range(scales)]
            s = [np.mean([pyr[(lv, b)].std() for b in range(4)]) for lv in range(scales)]
            kurt.append(k)
            logstd.append(np.log(np.asarray(s) / (s[0] + 1e-12) + 1e-12))
    return np.array(kurt), np.array(logstd)


def range_and_levels(images: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per image: min and max over all channels, and per channel the share of pixels on its 8 most
    common values (high for a posterised, colour-model image; low for smooth fields)."""
    flat = images.reshape(len(images), 3, -1)
    lo, hi = flat.min(axis=(1, 2)), flat.max(axis=(1, 2))
    top = np.array([[np.sort(np.bincount(c, minlength=256))[-8:].sum() / c.size for c in im] for im in flat])
    return lo, hi, top


def channel_means_stds(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N*3,) channel means and stds: how the images vary in colour and contrast one from another."""
    x = images.reshape(len(images), 3, -1).astype(np.float64)
    return x.mean(2).ravel(), x.std(2).ravel()
