"""Wavelet marginal model: every steerable-pyramid band of every channel pushed to its own truncated exp(-|x/s|^r) histogram."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.fft as sfft

from seebench_plugins.generators.noise import histogram_match
from seebench_plugins.generators.noise.histogram_match import WORKSPACE, match_rows  # noqa: F401  (match_rows: wmm's public name too)

N_ORIENT = 4  # pyrtools SteerablePyramidFreq order 3
_X = np.arange(-200, 200.5, 0.5)  # official sample_wmm_model: the target histogram's support
_CONST = math.sqrt(2 ** (2 * (N_ORIENT - 1)) * math.factorial(N_ORIENT - 1) ** 2
                   / (N_ORIENT * math.factorial(2 * (N_ORIENT - 1))))


def n_scales_for(size: int) -> int:
    """3 scales at 128 px and 4 at 256 px (the official), one per octave elsewhere (>= 1)."""
    return max(1, int(round(math.log2(size))) - 4)


def _polar(size: int) -> tuple[np.ndarray, np.ndarray]:
    fy = np.fft.fftfreq(size)[:, None] * 2 * np.pi
    fx = np.fft.rfftfreq(size)[None, :] * 2 * np.pi
    return np.maximum(np.sqrt(fx**2 + fy**2), 1e-12), np.arctan2(fy, fx)


def _lowpass(rho: np.ndarray, cut: float) -> np.ndarray:
    """1 below cut/2, 0 above cut, cos of the log2 position between (pyrtools' raised cosine)."""
    return np.cos(np.clip(np.log2(rho / (cut / 2)), 0.0, 1.0) * np.pi / 2)


def _oriented(rho: np.ndarray, theta: np.ndarray, radial: np.ndarray) -> np.ndarray:
    """The 4 odd-phase bands of pyrtools (real, order 3): (-1j)^3 * sqrt(const) cos^3(theta - k pi/4) * radial."""
    return np.stack([1j * _CONST * np.cos(theta - np.pi * k / N_ORIENT) ** (N_ORIENT - 1) * radial
                     for k in range(N_ORIENT)]).astype(np.complex64)


@lru_cache(maxsize=32)
def level_filters(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One level of the decimated pyramid on a size x size grid (rfft layout).

    Returns (oriented, low, top): oriented (4, H, W//2+1) complex analysis filters (synthesis
    uses their conjugates), low = the lowpass kept for the next level (1 below pi/4, 0 from
    pi/2: it survives the crop to half size); top = lo0, the split from the highpass residual
    (1 below pi/2, 0 at pi). |oriented|^2 summed over k plus low^2 is one: a tight frame.
    """
    rho, theta = _polar(size)
    low = _lowpass(rho, np.pi / 2)
    oriented = _oriented(rho, theta, np.sqrt(np.clip(1.0 - low**2, 0, None)))
    return oriented, low.astype(np.float32), _lowpass(rho, np.pi).astype(np.float32)


@lru_cache(maxsize=32)
def _high_filter(size: int) -> np.ndarray:
    """The highpass residual's filter: sqrt(1 - top^2)."""
    top = level_filters(size)[2]
    return np.sqrt(np.clip(1.0 - top**2, 0, None))


@lru_cache(maxsize=32)
def _synthesis_filters(size: int) -> np.ndarray:
    """conj of level_filters(size)'s oriented filters."""
    return np.conj(level_filters(size)[0])


@lru_cache(maxsize=16)
def filters(size: int, n_scales: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undecimated pyramid (sizes the decimated one cannot halve): (high, bands, low).

    high: the highpass residual filter; bands (n_scales, 4, H, W//2+1) complex; low: the lowpass
    residual. high^2 + sum |bands|^2 + low^2 = 1 at every frequency.
    """
    rho, theta = _polar(size)
    lps = [_lowpass(rho, np.pi / 2**j) for j in range(n_scales + 1)]
    bands = np.stack([_oriented(rho, theta, np.sqrt(np.clip(lps[j] ** 2 - lps[j + 1] ** 2, 0, None)))
                      for j in range(n_scales)])
    high = np.sqrt(np.clip(1.0 - lps[0] ** 2, 0, None))
    return high.astype(np.float32), bands, lps[n_scales].astype(np.float32)


@lru_cache(maxsize=32)
def _cropped_lowpass(size: int) -> np.ndarray:
    """level_filters(size)'s lowpass on the half-size grid (it is zero outside it)."""
    return _crop(level_filters(size)[1])


def _crop(spec: np.ndarray) -> np.ndarray:
    """rfft2 spectrum of an n x n image -> that of n/2 x n/2 (content above pi/2 must be zero)."""
    n = spec.shape[-2]
    q = n // 4
    return np.concatenate([spec[..., :q, : q + 1], spec[..., n - q:, : q + 1]], axis=-2)


def _add_uncropped(out: np.ndarray, spec: np.ndarray) -> None:
    """out += spec zero-padded from the n/2 x n/2 to the n x n rfft layout (only where non-zero)."""
    n = out.shape[-2]
    q = n // 4
    out[..., :q, : q + 1] += spec[..., :q, :]
    out[..., n - q:, : q + 1] += spec[..., q:, :]


def decimated(size: int, n_scales: int) -> bool:
    return size % (2 ** (n_scales + 1)) == 0


@dataclass
class Targets:
    """Per band row (highpass x 3 channels, then per level 3 channels x 4 orientations): the
    target's cumulative histogram `quantiles` (rows, 801) over values `values` (rows, 801), and
    its mean and std; `table`: the two laid out for match_rows."""

    quantiles: np.ndarray
    values: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    n_scales: int
    table: histogram_match.Targets | None = None

    def __post_init__(self):
        if self.table is None:
            self.table = histogram_match.Targets(self.quantiles, self.values)


def draw_targets(rng: np.random.Generator, size: int, r_min: float = 0.4, r_max: float = 0.8) -> Targets:
    """Official sample_wmm_model: per channel and band h = exp(-|x/shat|^r) on x = -200:0.5:200,
    shat = 4^(size / band side), r ~ U(r_min, r_max) drawn for each band and channel.

    Where the undecimated pyramid stands in (sizes it cannot halve), level j's coefficients are
    4^-j of the decimated ones, so its targets are scaled by 4^-j.
    """
    n_scales = n_scales_for(size)
    level_of_row = np.concatenate([np.full(3, -1), np.repeat(np.arange(n_scales), 3 * N_ORIENT)])
    r = rng.uniform(r_min, r_max, size=len(level_of_row))
    side_ratio = 2.0 ** np.maximum(level_of_row, 0)  # size / band side: 1 for highpass and level 0
    shat = 4.0 ** side_ratio
    h = np.exp(-np.abs(_X[None, :] / shat[:, None]) ** r[:, None])
    total = h.sum(1)
    mean = (h * _X).sum(1) / total
    std = np.sqrt((h * (_X - mean[:, None]) ** 2).sum(1) / total)
    scale = np.ones_like(shat) if decimated(size, n_scales) else 4.0 ** -np.maximum(level_of_row, 0)
    return Targets(np.cumsum(h, 1) / total[:, None], _X[None, :] * scale[:, None], mean * scale,
                   std * scale, n_scales)


def _rescale(x: np.ndarray, std: np.ndarray) -> None:
    """Rows of x to the given std (official: after the match, x = (x - m)/s * stdb + meanb).

    The mean is left as it is: every band filter is zero at DC, so synthesis drops it."""
    n = x.shape[1]
    total = x.sum(1)
    square = WORKSPACE.get("square", x.shape, np.float32)
    np.multiply(x, x, out=square)
    var = square.sum(1, dtype=np.float64) / n - (total.astype(np.float64) / n) ** 2
    x *= (std / np.sqrt(np.maximum(var, 1e-60)))[:, None].astype(np.float32)


def _match_blocks(blocks: list[np.ndarray], t: Targets) -> list[np.ndarray]:
    out = match_rows(blocks, t.table, overwrite=True)
    first = 0
    for b in out:
        _rescale(b, t.std[first:first + len(b)])
        first += len(b)
    return out


def impose_wmm(fields: np.ndarray, t: Targets) -> np.ndarray:
    """Official impose_wmm on (3, H, W) fields (see impose_wmm_spectrum)."""
    return impose_wmm_spectrum(sfft.rfft2(fields), fields.shape[-1], t)


def impose_wmm_spectrum(spec: np.ndarray, size: int, t: Targets) -> np.ndarray:
    """Official impose_wmm, from the (3, size, size//2+1) rfft2 of the fields: analyse each
    channel, match every band but the lowpass residual (the highpass residual too) to its target,
    synthesise; returns the (3, size, size) fields.

    Sizes divisible by 2^(n_scales+1) use the decimated pyramid, pyrtools' layout (each level at
    half the size of the one above, coefficients as its cropped inverse FFTs give them); lowpassing
    is done after the crop (the filter is zero outside it) and added back only where non-zero.
    """
    c = spec.shape[0]
    n_scales = t.n_scales
    if not decimated(size, n_scales):
        return _impose_undecimated(spec, size, t)
    ws = WORKSPACE
    top, high_filter = level_filters(size)[2], _high_filter(size)
    filtered = ws.get("filtered", spec.shape, np.complex64)
    blocks = [sfft.irfft2(np.multiply(spec, high_filter, out=filtered), s=(size, size)).reshape(c, size * size)]
    cur = spec * top
    for j in range(n_scales):
        n = size >> j
        oriented = level_filters(n)[0]
        prod = ws.get("oriented", (c,) + oriented.shape, np.complex64)
        np.multiply(cur[:, None], oriented, out=prod)
        blocks.append(sfft.irfft2(prod, s=(n, n)).reshape(c * N_ORIENT, n * n))
        cur = _crop(cur) * _cropped_lowpass(n)
    matched = _match_blocks(blocks, t)
    for j in reversed(range(n_scales)):  # synthesis from the coarsest level up
        n = size >> j
        sub = sfft.rfft2(matched[j + 1].reshape(c, N_ORIENT, n, n))
        sub *= _synthesis_filters(n)
        nxt = sub.sum(1)
        cur *= _cropped_lowpass(n)
        _add_uncropped(nxt, cur)
        cur = nxt
    cur *= top
    high = sfft.rfft2(matched[0].reshape(c, size, size))
    high *= high_filter
    cur += high
    return sfft.irfft2(cur, s=(size, size))


def _impose_undecimated(spec: np.ndarray, size: int, t: Targets) -> np.ndarray:
    c = spec.shape[0]
    high, bands, low = filters(size, t.n_scales)
    blocks = [sfft.irfft2(spec * high, s=(size, size)).reshape(c, size * size)]
    for j in range(t.n_scales):
        blocks.append(sfft.irfft2(spec[:, None] * bands[j], s=(size, size)).reshape(c * N_ORIENT, size * size))
    matched = _match_blocks(blocks, t)
    out = spec * low**2 + sfft.rfft2(matched[0].reshape(c, size, size)) * high
    for j in range(t.n_scales):
        out += (sfft.rfft2(matched[j + 1].reshape(c, N_ORIENT, size, size)) * np.conj(bands[j])).sum(1)
    return sfft.irfft2(out, s=(size, size))
