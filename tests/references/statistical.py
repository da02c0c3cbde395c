"""Reference renderers of the statistical families, step by step from the official Python generator.

Official: generate_datasets/statistical/generate_datasets.py of mbaradad/learning_with_noise
(the matlab folder, image_model.m, holds the same model). Our four names are its four default
datasets (get_output_folder), all with correlate_channels=True (the argparse default, and the
--small-scale / --large-scale dataset names require it), Niter=10, slope_range [0.5, 3.5]:

    spectrum             impose_spectrum                          -> stat-spectrum
    wmm                  impose_wmm                               -> stat-wmm
    spectrum-color       impose_spectrum + impose_color_model     -> stat-spectrum_color
    spectrum-color-wmm   all three                                -> stat-spectrum_color_wmm

The steerable pyramid is pyrtools' SteerablePyramidFreq(height=Nscales, order=3, twidth=1),
written out below in the same centred (fftshift) layout, with closed-form raised cosines in
place of its lookup tables. Own code, plain and slow (complex float64 FFTs, one channel and one
band at a time); its random stream is its own, so it shares statistics with the fast generator
(plugins/generators/noise/statistical.py), not bytes. The paper's sizes are 128 px (3 scales) and 256 px
(4 scales); other sizes use round(log2(size)) - 4 scales (at least 1), as the fast generator.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
from scipy.ndimage import uniform_filter

NITER = 10
SLOPE_RANGE = (0.5, 3.5)
ORDER = 3  # SteerablePyramidFreq's default: 4 orientations

# name -> (impose_spectrum, impose_wmm, impose_color_model); correlate_channels is always True
FLAGS = {
    "spectrum": (True, False, False),
    "wmm": (False, True, False),
    "spectrum-color": (True, False, True),
    "spectrum-color-wmm": (True, True, True),
}


def n_scales(size: int) -> int:
    """sample_wmm_model: 3 at 128 px, 4 at 256 px (the only sizes it allows); elsewhere one per octave."""
    return max(1, int(round(math.log2(size))) - 4)


# -- colour model: sample_colormodel, colorPCA, inv_colorPCA, get_image_color_histograms ---------
def sample_colormodel(rng: np.random.Generator, n: int):
    """A blurred Mondrian of 3-22 colours: its colour rotation, mean colour and decorrelated histograms."""
    ncolors = int(3 + np.floor(rng.uniform(0, 20)))
    prob = 0.001 + rng.uniform(0, 1, ncolors)
    prob /= prob.sum()
    counts = rng.multinomial(n * n, prob)
    index_image = np.repeat(np.arange(ncolors), counts).reshape(n, n)  # colours in sorted runs
    colors = np.floor(rng.uniform(0, 256, size=(ncolors, 3))).astype(np.uint8)
    ref = colors[index_image].transpose(2, 0, 1)  # uint8 (3, n, n)
    m = int(np.ceil(rng.uniform(0, 10)))
    for c in range(3):  # box blur m x m, 'symm' edges; written back into uint8 (truncates)
        ref[c] = uniform_filter(ref[c].astype(np.float64), size=m, mode="reflect")
    ref = ref + rng.uniform(0, 10)  # one scalar in the Python code (matlab: per pixel); removed below
    ref = ref - ref.min()
    ref = np.array(255 * ref / ref.max(), dtype=np.uint8)
    decor, color_pc, mean_color = color_pca(ref)
    quantiles, values = color_histograms(decor)
    return color_pc, mean_color, quantiles, values


def color_pca(image: np.ndarray):
    """colorPCA: centre the colours, eigenvectors of their scatter, decor = colorPC @ centred (as written)."""
    flat = image.reshape(3, -1).astype(np.float64)
    mean_color = flat.mean(-1)
    flat = flat - mean_color[:, None]
    _, color_pc = np.linalg.eig(flat @ flat.T)  # LAPACK geev, as scipy.linalg.eig
    color_pc = np.real(color_pc)
    return (color_pc @ flat).reshape(image.shape), color_pc, mean_color


def inv_color_pca(image: np.ndarray, color_pc: np.ndarray, mean_color: np.ndarray) -> np.ndarray:
    """inv_colorPCA: colorPC^T @ x + MeanColor."""
    out = color_pc.T @ image.reshape(3, -1) + mean_color[:, None]
    return out.reshape(image.shape)


def color_histograms(decor: np.ndarray, nbins: int = 256):
    """get_image_color_histograms: per channel the cumulative quantiles at 256 bin centres."""
    quantiles, values = [], []
    for c in range(3):
        hist, edges = np.histogram(decor[c], bins=nbins)
        values.append((edges[1:] + edges[:-1]) / 2.0)
        quantiles.append(np.cumsum(hist) / decor[c].size)
    return np.array(quantiles), np.array(values)


def match_cumulative_cdf(source: np.ndarray, quantiles: np.ndarray, values: np.ndarray) -> np.ndarray:
    """match_cumulative_cdf: each value goes to the template value at its own rank/N quantile."""
    src_values, inverse, counts = np.unique(source.ravel(), return_inverse=True, return_counts=True)
    src_quantiles = np.cumsum(counts) / source.size
    return np.interp(src_quantiles, quantiles, values)[inverse].reshape(source.shape)


# -- spectrum model: sample_1f_spectrum, impose_spectrum ----------------------------------------
def sample_1f_spectrum(rng: np.random.Generator, n: int) -> np.ndarray:
    """|F| = 1 / (|fx|^sx + |fy|^sy), s ~ U(0.5, 3.5), sx, sy = s +- d, d ~ N(0, 3/60); zero at DC."""
    lo, hi = SLOPE_RANGE
    s = rng.uniform(lo, hi)
    d = rng.normal() * abs(hi - lo) / 15 / 4
    fx, fy = np.meshgrid(np.arange(n) - n / 2, np.arange(n) - n / 2)
    fr = 1e-16 + np.abs(fx / n) ** (s + d) + np.abs(fy / n) ** (s - d)
    magnitude = 1 / np.fft.fftshift(fr)
    magnitude[0, 0] = 0
    return magnitude


def impose_spectrum(img: np.ndarray, magnitude: np.ndarray) -> np.ndarray:
    """Per channel: keep the phase, set the magnitude, restore the channel's mean and std."""
    out = np.empty_like(img)
    for c in range(3):
        x = img[c]
        m, s = x.mean(), x.std()
        phase = np.angle(np.fft.fft2(x - m))
        y = np.real(np.fft.ifft2(magnitude * np.exp(1j * phase)))
        out[c] = (y - y.mean()) / y.std() * s + m
    return out


# -- steerable pyramid (pyrtools SteerablePyramidFreq, real, order 3) ----------------------------
def _raised_cosine(log_rad: np.ndarray, start: float) -> np.ndarray:
    """sqrt of rcosFn(1, start + 0.5): 0 below log2 radius `start`, 1 above start + 1, |cos| between."""
    t = np.clip(log_rad - start, 0.0, 1.0)
    return np.sin(t * np.pi / 2)


def _grid(n: int):
    """Centred log2 radius (1 = Nyquist) and angle, the DC's radius copied from its left neighbour."""
    ramp = np.linspace(-1, 1, n + 1)[:-1]
    xr, yr = np.meshgrid(ramp, ramp)
    angle = np.arctan2(yr, xr)
    rad = np.sqrt(xr**2 + yr**2)
    ctr = int(np.ceil((n + 0.5) / 2)) - 1
    rad[ctr, ctr] = rad[ctr, ctr - 1]
    return np.log2(rad), angle


def _crop_box(n: int) -> slice:
    ctr = int(np.ceil((n + 0.5) / 2))
    lodims = int(np.ceil((n - 0.5) / 2))
    start = ctr - int(np.ceil((lodims + 0.5) / 2))
    return slice(start, start + lodims)


def _angle_mask(angle: np.ndarray, b: int) -> np.ndarray:
    const = 2 ** (2 * ORDER) * math.factorial(ORDER) ** 2 / ((ORDER + 1) * math.factorial(2 * ORDER))
    return math.sqrt(const) * np.cos(angle - np.pi * b / (ORDER + 1)) ** ORDER


def build_pyramid(img: np.ndarray, scales: int) -> dict:
    """Bands keyed as pyrtools: 'residual_highpass', (level, orientation), 'residual_lowpass'."""
    log_rad, angle = _grid(img.shape[0])
    dft = np.fft.fftshift(np.fft.fft2(img))
    pyr = {"residual_highpass": np.real(np.fft.ifft2(np.fft.ifftshift(dft * _raised_cosine(log_rad, -1.0))))}
    lodft = dft * np.sqrt(1 - _raised_cosine(log_rad, -1.0) ** 2)
    for level in range(scales):
        himask = _raised_cosine(log_rad, -2.0 - level)
        for b in range(ORDER + 1):
            band = (-1j) ** ORDER * lodft * _angle_mask(angle, b) * himask
            pyr[(level, b)] = np.real(np.fft.ifft2(np.fft.ifftshift(band)))
        box = _crop_box(lodft.shape[0])
        log_rad, angle, lodft = log_rad[box, box], angle[box, box], lodft[box, box]
        lodft = lodft * np.sqrt(1 - _raised_cosine(log_rad, -2.0 - level) ** 2)
    pyr["residual_lowpass"] = np.real(np.fft.ifft2(np.fft.ifftshift(lodft)))
    return pyr


def recon_pyramid(pyr: dict, scales: int) -> np.ndarray:
    """recon_pyr: from the lowpass residual up, each band through the conjugate filter."""
    n = pyr["residual_highpass"].shape[0]
    grids = [_grid(n)]
    for _ in range(scales):
        box = _crop_box(grids[-1][0].shape[0])
        grids.append((grids[-1][0][box, box], grids[-1][1][box, box]))
    res = np.fft.fftshift(np.fft.fft2(pyr["residual_lowpass"]))
    for level in reversed(range(scales)):
        log_rad, angle = grids[level]
        res = res * np.sqrt(1 - _raised_cosine(grids[level + 1][0], -2.0 - level) ** 2)
        up = np.zeros(log_rad.shape, dtype=complex)
        box = _crop_box(log_rad.shape[0])
        up[box, box] = res
        himask = _raised_cosine(log_rad, -2.0 - level)
        for b in range(ORDER + 1):
            banddft = np.fft.fftshift(np.fft.fft2(pyr[(level, b)]))
            up += (1j) ** ORDER * banddft * _angle_mask(angle, b) * himask
        res = up
    log_rad, _ = grids[0]
    hi = np.fft.fftshift(np.fft.fft2(pyr["residual_highpass"])) * _raised_cosine(log_rad, -1.0)
    res = res * np.sqrt(1 - _raised_cosine(log_rad, -1.0) ** 2) + hi
    return np.real(np.fft.ifft2(np.fft.ifftshift(res)))


# -- wavelet marginal model: sample_wmm_model, impose_wmm ----------------------------------------
def band_sizes(n: int, scales: int) -> dict:
    """Side of every band but the lowpass residual, in pyramid order."""
    sizes, side = {"residual_highpass": n}, n
    for level in range(scales):
        for b in range(ORDER + 1):
            sizes[(level, b)] = side
        side = int(np.ceil((side - 0.5) / 2))
    return sizes


def sample_wmm_model(rng: np.random.Generator, n: int):
    """Per channel and band: h = exp(-|x/shat|^rhat) on x = -200:0.5:200, shat = 4^(n/band side),
    rhat ~ U(0.4, 0.8); the target is its cumulative histogram, mean and std."""
    x = np.arange(-200, 200.5, 0.5)
    model = {}
    for c in range(3):
        for key, side in band_sizes(n, n_scales(n)).items():
            shat = 4 ** (n / side)
            rhat = 0.4 + 0.4 * rng.uniform(0, 1)
            h = np.exp(-np.abs(x / shat) ** rhat)
            m = np.sum(x * h) / np.sum(h)
            s = np.sqrt(np.sum((x - m) ** 2 * h) / np.sum(h))
            model[(c, key)] = (np.cumsum(h) / h.sum(), x, m, s)
    return model


def impose_wmm(img: np.ndarray, model: dict) -> np.ndarray:
    """Per channel: every band but the lowpass residual standardised to the target's mean and std,
    histogram-matched to it, standardised again; then reconstructed."""
    scales = n_scales(img.shape[-1])
    out = np.empty_like(img)
    for c in range(3):
        pyr = build_pyramid(img[c], scales)
        for key in band_sizes(img.shape[-1], scales):
            quantiles, values, m, s = model[(c, key)]
            x = pyr[key]
            x = (x - x.mean()) / x.std() * s + m
            x = match_cumulative_cdf(x, quantiles, values)
            pyr[key] = (x - x.mean()) / x.std() * s + m
        out[c] = recon_pyramid(pyr, scales)
    return out


# -- generate_example_seed / generate_example / sample_image ------------------------------------
def render_family(family: str, index: int, seed: int, size: int) -> np.ndarray:
    spectrum, wmm, color = FLAGS[family]
    rng = np.random.default_rng([seed, index, zlib.crc32(family.encode())])
    color_pc, mean_color, hist_q, hist_v = sample_colormodel(rng, size)  # correlate_channels
    magnitude = sample_1f_spectrum(rng, size) if spectrum else None
    model = sample_wmm_model(rng, size) if wmm else None
    tmp = 256 * rng.uniform(0, 1, size=(3, size, size))
    for _ in range(NITER):
        if spectrum:
            tmp = impose_spectrum(tmp, magnitude)
        if wmm:
            tmp = impose_wmm(tmp, model)
        if color:
            tmp = np.stack([match_cumulative_cdf(tmp[c], hist_q[c], hist_v[c]) for c in range(3)])
    tmp = inv_color_pca(tmp, color_pc, mean_color)
    tmp = 255 * (tmp - tmp.min()) / tmp.max()  # sample_image's stretch (divides by the old max) ...
    return np.array((tmp - tmp.min()) / (tmp.max() - tmp.min()) * 255.0, dtype=np.uint8)  # ... then full range


def _renderer(family: str):
    def render(index: int, seed: int, size: int) -> np.ndarray:
        return render_family(family, index, seed, size)

    render.__name__ = f"render_{family.replace('-', '_')}"
    return render


REFERENCES = {family: _renderer(family) for family in FLAGS}
