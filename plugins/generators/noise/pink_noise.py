"""Pink (1/f^alpha) noise maps, one numpy FFT per map: the noise inputs of the untrained StyleGANs."""

from __future__ import annotations

import numpy as np


def radial_frequency(size: int) -> np.ndarray:
    """|f| in cycles per pixel on the rfft2 grid of a size x size image (0 at DC)."""
    fy = np.fft.fftfreq(size)[:, None]
    fx = np.fft.rfftfreq(size)[None, :]
    return np.sqrt(fy * fy + fx * fx)


def pink_noise(rng: np.random.Generator, size: int, alpha: float) -> np.ndarray:
    """A size x size float64 map with amplitude spectrum ~ 1/f^alpha, zero mean, unit std."""
    white = rng.standard_normal((size, size))
    f = radial_frequency(size)
    f[0, 0] = 1.0
    spectrum = np.fft.rfft2(white) / f**alpha
    spectrum[0, 0] = 0.0
    out = np.fft.irfft2(spectrum, s=(size, size))
    std = out.std()
    return out / std if std > 0 else out
