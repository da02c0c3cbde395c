"""Dead leaves: radius law, coverage, occlusion geometry, parameter errors."""

import numpy as np
import pytest
import torch

from harness import ConfigError
from seebench_plugins.noise.base import image_rng, to_uint8_hwc
from seebench_plugins.noise.dead_leaves import DeadLeaves
from seebench_plugins.noise.leaves import KINDS
from seebench_plugins.noise.statistical import StatisticalNoise
from seebench_plugins.noise.texture_pool import PERMS, texture_size

FAMILIES = ["dead-leaves-squares", "dead-leaves-oriented", "dead-leaves-shapes"]


def fit_sigma(r: np.ndarray, a: float, b: float) -> float:
    """Maximum-likelihood exponent of p(r) ∝ r^-s on [a, b] (grid search)."""
    s = np.linspace(1.05, 6.0, 2000)
    norm = (a ** (1 - s) - b ** (1 - s)) / (s - 1)
    ll = -len(r) * np.log(norm) - s * np.log(r).sum()
    return float(s[np.argmax(ll)])


@pytest.mark.parametrize("family", FAMILIES)
def test_radius_exponent_and_coverage(family):
    gen = DeadLeaves(family)
    size = 96
    radii = []
    for i in range(6):
        lv = gen.leaves(i, seed=1, size=size)
        assert lv.covered == 1.0, "canvas must be fully covered"
        assert 10 < lv.n_shapes < 5000
        radii.append(lv.radii[: lv.n_shapes])
        img = gen.generate([i], 1, size)[0]
        # every pixel shows the colour of its front shape
        assert np.array_equal(img.numpy().transpose(1, 2, 0), lv.colors[lv.label])
    r = np.concatenate(radii)
    assert r.min() >= 0.03 * size - 1e-9 and r.max() <= 1.0 * size + 1e-9
    assert abs(fit_sigma(r, 0.03 * size, size) - 3.0) < 0.2


def test_sigma_parameter_changes_the_law():
    gen = DeadLeaves("dead-leaves-squares", sigma=2.0)
    r = np.concatenate([gen.leaves(i, 0, 64).radii for i in range(3)])
    assert abs(fit_sigma(r, 0.03 * 64, 64) - 2.0) < 0.15


def test_squares_occlusion_geometry():
    """A visible square's pixels lie inside its box; front shapes are never painted over."""
    gen = DeadLeaves("dead-leaves-squares")
    size = 64
    lv = gen.leaves(3, 0, size)
    ys, xs = np.mgrid[0:size, 0:size]
    for k in np.unique(lv.label)[:200]:
        sel = lv.label == k
        extent_x = xs[sel].max() - xs[sel].min() + 1
        extent_y = ys[sel].max() - ys[sel].min() + 1
        assert max(extent_x, extent_y) <= 2 * lv.radii[k] + 1
    # shape 0 is in front: its whole box (clipped) shows label 0
    assert (lv.label == 0).sum() >= 1


def test_shapes_family_shows_every_kind():
    gen = DeadLeaves("dead-leaves-shapes")
    lv = gen.leaves(0, 0, 128)
    visible = np.unique(lv.kinds[np.unique(lv.label)])
    assert len(visible) == len(KINDS)


def test_textures_fill_shapes_with_texture():
    gen = DeadLeaves("dead-leaves-textures", textures=2, texture_iterations=1)
    img = gen.generate([0], 0, 64)[0].numpy().astype(int)
    lv = gen.leaves(0, 0, 64)
    # flat-colour leaves would make every shape one colour; textured ones vary inside big shapes
    k = np.bincount(lv.label.ravel()).argmax()
    inside = img[:, lv.label == k]
    assert inside.std(axis=1).max() > 3


def test_texture_of_a_shape_is_a_window_of_a_spectrum_color_wmm_texture():
    """Each visible shape shows its pool texture (made by the spectrum+colour+WMM model from its
    own stream), in its channel order, shifted periodically by its offsets."""
    size, seed, n = 64, 3, 50
    gen = DeadLeaves("dead-leaves-textures", textures=n, texture_iterations=2)
    img = gen.generate([4], seed, size)[0].numpy()
    lv = gen.leaves(4, seed, size)
    extra = np.concatenate(lv.extra, axis=1)
    model = StatisticalNoise("t", color=True, use_wmm=True, iterations=2)
    ts = texture_size(size)
    ys, xs = np.mgrid[0:size, 0:size]
    for k in np.argsort(-np.bincount(lv.label.ravel()))[:5]:
        t, perm = extra[0, k] % n, PERMS[(extra[0, k] // n) % 6]
        tex = to_uint8_hwc(model.render_float(image_rng(seed, int(t), "dead-leaves-textures/texture"), ts))
        sel = lv.label == k
        want = tex[perm][:, (extra[1, k] + ys[sel]) % ts, (extra[2, k] + xs[sel]) % ts]
        assert np.array_equal(img[:, sel], want)


def test_texture_pool_is_shared_and_order_free():
    """Textures are shared by the images of a seed, so an image is the same whatever was made
    before it, at whatever size or seed (pools of other seeds are evicted and remade)."""
    fresh = DeadLeaves("dead-leaves-textures", textures=30, texture_iterations=1).generate([7], 1, 48)
    gen = DeadLeaves("dead-leaves-textures", textures=30, texture_iterations=1)
    gen.generate([0, 1], 1, 48)  # fills part of the pool image 7 draws from
    assert torch.equal(gen.generate([7], 1, 48), fresh)
    for s in (2, 3, 4):  # evicts seed 1's pool (a few pools are kept)
        gen.generate([0], s, 32 if s % 2 else 48)
    assert torch.equal(gen.generate([7], 1, 48), fresh)


@pytest.mark.parametrize("bad, match", [
    (dict(sigma=0.5), "sigma"),
    (dict(sigma=9.0), "sigma"),
    (dict(shapes=["hexagon"]), "unknown shape 'hexagon'"),
    (dict(rmin=0.5, rmax=0.1), "rmax"),
    (dict(max_shapes=0), "max_shapes"),
    (dict(textures=-1), "textures"),
])
def test_bad_parameters(bad, match):
    with pytest.raises(ConfigError, match=match):
        DeadLeaves("dead-leaves-shapes", **bad)


@pytest.mark.parametrize("size", [-1, 0, 16, 513])
def test_bad_size(size):
    with pytest.raises(ConfigError, match="size"):
        DeadLeaves("dead-leaves-squares").generate([0], 0, size)
