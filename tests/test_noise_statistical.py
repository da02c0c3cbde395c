"""Statistical families: the drawn slopes show in the spectrum, WMM bands are sparse, channels are colour, full range."""

import numpy as np
import pytest
from scipy.stats import kurtosis

from seebench import ConfigError
from references.statistical import build_pyramid
from seebench_plugins.generators.noise import spectral
from seebench_plugins.generators.noise import wmm
from seebench_plugins.generators.noise.base import image_rng
from seebench_plugins.generators.noise.statistical import StatisticalNoise


def axis_slope(img: np.ndarray, axis: int, fmax: float = 0.25) -> float:
    """Slope of log amplitude vs log frequency along one frequency axis (1: fx, 0: fy)."""
    n = img.shape[-1]
    amp = np.abs(np.fft.fft2(img - img.mean(axis=(-2, -1), keepdims=True))).reshape(-1, n, n).mean(0)
    k = np.arange(2, int(fmax * n) + 1)
    line = (amp[0, k] + amp[0, -k]) if axis == 1 else (amp[k, 0] + amp[-k, 0])
    return float(np.polyfit(np.log(k), np.log(line), 1)[0])


def test_spectrum_slopes_match_the_drawn_ones_along_each_axis():
    gen = StatisticalNoise("spectrum")
    drawn = []
    for i in range(8):
        p = gen.params(i, seed=0)
        drawn.append(p["slope_x"])
        img = gen.render_float(image_rng(0, i, "spectrum"), 128)
        assert abs(-axis_slope(img, 1) - p["slope_x"]) < 0.15, (i, p)
        assert abs(-axis_slope(img, 0) - p["slope_y"]) < 0.15, (i, p)
        assert abs(p["slope_x"] - p["slope_y"]) < 0.5  # 2 d, d ~ N(0, 0.05)
    assert min(drawn) < 1.5 and max(drawn) > 2.5  # the draws span 0.5 .. 3.5


def test_magnitude_is_separable_not_radial():
    amp = spectral.magnitude(64, 1.0, 1.0)  # 1 / (|fx| + |fy|)
    assert amp[0, 0] == 0
    assert np.isclose(amp[0, 8], 8.0) and np.isclose(amp[8, 0], 8.0)
    assert np.isclose(amp[8, 8], 4.0)  # a radial 1/f would give 8 / sqrt(2)


def _level_kurtosis(img: np.ndarray, level: int) -> float:
    pyr = build_pyramid(img.astype(np.float64), 3)
    return float(np.mean([kurtosis(pyr[(level, b)].ravel()) for b in range(4)]))


def test_wmm_bands_are_sparse_and_spectrum_bands_are_not():
    w = StatisticalNoise("wmm", use_wmm=True, use_spectrum=False)
    s = StatisticalNoise("spectrum")
    for i in range(2):
        kw = [_level_kurtosis(w.render_float(image_rng(0, i, "wmm"), 128)[c], 0) for c in range(3)]
        ks = [_level_kurtosis(s.render_float(image_rng(0, i, "spectrum"), 128)[c], 0) for c in range(3)]
        assert min(kw) > 1.0, kw
        assert max(np.abs(ks)) < 0.7, ks


def test_wmm_targets_follow_the_official_table():
    t = wmm.draw_targets(np.random.default_rng(0), 128)
    assert t.n_scales == 3 and t.quantiles.shape == (3 + 3 * 12, 801)
    assert np.allclose(t.quantiles[:, -1], 1.0) and np.allclose(t.mean, 0.0, atol=1e-9)
    # shat = 4^(128 / side): 4 for the highpass and level 0 (sides 128), 16 at 64 px, 256 at 32 px
    # (r from 0.4 to 0.8 moves a truncated band's std from ~60 to ~10)
    medians = [np.median(t.std[:3]), np.median(t.std[3:15]), np.median(t.std[15:27])]
    assert max(medians[:2]) < medians[2] < t.std[27:].min()
    assert 95 < t.std[27:].min() and t.std[27:].max() < 200 / np.sqrt(3)  # nearly uniform on [-200, 200]


def test_match_rows_gives_each_row_its_target_distribution():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 16384)).astype(np.float32)
    grid = np.linspace(-3, 3, 301)
    laplace = np.exp(-np.abs(grid)); uniform = np.ones_like(grid)
    q = np.stack([np.cumsum(laplace) / laplace.sum(), np.cumsum(uniform) / uniform.sum()])
    y = wmm.match_rows([x], q, np.stack([grid, grid]))[0]
    probs = np.linspace(0.05, 0.95, 19)
    for row in range(2):
        want = np.interp(probs, q[row], grid)
        assert np.allclose(np.quantile(y[row], probs), want, atol=0.03), row
        assert (np.diff(y[row][np.argsort(x[row])]) >= -1e-5).all()  # order kept (ties where clamped)
    assert y[0].max() == pytest.approx(3.0, abs=0.01)  # the top rank goes to the template's last value


def test_pyramids_are_tight_frames():
    oriented, low, top = wmm.level_filters(128)
    assert np.allclose((np.abs(oriented) ** 2).sum(0) + low**2, 1.0, atol=1e-5)
    high, bands, low = wmm.filters(100, 3)
    assert np.allclose(high**2 + (np.abs(bands) ** 2).sum((0, 1)) + low**2, 1.0, atol=1e-5)
    assert wmm.n_scales_for(128) == 3 and wmm.n_scales_for(256) == 4 and wmm.n_scales_for(64) == 2


def test_colour_model_is_a_rotation_with_cumulative_histograms():
    cm = spectral.ColourModel(np.random.default_rng(2), 64)
    assert np.allclose(cm.pc.T @ cm.pc, np.eye(3), atol=1e-9)
    assert np.allclose(cm.quantiles[:, -1], 1.0) and (np.diff(cm.quantiles, axis=1) >= 0).all()
    assert (0 <= cm.mean).all() and (cm.mean <= 255).all()


@pytest.mark.parametrize("family,kw", [("spectrum", {}), ("wmm", dict(use_wmm=True, use_spectrum=False)),
                                       ("spectrum-color", dict(color=True)),
                                       ("spectrum-color-wmm", dict(color=True, use_wmm=True))])
def test_every_family_is_colour_and_full_range(family, kw):
    gen = StatisticalNoise(family, iterations=2, **kw)
    for size in (33, 64, 100):  # odd, decimated pyramid, undecimated pyramid
        img = gen.generate([0, 1], 0, size).numpy().astype(float)
        assert img.shape == (2, 3, size, size)
        assert (img.reshape(2, -1).min(1) == 0).all() and (img.reshape(2, -1).max(1) == 255).all()
        assert np.abs(img[:, 0] - img[:, 1]).mean() > 5 and np.abs(img[:, 1] - img[:, 2]).mean() > 5


def test_dead_leaves_texture_construction_still_works():
    tex = StatisticalNoise("dead-leaves-textures/texture", color=True, use_wmm=True, iterations=1)
    assert tex.render(0, 0, 32).shape == (3, 32, 32)
    assert tex.render_float(image_rng(0, 0, "t"), 32).dtype == np.float32


@pytest.mark.parametrize("bad", [dict(alpha_min=-1.0), dict(alpha_min=3.0, alpha_max=2.0),
                                 dict(r_min=0.0), dict(iterations=-1), dict(slope_jitter=2.0)])
def test_bad_parameters(bad):
    with pytest.raises(ConfigError):
        StatisticalNoise("wmm", use_wmm=True, **bad)
