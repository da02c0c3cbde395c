"""Residual power spectra: azimuthal averages, JPEG 8x8 grid energy and CFA 2-pixel periodicity peaks."""

from __future__ import annotations

import numpy as np


def mean_power_spectrum(resid: np.ndarray) -> np.ndarray:
    """Mean |DFT|^2 / (H W) of zero-mean residuals (N, H, W), DC at [0, 0]."""
    r = resid - resid.mean(axis=(-2, -1), keepdims=True)
    h, w = r.shape[-2:]
    return (np.abs(np.fft.fft2(r, axes=(-2, -1))) ** 2).mean(axis=0) / (h * w)


def azimuthal_average(power: np.ndarray, bins: int = 32) -> np.ndarray:
    """Mean power in `bins` rings of radial frequency 0..0.5*sqrt(2) cycles/pixel."""
    h, w = power.shape
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.fftfreq(w)[None, :]
    radius = np.sqrt(fy ** 2 + fx ** 2)
    idx = np.minimum((radius / (0.5 * np.sqrt(2)) * bins).astype(int), bins - 1)
    total = np.bincount(idx.ravel(), weights=power.ravel(), minlength=bins)
    count = np.bincount(idx.ravel(), minlength=bins)
    return total / np.maximum(count, 1)


def spectrum_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of log10 azimuthal spectra (ring 0, the DC ring, left out)."""
    la = np.log10(np.maximum(a[1:], 1e-12))
    lb = np.log10(np.maximum(b[1:], 1e-12))
    return float(np.mean(np.abs(la - lb)))


def _peak_ratio(power: np.ndarray, coords: list[tuple[int, int]]) -> float:
    """Mean power at the given frequency bins over the median power (1 = no peak)."""
    ref = float(np.median(power)) + 1e-20
    return float(np.mean([power[y, x] for y, x in coords]) / ref)


def jpeg_grid_energy(power: np.ndarray) -> float:
    """Blockiness: power at multiples of 1/8 cycles/pixel (the 8x8 DCT grid), relative to the median."""
    h, w = power.shape
    if h % 8 or w % 8:
        return float("nan")
    coords = [(ky * h // 8, kx * w // 8) for ky in range(8) for kx in range(8) if (ky, kx) != (0, 0)
              and (ky, kx) not in ((4, 0), (0, 4), (4, 4))]  # 1/2 cycles/pixel belongs to the CFA test
    return _peak_ratio(power, coords)


def cfa_peak(power: np.ndarray) -> float:
    """Demosaicing's 2-pixel periodicity: power at (1/2, 0), (0, 1/2), (1/2, 1/2) cycles/pixel vs the median."""
    h, w = power.shape
    return _peak_ratio(power, [(h // 2, 0), (0, w // 2), (h // 2, w // 2)])
