"""PRNU camera fingerprints: wavelet denoiser residuals, ML estimate of K, zero-mean, Wiener in DFT, PCE/NCC."""

from __future__ import annotations

import numpy as np
import pywt
import torch
from scipy.ndimage import uniform_filter

SIGMA0 = 3.0  # assumed std (in 0..255 grey levels) of the noise the denoiser removes, as in Lukas et al. 2006
WAVELET = "db4"  # the 8-tap Daubechies QMF of Lukas et al.
SATURATED = 250.0


def to_grey(images: torch.Tensor) -> np.ndarray:
    """uint8 (N, C, H, W) -> float32 luminance (N, H, W) in 0..255."""
    x = images.float()
    if x.shape[1] == 3:
        x = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]
    else:
        x = x[:, 0]
    return x.numpy().astype(np.float32)


def _wiener_coeffs(c: np.ndarray, sigma0: float) -> np.ndarray:
    """Lukas/Mihcak local Wiener shrinkage of one detail subband (N, h, w): the denoised coefficients."""
    c2 = c * c
    var = None
    for w in (3, 5, 7, 9):
        est = np.maximum(uniform_filter(c2, size=(1, w, w), mode="reflect") - sigma0 ** 2, 0.0)
        var = est if var is None else np.minimum(var, est)
    return c * var / (var + sigma0 ** 2)


def wavelet_denoise(grey: np.ndarray, sigma0: float = SIGMA0, levels: int = 4) -> np.ndarray:
    """Denoised images (N, H, W) by Wiener shrinkage of every detail subband of a db4 wavelet pyramid."""
    n, h, w = grey.shape
    levels = max(1, min(levels, pywt.dwt_max_level(min(h, w), pywt.Wavelet(WAVELET).dec_len)))
    coeffs = pywt.wavedec2(grey, WAVELET, mode="periodization", level=levels, axes=(-2, -1))
    out = [coeffs[0]]
    for detail in coeffs[1:]:
        out.append(tuple(_wiener_coeffs(d, sigma0) for d in detail))
    return pywt.waverec2(out, WAVELET, mode="periodization", axes=(-2, -1))[:, :h, :w].astype(np.float32)


def zero_mean_bayer(x: np.ndarray) -> np.ndarray:
    """Remove row and column means on each of the four Bayer sub-lattices (N, H, W) or (H, W)."""
    x = np.array(x, dtype=np.float32, copy=True)
    for a in (0, 1):
        for b in (0, 1):
            sub = x[..., a::2, b::2]
            sub -= sub.mean(axis=-1, keepdims=True)
            sub -= sub.mean(axis=-2, keepdims=True)
            x[..., a::2, b::2] = sub
    return x


def wiener_dft(x: np.ndarray) -> np.ndarray:
    """Suppress periodic (non-white) components: Wiener-filter the DFT magnitudes, keep the phase.

    PRNU is close to white noise, so its spectrum is flat; JPEG/CFA artefacts are peaks. Following
    Goljan's WienerInDFT, magnitudes are shrunk by sigma^2 / (local_var + sigma^2).
    """
    x = np.asarray(x, dtype=np.float32)
    h, w = x.shape[-2:]
    f = np.fft.fft2(x, axes=(-2, -1)) / np.sqrt(h * w)
    mag = np.abs(f).astype(np.float32)
    sigma2 = x.reshape(*x.shape[:-2], -1).var(axis=-1)[..., None, None]
    size = (1,) * (x.ndim - 2)
    var = None
    for win in (3, 5, 7, 9):
        est = np.maximum(uniform_filter(mag * mag, size=size + (win, win), mode="wrap") - sigma2, 0.0)
        var = est if var is None else np.minimum(var, est)
    shrink = sigma2 / (var + sigma2 + 1e-12)
    return np.real(np.fft.ifft2(f * shrink, axes=(-2, -1)) * np.sqrt(h * w)).astype(np.float32)


def residuals(images: torch.Tensor, chunk: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """(grey intensities I, noise residuals W = I - denoise(I)) for a uint8 batch, both (N, H, W)."""
    greys, res = [], []
    for start in range(0, len(images), chunk):
        g = to_grey(images[start:start + chunk])
        greys.append(g)
        res.append(g - wavelet_denoise(g))
    return np.concatenate(greys), np.concatenate(res)


def estimate_fingerprint(grey: np.ndarray, resid: np.ndarray, post: bool = True) -> np.ndarray:
    """Maximum-likelihood PRNU estimate K = sum(W I) / sum(I^2) (saturated pixels left out),
    then zero-mean per Bayer sub-lattice and Wiener filtering in the DFT (when `post`)."""
    mask = grey < SATURATED
    num = (resid * grey * mask).sum(axis=0)
    den = (grey * grey * mask).sum(axis=0) + 1.0
    k = (num / den).astype(np.float32)
    return wiener_dft(zero_mean_bayer(k)) if post else k


def test_statistics(grey: np.ndarray, resid: np.ndarray, k: np.ndarray, exclude: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """PCE and NCC at zero shift of each residual (N, H, W) against the expected PRNU term I*K.

    PCE = sign(peak) peak^2 / mean(correlation^2 outside a (2*exclude+1)^2 window round the peak),
    the correlation taken circularly over all shifts; NCC is the normalised correlation at zero shift.
    """
    w = zero_mean_bayer(resid)
    w = w - w.mean(axis=(-2, -1), keepdims=True)
    x = grey * k[None]
    x = x - x.mean(axis=(-2, -1), keepdims=True)
    return _pce_ncc(torch.from_numpy(w), torch.from_numpy(x.astype(np.float32)), exclude)


def pce_between(a: np.ndarray, b: np.ndarray, exclude: int = 5) -> tuple[float, float]:
    """PCE and NCC between two fingerprint-like arrays (H, W) (e.g. K of samples vs K of photos)."""
    a = a - a.mean()
    b = b - b.mean()
    pce, ncc = _pce_ncc(torch.from_numpy(a[None].astype(np.float32)), torch.from_numpy(b[None].astype(np.float32)), exclude)
    return float(pce[0]), float(ncc[0])


def _pce_ncc(a: torch.Tensor, b: torch.Tensor, exclude: int) -> tuple[np.ndarray, np.ndarray]:
    n, h, w = a.shape
    corr = torch.fft.ifft2(torch.fft.fft2(a.double()) * torch.fft.fft2(b.double()).conj()).real
    peak = corr[:, 0, 0]
    mask = torch.ones(h, w, dtype=torch.bool)
    ys = [(i % h) for i in range(-exclude, exclude + 1)]
    xs = [(j % w) for j in range(-exclude, exclude + 1)]
    mask[np.ix_(ys, xs)] = False
    energy = (corr[:, mask] ** 2).mean(dim=1)
    pce = torch.sign(peak) * peak ** 2 / energy.clamp_min(1e-30)
    norm = a.double().flatten(1).norm(dim=1) * b.double().flatten(1).norm(dim=1)
    ncc = peak / norm.clamp_min(1e-30)
    return pce.numpy(), ncc.numpy()
