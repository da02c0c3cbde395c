"""Fidelity of the untrained StyleGANs: fast generator vs the step-by-step reference, two-sample tests per statistic.

Both render N_IMAGES = 144 images per variant at SIZE = 64 px, width 32 (the reference's dense
convolutions stay cheap there; the fast filter-bank forward is exact at every width: see
test_noise_stylegan.py::test_filter_bank_forward_equals_the_dense_modulated_conv), a new network
every REINIT = 12 images (12 networks), other seeds for the two. Each statistic is one number per image (or per image pair);
the two samples are compared with scipy's two-sample tests. Seeds are fixed, so every test is
deterministic: the p-value floors say how surprising a difference must be to fail (at 1e-3 one
test in a thousand would fail by chance with a faithful generator), the effect-size bounds what
size of difference we accept.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from references.stylegan import render as reference_render
from seebench_plugins.generators.noise.stylegan import StyleGANNoise

VARIANTS = ["random", "highfreq", "sparse", "oriented"]
SIZE, WIDTH, REINIT, N_NETWORKS = 64, 32, 12, 12
N_IMAGES = REINIT * N_NETWORKS
P_FLOOR = 1e-3


def grey_power(img: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hann-windowed power spectrum of the grey image, with |f| (cycles/px) and orientation per bin."""
    g = img.astype(np.float64).mean(0)
    g = g - g.mean()
    n = g.shape[0]
    win = np.hanning(n)
    power = np.abs(np.fft.fft2(g * win[:, None] * win[None])) ** 2
    f = np.fft.fftfreq(n)
    fy, fx = np.meshgrid(f, f, indexing="ij")
    return power, np.hypot(fx, fy), np.arctan2(fy, fx)


def spectral_slope(img: np.ndarray) -> float:
    """Slope of log power against log |f| over 2/n .. 0.35 cycles/px."""
    power, radius, _ = grey_power(img)
    band = (radius >= 2 / img.shape[-1]) & (radius <= 0.35)
    return float(np.polyfit(np.log(radius[band]), np.log(power[band] + 1e-12), 1)[0])


def high_frequency_share(img: np.ndarray) -> float:
    """Share of the (non-DC) spectral energy above 1/8 cycle per pixel."""
    power, radius, _ = grey_power(img)
    return float(power[radius > 0.125].sum() / power[radius > 0].sum())


def orientation_vector(img: np.ndarray) -> complex:
    """sum P e^{2i theta} / sum P over 3/n .. 0.5 cycles/px: its modulus is 0 when isotropic, 1 for
    one orientation; its angle / 2 is the dominant orientation."""
    power, radius, theta = grey_power(img)
    band = (radius >= 3 / img.shape[-1]) & (radius <= 0.5)
    return complex((power[band] * np.exp(2j * theta[band])).sum() / power[band].sum())


def orientation_anisotropy(img: np.ndarray) -> float:
    return abs(orientation_vector(img))


def channel_correlation(img: np.ndarray) -> float:
    """Mean Pearson correlation of the three channel pairs."""
    c = np.corrcoef(img.reshape(3, -1).astype(np.float64))
    return float(np.nanmean([c[0, 1], c[0, 2], c[1, 2]]))


def grey_kurtosis(img: np.ndarray) -> float:
    return float(stats.kurtosis(img.astype(np.float64).mean(0).ravel()))


def _within_over_across(d: np.ndarray) -> np.ndarray:
    """Per image pair within a network: d / the mean d between images of different networks."""
    group = np.arange(len(d)) // REINIT
    same = group[:, None] == group[None]
    upper = np.triu(np.ones_like(same), 1).astype(bool)
    return d[same & upper] / d[~same].mean()


def layout_variety(images: np.ndarray) -> np.ndarray:
    """Distances of grey 16x16 block means (layout, not pixel noise), within over across networks.
    Small: a network's images alike."""
    g = images.astype(np.float64).mean(1)
    g = g.reshape(len(g), 16, SIZE // 16, 16, SIZE // 16).mean(axis=(2, 4)).reshape(len(g), -1)
    return _within_over_across(np.sqrt(((g[:, None] - g[None]) ** 2).sum(-1)))


def orientation_variety(images: np.ndarray) -> np.ndarray:
    """Distances of orientation vectors (dominant orientation and its strength), within over across
    networks. Small: a network's images share an orientation."""
    v = np.array([orientation_vector(x) for x in images])
    return _within_over_across(np.abs(v[:, None] - v[None]))


@pytest.fixture(scope="module")
def samples() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {}
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # batch-1 convolutions: a second thread only contends on a shared machine
    try:
        for v in VARIANTS:
            fast = StyleGANNoise(v, width=WIDTH, reinit_every=REINIT, device="cpu").generate(list(range(N_IMAGES)), 0, SIZE)
            ref = np.stack([reference_render(i, 1, SIZE, variant=v, width=WIDTH, reinit_every=REINIT)
                            for i in range(N_IMAGES)])
            out[v] = (fast.numpy(), ref)
    finally:
        torch.set_num_threads(before)
    return out


def per_image(fn, images: np.ndarray) -> np.ndarray:
    return np.array([fn(x) for x in images])


def check_same(fast: np.ndarray, ref: np.ndarray, tolerance: float, what: str) -> None:
    """KS two-sample p above P_FLOOR and medians within `tolerance`."""
    p = stats.ks_2samp(fast, ref).pvalue
    gap = abs(float(np.median(fast) - np.median(ref)))
    assert p > P_FLOOR and gap < tolerance, (
        f"{what}: KS p={p:.2g}, medians fast {np.median(fast):.3f} vs reference {np.median(ref):.3f}")


@pytest.mark.parametrize("variant", VARIANTS)
def test_spectrum(samples, variant):
    fast, ref = samples[variant]
    # slope 0.4: the per-image slopes spread ~0.5-1 within a variant, variants' medians lie -5.7 .. -3
    check_same(per_image(spectral_slope, fast), per_image(spectral_slope, ref), 0.4, f"{variant} slope")
    # 0.04 of the energy above 1/8 cycle/px: highfreq's sign filters put ~6-8 % there, random ~0.1 %
    check_same(per_image(high_frequency_share, fast), per_image(high_frequency_share, ref), 0.04,
               f"{variant} high-frequency share")


@pytest.mark.parametrize("variant", VARIANTS)
def test_colour_after_the_official_normalisation(samples, variant):
    fast, ref = samples[variant]
    f, r = fast.astype(np.float64) / 255, ref.astype(np.float64) / 255
    for c in range(3):
        # means 0.07: the official per-image mean ~ N(0.4-0.48, 0.145); a median of 144 such has a
        # standard error ~0.016, so 0.07 is ~3 of the two-sample error; stds 0.03: half their spread
        check_same(f[:, c].mean((1, 2)), r[:, c].mean((1, 2)), 0.07, f"{variant} channel {c} mean")
        check_same(f[:, c].std((1, 2)), r[:, c].std((1, 2)), 0.03, f"{variant} channel {c} std")
    # 0.12: per-image channel correlations spread over ~-0.8 .. 0.8 (one random toRGB per layer)
    check_same(per_image(channel_correlation, fast), per_image(channel_correlation, ref), 0.12,
               f"{variant} channel correlation")


@pytest.mark.parametrize("variant", VARIANTS)
def test_variety_within_and_across_networks(samples, variant):
    fast, ref = samples[variant]
    # 0.05 of the across-network distance: random's fixed dense weights make a network's images
    # alike (~0.85), the per-image filters of the others do not (~0.96)
    check_same(layout_variety(fast), layout_variety(ref), 0.05, f"{variant} layout within/across")
    check_same(orientation_variety(fast), orientation_variety(ref), 0.1, f"{variant} orientation within/across")


@pytest.mark.parametrize("variant", VARIANTS)
def test_pixel_kurtosis(samples, variant):
    fast, ref = samples[variant]
    # 0.3 in excess kurtosis: ReLUs with random biases and enveloped noise shape the tails; the
    # per-image values spread over ~-1 .. 3
    check_same(per_image(grey_kurtosis, fast), per_image(grey_kurtosis, ref), 0.3, f"{variant} kurtosis")


@pytest.mark.parametrize("variant", VARIANTS)
def test_orientation_anisotropy(samples, variant):
    fast, ref = samples[variant]
    # 0.05 on a 0..1 scale: per-image filters give ~0.2-0.3; one orientation per network ~0.6
    check_same(per_image(orientation_anisotropy, fast), per_image(orientation_anisotropy, ref), 0.05,
               f"{variant} anisotropy")
