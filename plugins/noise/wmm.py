"""Wavelet marginal model: a steerable pyramid whose subbands are pushed to exp(-|x/s|^r) marginals."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import scipy.fft as sfft
import scipy.special as sps

N_ORIENT = 4
_GRID = 1024  # bins of the empirical-CDF map per subband
_QLEVELS = 4096  # resolution of the target quantile table


def n_scales_for(size: int) -> int:
    """3 scales at 128 px and 4 at 256 px (the paper), one per octave elsewhere (>= 1)."""
    return max(1, int(round(math.log2(size))) - 4)


@lru_cache(maxsize=16)
def filters(size: int, n_scales: int) -> tuple[np.ndarray, np.ndarray]:
    """Undecimated tight-frame steerable pyramid in the rfft layout.

    Returns (bands, lowpass): bands (1 + n_scales*4, H, W//2+1) = [highpass, then per scale 4
    oriented bands with angular response ~|cos(theta - k*pi/4)|^3], and the residual lowpass.
    The squared responses sum to one at every frequency, so synthesis is sum(band_fft * filter).
    """
    fy = np.fft.fftfreq(size)[:, None] * 2 * np.pi
    fx = np.fft.rfftfreq(size)[None, :] * 2 * np.pi
    rho = np.sqrt(fx**2 + fy**2)
    theta = np.arctan2(fy, fx)

    def lowpass(cut: float) -> np.ndarray:  # 1 below cut/2, 0 above cut, log-raised-cosine between
        with np.errstate(divide="ignore"):
            t = np.clip(np.log2(np.maximum(rho, 1e-12) / (cut / 2)), 0.0, 1.0)
        return np.cos(t * np.pi / 2)

    lps = [lowpass(np.pi / 2**j) for j in range(n_scales + 1)]
    out = [np.sqrt(np.clip(1.0 - lps[0] ** 2, 0, None))]
    const = 2 ** (N_ORIENT - 1) * math.factorial(N_ORIENT - 1) / math.sqrt(N_ORIENT * math.factorial(2 * (N_ORIENT - 1)))
    for j in range(n_scales):
        radial = np.sqrt(np.clip(lps[j] ** 2 - lps[j + 1] ** 2, 0, None))
        for k in range(N_ORIENT):
            ang = const * np.abs(np.cos(theta - np.pi * k / N_ORIENT)) ** (N_ORIENT - 1)
            out.append(radial * ang)
    return np.stack(out).astype(np.float32), lps[n_scales].astype(np.float32)


@lru_cache(maxsize=64)
def gg_quantiles(r: float) -> np.ndarray:
    """Quantiles (at (i+0.5)/Q) of the unit-variance generalised Gaussian p(x) ∝ exp(-|x|^r)."""
    p = (np.arange(_QLEVELS) + 0.5) / _QLEVELS
    mag = sps.gammaincinv(1.0 / r, np.abs(2 * p - 1)) ** (1.0 / r)
    q = np.sign(p - 0.5) * mag
    return (q / math.sqrt(sps.gamma(3.0 / r) / sps.gamma(1.0 / r))).astype(np.float32)


def match_marginals(bands: np.ndarray, r: float) -> np.ndarray:
    """Histogram-match every row of `bands` (B, N) to the generalised Gaussian of shape r, same std.

    The empirical CDF of each band is read off a 1024-bin histogram (one np.bincount for all
    bands), composed with the target quantile function into one table per band, and every
    coefficient is mapped by a lookup and a linear interpolation: O(N) instead of the argsort of
    exact rank matching (measured ~5x cheaper here).
    """
    nb, n = bands.shape
    stride = _GRID + 1
    lo = bands.min(1, keepdims=True)
    hi = bands.max(1, keepdims=True)
    std = bands.std(1)
    pos = (bands - lo) * (np.float32(_GRID - 1e-3) / np.maximum(hi - lo, np.float32(1e-12)))
    idx = pos.astype(np.int32)
    frac = pos - idx
    idx += (np.arange(nb, dtype=np.int32) * stride)[:, None]
    counts = np.bincount(idx.ravel(), minlength=nb * stride).reshape(nb, stride)
    cdf = np.zeros((nb, stride), dtype=np.float64)
    np.cumsum(counts[:, :-1], axis=1, out=cdf[:, 1:])
    cdf /= n
    q = gg_quantiles(round(float(r), 4))
    levels = (np.arange(_QLEVELS) + 0.5) / _QLEVELS
    table = (np.interp(cdf.ravel(), levels, q).reshape(nb, stride) * std[:, None]).astype(np.float32)
    step = np.zeros_like(table)
    step[:, :-1] = table[:, 1:] - table[:, :-1]
    table, step = table.ravel(), step.ravel()
    return table[idx] + frac * step[idx]


def wmm(fields: np.ndarray, r: float, iterations: int = 10, n_scales: int | None = None) -> np.ndarray:
    """Impose generalised-Gaussian subband marginals on (C, H, W) fields by alternating projections.

    Each iteration: analyse with the steerable pyramid, histogram-match every oriented subband,
    synthesise. The highpass residual and the lowpass residual are kept as they are.
    """
    c, h, w = fields.shape
    n_scales = n_scales_for(h) if n_scales is None else n_scales
    bank, low = filters(h, n_scales)
    spec = sfft.rfft2(fields)
    for _ in range(iterations):
        bands = sfft.irfft2(spec[:, None] * bank[None, 1:], s=(h, w))  # (C, 4*scales, H, W)
        flat = bands.reshape(-1, h * w)
        bands = match_marginals(flat, r).reshape(bands.shape)
        spec = (sfft.rfft2(bands) * bank[None, 1:]).sum(1) + spec * (bank[0] ** 2 + low**2)[None]
    return sfft.irfft2(spec, s=(h, w))
