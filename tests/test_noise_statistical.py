"""Statistical families: spectral slope matches the drawn alpha, WMM subbands are heavy-tailed."""

import numpy as np
import pytest
import scipy.fft as sfft
from scipy.stats import kurtosis

from harness import ConfigError
from seebench_plugins.noise import wmm
from seebench_plugins.noise.base import image_rng
from seebench_plugins.noise.statistical import StatisticalNoise


def radial_slope(img: np.ndarray, fmin: float, fmax: float) -> float:
    """Slope of log power vs log radial frequency, power averaged over rings."""
    n = img.shape[0]
    p = np.abs(np.fft.fft2(img - img.mean())) ** 2
    f = np.sqrt(np.fft.fftfreq(n)[:, None] ** 2 + np.fft.fftfreq(n)[None, :] ** 2)
    ring = np.rint(f * n).astype(int)
    counts = np.bincount(ring.ravel())
    power = np.bincount(ring.ravel(), p.ravel()) / np.maximum(counts, 1)
    k = np.arange(len(power))
    sel = (k >= fmin * n) & (k <= fmax * n)
    return float(np.polyfit(np.log(k[sel]), np.log(power[sel]), 1)[0])


def test_spectrum_slope_matches_drawn_alpha():
    gen = StatisticalNoise("spectrum")
    size = 128
    alphas = []
    for i in range(10):
        alpha = gen.params(i, seed=0)["alpha"]
        alphas.append(alpha)
        img = gen.render_float(image_rng(0, i, "spectrum"), size)[0]
        est = -radial_slope(img, 2 / size, 0.3) / 2
        assert abs(est - alpha) < 0.15, (i, alpha, est)
    assert min(alphas) < 1.5 and max(alphas) > 2.5  # the draws span the range


def test_spectrum_uint8_output_follows_alpha_where_above_quantisation():
    gen = StatisticalNoise("spectrum", alpha_min=1.0, alpha_max=1.5)
    for i in range(3):
        img = gen.generate([i], 0, 128)[0, 0].numpy().astype(float)
        est = -radial_slope(img, 2 / 128, 0.25) / 2
        assert abs(est - gen.params(i, 0)["alpha"]) < 0.2


def _subband_kurtosis(img: np.ndarray, scales: int = 2) -> np.ndarray:
    bank, _ = wmm.filters(img.shape[0], 3)
    bands = sfft.irfft2(sfft.rfft2(img)[None] * bank[1:1 + 4 * scales], s=img.shape)
    return kurtosis(bands.reshape(len(bands), -1), axis=1)  # excess kurtosis, 0 for a Gaussian


def test_wmm_subbands_are_heavier_tailed_than_gaussian():
    w = StatisticalNoise("wmm", use_wmm=True)
    s = StatisticalNoise("spectrum")
    for i in range(3):
        kw = _subband_kurtosis(w.render_float(image_rng(0, i, "wmm"), 128)[0])
        ks = _subband_kurtosis(s.render_float(image_rng(0, i, "spectrum"), 128)[0])
        assert kw.mean() > 3.0 and kw.min() > 1.0, kw
        assert abs(ks.mean()) < 0.5, ks


def test_marginal_projection_hits_generalised_gaussian():
    from scipy.special import gamma

    x = np.random.default_rng(0).standard_normal((4, 16384)).astype(np.float32)
    probs = np.linspace(0.02, 0.98, 25)
    levels = (np.arange(len(wmm.gg_quantiles(0.5))) + 0.5) / len(wmm.gg_quantiles(0.5))
    kurts = []
    for r in (0.4, 0.8):
        y = wmm.match_marginals(x, r)
        assert np.allclose(y.std(1), x.std(1), rtol=0.02)
        want = np.interp(probs, levels, wmm.gg_quantiles(r)) * x[0].std()
        assert np.allclose(np.quantile(y[0], probs), want, atol=0.03)
        k = kurtosis(y, axis=1).mean()
        # sample kurtosis of so heavy a tail is biased low at 16k samples; still far from Gaussian
        assert k > 0.5 * (gamma(5 / r) * gamma(1 / r) / gamma(3 / r) ** 2 - 3)
        kurts.append(k)
    assert kurts[0] > kurts[1]


def test_pyramid_is_a_tight_frame():
    for size, scales in ((128, 3), (256, 4), (48, 2)):
        bank, low = wmm.filters(size, scales)
        assert np.allclose((bank**2).sum(0) + low**2, 1.0, atol=1e-5)
    assert wmm.n_scales_for(128) == 3 and wmm.n_scales_for(256) == 4


@pytest.mark.parametrize("size", [48, 64])
def test_batched_rendering_gives_the_same_bytes_as_one_at_a_time(size):
    for family, kw in (("spectrum", {}), ("spectrum-color-wmm", dict(color=True, use_wmm=True))):
        gen = StatisticalNoise(family, iterations=3, **kw)
        one = np.stack([gen.render_float(image_rng(0, i, family), size) for i in range(3)])
        stack = gen.render_float_batch([image_rng(0, i, family) for i in range(3)], size)
        assert np.array_equal(one, stack), family


def test_match_marginals_takes_one_shape_per_row():
    x = np.random.default_rng(1).standard_normal((3, 4096)).astype(np.float32)
    rows = wmm.match_marginals(x, [0.4, 0.6, 0.8])
    for k, r in enumerate((0.4, 0.6, 0.8)):
        assert np.array_equal(rows[k], wmm.match_marginals(x[k:k + 1], r)[0])


def test_colour_families_are_colourful_and_grey_ones_are_grey():
    grey = StatisticalNoise("spectrum").generate([0, 1], 0, 64).numpy()
    assert (grey[:, 0] == grey[:, 1]).all() and (grey[:, 1] == grey[:, 2]).all()
    col = StatisticalNoise("spectrum-color", color=True).generate([0, 1], 0, 64).numpy().astype(float)
    assert np.abs(col[:, 0] - col[:, 1]).mean() > 5


@pytest.mark.parametrize("bad", [dict(alpha_min=-1.0), dict(alpha_min=3.0, alpha_max=2.0),
                                 dict(r_min=0.0), dict(iterations=-1)])
def test_bad_parameters(bad):
    with pytest.raises(ConfigError):
        StatisticalNoise("wmm", use_wmm=True, **bad)
