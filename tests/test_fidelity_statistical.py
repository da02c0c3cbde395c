"""The fast statistical families against their reference (tests/references/statistical.py), statistic by statistic.

Each test draws the same indices from the fast generator and from the reference and compares
per-image statistics (tests/fidelity_stats_statistical.py) with two-sample tests. Everything is
seeded, so the p-values are the same on every run: a tolerance of p >= 0.01 is "the two samples
could come from one distribution" at the sample sizes here (16-24 images), and it fails for
every flaw the previous generator had (grey spectrum and wmm, radial spectrum, band stds from
the spectrum and one r per image, palette-snapped colours); the numbers are in the commit that
added this file. Sizes: 64 px for every family, 128 px (the paper's) where the reference is cheap
enough (the reference WMM takes ~0.8 s an image at 128 px).
"""

from functools import lru_cache

import numpy as np
import pytest
from scipy.stats import ks_2samp, mannwhitneyu

import fidelity_stats_statistical as stats
from seebench.plugins.manager import load_registry
from references.statistical import REFERENCES

FAMILIES = ("spectrum", "wmm", "spectrum-color", "spectrum-color-wmm")
WMM_FAMILIES = ("wmm", "spectrum-color-wmm")
P_MIN = 0.01  # see the module docstring
SEED = 0


def count(family: str, size: int) -> int:
    """Images per sample: 24 where the reference is cheap, fewer for the reference WMM."""
    if family in WMM_FAMILIES:
        return 16 if size == 64 else 8
    return 24


@lru_cache(maxsize=None)
def fast(family: str, size: int) -> np.ndarray:
    gen = load_registry(allow=["noise-statistical"]).get("generator", family).build()
    return gen.generate(range(count(family, size)), SEED, size).numpy()


@lru_cache(maxsize=None)
def reference(family: str, size: int) -> np.ndarray:
    # other indices than the fast sample's (the streams differ anyway): two independent samples
    return np.stack([REFERENCES[family](1000 + i, SEED, size) for i in range(count(family, size))])


def assert_same(name: str, a: np.ndarray, b: np.ndarray, p_min: float = P_MIN) -> None:
    a, b = np.ravel(a), np.ravel(b)
    p = ks_2samp(a, b).pvalue
    assert p >= p_min, (f"{name}: fast median {np.median(a):.3f} [{np.quantile(a, .1):.3f}, {np.quantile(a, .9):.3f}]"
                        f" vs reference {np.median(b):.3f} [{np.quantile(b, .1):.3f}, {np.quantile(b, .9):.3f}],"
                        f" KS p = {p:.2g}")


@pytest.mark.parametrize("family", FAMILIES)
def test_channels_are_independent_fields_colour_rotated(family):
    # official correlate_channels: 3 fields, one rotation per image; R = G = B would give 1
    a, b = stats.channel_correlation(fast(family, 64)), stats.channel_correlation(reference(family, 64))
    assert np.abs(a).mean() < 0.6, np.abs(a).mean()
    assert_same(f"{family} channel correlation", a, b)


@pytest.mark.parametrize("size", [64, 128])
def test_spectrum_is_separable_power_law(size):
    # official magnitude 1/(|fx|^sx + |fy|^sy): slope -sx along fx, -sy along fy, and on the
    # diagonals 2^(s/2-1) times the axes' amplitude (1 for a radial 1/f^alpha)
    a, b = stats.axis_slopes(fast("spectrum", size)), stats.axis_slopes(reference("spectrum", size))
    assert_same("mean slope", a.mean(1), b.mean(1))
    assert_same("slope x - slope y", a[:, 0] - a[:, 1], b[:, 0] - b[:, 1])
    # how far each image's diagonal/axis ratio is from the separable law's 2^(s/2-1) at its own
    # fitted s: a few hundredths for the official magnitude, ~0.1-0.3 for a radial one
    off_a = np.abs(stats.diagonal_to_axis(fast("spectrum", size)) - (-a.mean(1) / 2 - 1) * np.log(2))
    off_b = np.abs(stats.diagonal_to_axis(reference("spectrum", size)) - (-b.mean(1) / 2 - 1) * np.log(2))
    p = mannwhitneyu(off_a, off_b).pvalue
    assert p >= P_MIN, (f"off the separable law: fast median {np.median(off_a):.3f}, reference "
                        f"{np.median(off_b):.3f}, Mann-Whitney p = {p:.2g}")


@pytest.mark.parametrize("family", ["spectrum-color", "wmm", "spectrum-color-wmm"])
def test_spectral_slopes_of_the_modelled_families(family):
    # the WMM's fixed band targets (not the drawn slope) set the wmm families' spectrum
    a, b = stats.axis_slopes(fast(family, 64)), stats.axis_slopes(reference(family, 64))
    assert_same(f"{family} mean slope", a.mean(1), b.mean(1))


@pytest.mark.parametrize("family,size", [(f, s) for f in WMM_FAMILIES for s in (64, 128)])
def test_wavelet_marginals(family, size):
    # per pyramid level: kurtosis (sparse marginals; the coarsest official target, shat = 4^4 on
    # x in [-200, 200], is nearly flat) and log std over the finest level (set by the targets)
    ka, la = stats.band_statistics(fast(family, size))
    kb, lb = stats.band_statistics(reference(family, size))
    for level in range(ka.shape[1]):
        assert_same(f"{family} {size}px kurtosis level {level}", ka[:, level], kb[:, level])
    for level in range(1, la.shape[1]):
        assert_same(f"{family} {size}px log std level {level} / level 0", la[:, level], lb[:, level])


@pytest.mark.parametrize("family", FAMILIES)
def test_full_range_and_channel_histograms(family):
    # official: one min-max stretch over the 3 channels, so every image spans 0..255 exactly;
    # the colour model's per-channel histograms (mostly a few levels) show in the top-8 share
    lo, hi, top = stats.range_and_levels(fast(family, 64))
    assert (lo == 0).all() and (hi == 255).all(), (lo, hi)
    assert_same(f"{family} top-8 share", top, stats.range_and_levels(reference(family, 64))[2])


@pytest.mark.parametrize("family", FAMILIES)
def test_images_vary_as_the_reference(family):
    # per-image variety: the spread of channel means (the colour rotation and mean colour) and of
    # channel stds (contrast) across images
    ma, sa = stats.channel_means_stds(fast(family, 64))
    mb, sb = stats.channel_means_stds(reference(family, 64))
    assert_same(f"{family} channel means", ma, mb)
    assert_same(f"{family} channel stds", sa, sb)
