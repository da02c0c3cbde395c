"""The spectrum model (1/(|fx|^sx + |fy|^sy) magnitude) and the Mondrian colour model of the statistical families."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.fft as sfft
from scipy.ndimage import uniform_filter

# scipy.fft: float32 transforms, measured ~3.5x faster than numpy.fft on 128 px here.


@lru_cache(maxsize=16)
def _abs_freqs(size: int) -> tuple[np.ndarray, np.ndarray]:
    """|fx| (1, W//2+1) and |fy| (H, 1) in cycles per pixel, rfft layout (float64)."""
    return np.abs(np.fft.rfftfreq(size))[None, :], np.abs(np.fft.fftfreq(size))[:, None]


def draw_slopes(rng: np.random.Generator, lo: float, hi: float, jitter: float) -> tuple[float, float]:
    """s ~ U(lo, hi), d ~ N(0, jitter * (hi - lo)); the slopes (s + d, s - d) along x and y.

    Official sample_1f_spectrum: d = randn * |hi - lo| / 15 / 4, i.e. jitter = 1/60.
    """
    s = float(rng.uniform(lo, hi))
    d = float(rng.normal()) * abs(hi - lo) * jitter
    return s + d, s - d


def magnitude(size: int, slope_x: float, slope_y: float) -> np.ndarray:
    """|F| = 1 / (|fx|^slope_x + |fy|^slope_y), zero at DC, rfft layout float32 (not radial)."""
    fx, fy = _abs_freqs(size)
    amp = 1.0 / (1e-16 + fx**slope_x + fy**slope_y)
    amp[0, 0] = 0.0
    return amp.astype(np.float32)


def field_std(amp: np.ndarray, size: int) -> float:
    """Std of the size x size field whose rfft2 magnitude is `amp` (zero at DC), by Parseval."""
    weight = np.full(amp.shape[-1], 2.0)
    weight[0] = 1.0
    if size % 2 == 0:
        weight[-1] = 1.0  # the Nyquist column has no mirror
    return float(np.sqrt((amp.astype(np.float64) ** 2 * weight).sum()) / size**2)


def imposed_spectrum(x: np.ndarray, amp: np.ndarray, amp_std: float) -> np.ndarray:
    """rfft2 of impose_spectrum(x, amp) without going back to pixels: each channel's phase with
    magnitude `amp` scaled to the channel's std (amp_std = field_std(amp)), its mean at DC."""
    size = x.shape[-1]
    mean = x.mean(axis=(1, 2))
    std = x.std(axis=(1, 2))
    spec = sfft.rfft2(x)
    gain = np.abs(spec)
    np.maximum(gain, np.float32(1e-30), out=gain)
    np.divide(amp, gain, out=gain)
    spec *= gain
    spec *= (std / np.float32(amp_std)).astype(np.float32)[:, None, None]
    spec[:, 0, 0] = mean * np.float32(size * size)
    return spec


def impose_spectrum(x: np.ndarray, amp: np.ndarray) -> np.ndarray:
    """(C, H, W) -> each channel with magnitude `amp`, its own phase, its own mean and std kept."""
    size = x.shape[-1]
    mean = x.mean(axis=(1, 2), keepdims=True)
    std = x.std(axis=(1, 2), keepdims=True)
    spec = sfft.rfft2(x)
    spec *= amp / np.maximum(np.abs(spec), np.float32(1e-30))  # DC: amp is 0 there
    y = sfft.irfft2(spec, s=(size, size))
    y *= std / (y.std(axis=(1, 2), keepdims=True) + np.float32(1e-30))
    y += mean
    return y


class ColourModel:
    """A blurred Mondrian's colour rotation, mean colour and decorrelated channel histograms.

    Official sample_colormodel: 3-22 colours with weights 0.001 + U(0, 1), a multinomial pixel
    count per colour laid out in sorted runs, box blur of side ceil(U(0, 10)), stretch to uint8;
    then colorPCA (decor = colorPC @ centred, as written) and 256-bin histograms per channel.
    """

    def __init__(self, rng: np.random.Generator, size: int):
        ncolors = int(3 + np.floor(rng.uniform(0, 20)))
        prob = 0.001 + rng.uniform(0, 1, ncolors)
        prob /= prob.sum()
        counts = rng.multinomial(size * size, prob)
        colors = np.floor(rng.uniform(0, 256, size=(ncolors, 3))).astype(np.uint8)
        m = int(np.ceil(rng.uniform(0, 10)))
        rng.uniform(0, 10)  # the official scalar offset: removed by its stretch, drawn to keep the order
        index = np.repeat(np.arange(ncolors), counts).reshape(size, size)
        ref = colors.T[:, index].astype(np.float32)  # (3, H, W)
        ref = np.trunc(uniform_filter(ref, size=(1, m, m), mode="reflect"))  # written back into uint8
        ref -= ref.min()
        ref = np.trunc(255 * ref / max(float(ref.max()), 1e-6))
        flat = ref.reshape(3, -1).astype(np.float64)
        self.mean = flat.mean(1)
        flat -= self.mean[:, None]
        _, pc = np.linalg.eig(flat @ flat.T)
        self.pc = np.real(pc)
        decor = self.pc @ flat
        lo, hi = decor.min(1), decor.max(1)
        width = np.maximum(hi - lo, 1e-12) / 256
        bins = np.clip(((decor - lo[:, None]) / width[:, None]).astype(np.intp), 0, 255)
        hist = np.stack([np.bincount(b, minlength=256) for b in bins])
        self.quantiles = np.cumsum(hist, 1) / decor.shape[1]  # (3, 256)
        self.values = lo[:, None] + width[:, None] * (np.arange(256) + 0.5)  # bin centres

    def unrotate(self, x: np.ndarray) -> np.ndarray:
        """inv_colorPCA: colorPC^T @ x + mean colour, (3, H, W) float32."""
        pc = self.pc.astype(np.float32).T
        mean = self.mean.astype(np.float32)
        out = np.empty_like(x)
        for i in range(3):  # explicit 3-term sums: BLAS threads thrash on a busy machine
            out[i] = pc[i, 0] * x[0] + pc[i, 1] * x[1] + pc[i, 2] * x[2] + mean[i]
        return out


def stretch(x: np.ndarray) -> np.ndarray:
    """Full range over all channels: (x - min) / (max - min), float32 in [0, 1]."""
    lo, hi = x.min(), x.max()
    return (x - lo) / max(float(hi - lo), 1e-12)
