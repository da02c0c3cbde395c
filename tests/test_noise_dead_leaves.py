"""Dead leaves: the official radius grid, coverage, painting order, textures, parameter errors."""

import numpy as np
import pytest
import torch

from seebench import ConfigError
from seebench_plugins.generators.noise.dead_leaves import DeadLeaves
from seebench_plugins.generators.noise.leaves import KINDS, radius_grid
from seebench_plugins.generators.noise.statistical import StatisticalNoise

FAMILIES = ["dead-leaves-squares", "dead-leaves-oriented", "dead-leaves-shapes"]


def grid_law(size: int, sigma: float = 3.0) -> dict:
    """P(radius = k px) of the official 200-point grid (nearest point to a uniform number)."""
    r_list, cdf = radius_grid(sigma, 0.03, 1.0)
    cut = np.diff(np.concatenate([[0.0], (cdf[1:] + cdf[:-1]) / 2, [1.0]]))
    law = np.maximum((r_list * size).astype(int), 1)
    return {int(v): float(cut[law == v].sum()) for v in np.unique(law)}


@pytest.mark.parametrize("family", FAMILIES)
def test_radius_grid_and_coverage(family):
    gen = DeadLeaves(family)
    size = 96
    radii = []
    for i in range(6):
        lv = gen.leaves(i, seed=1, size=size)
        assert lv.covered == 1.0, "canvas must be fully covered"
        assert 10 < lv.n_shapes < 5000
        # the shape that completed the cover is painted last, so it is on top somewhere
        assert (lv.label == lv.n_shapes - 1).any()
        radii.append(lv.radii)
        img = gen.generate([i], 1, size)[0]
        # every pixel shows the colour of its top shape
        assert np.array_equal(img.numpy().transpose(1, 2, 0), lv.colors[lv.label])
    r = np.concatenate(radii)
    law = grid_law(size)
    assert set(np.unique(r).tolist()) <= set(law)
    smallest = min(law)  # int(0.03 * 96) = 2 px carries 36.5% of the mass
    assert smallest == 2 and abs((r == smallest).mean() - law[smallest]) < 0.03


def test_sigma_parameter_changes_the_law():
    gen = DeadLeaves("dead-leaves-squares", sigma=2.0)
    r = np.concatenate([gen.leaves(i, 0, 64).radii for i in range(3)])
    law2, law3 = grid_law(64, 2.0), grid_law(64, 3.0)
    assert abs((r == 1).mean() - law2[1]) < 0.03 and law2[1] < law3[1] - 0.1


def test_painted_on_top_and_square_geometry():
    """A later shape covers the earlier ones: the last painted square shows all its pixels; a
    visible square's pixels lie in the official square of half side int(r * sqrt(2) / 2)."""
    gen = DeadLeaves("dead-leaves-squares")
    size = 64
    lv = gen.leaves(3, 0, size)
    ys, xs = np.mgrid[0:size, 0:size]
    for k in np.unique(lv.label):
        sel = lv.label == k
        extent = max(xs[sel].max() - xs[sel].min(), ys[sel].max() - ys[sel].min()) + 1
        assert extent <= 2 * int(lv.radii[k] * np.sqrt(2) / 2) + 1
    last = lv.n_shapes - 1
    sel = lv.label == last
    h = int(lv.radii[last] * np.sqrt(2) / 2)
    cx, cy = (xs[sel].min() + xs[sel].max()) // 2, (ys[sel].min() + ys[sel].max()) // 2
    box = (abs(xs - cx) <= h) & (abs(ys - cy) <= h)
    if sel.sum() == (2 * h + 1) ** 2:  # wholly inside the canvas: every pixel of its box is its own
        assert np.array_equal(sel, box)


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


def test_texture_of_a_shape_is_its_texture_at_the_same_pixels():
    """Each visible shape shows its texture of the set (spectrum+colour+WMM image t of the seed,
    full size), pixel (y, x) at (y, x), channels in their own order."""
    size, seed, n = 64, 3, 50
    gen = DeadLeaves("dead-leaves-textures", textures=n, texture_iterations=2)
    img = gen.generate([4], seed, size)[0].numpy()
    lv = gen.leaves(4, seed, size)
    tex = gen.texture_of(lv)
    model = StatisticalNoise("dead-leaves-textures/texture", color=True, use_wmm=True, iterations=2)
    for k in np.argsort(-np.bincount(lv.label.ravel()))[:5]:
        sel = lv.label == k
        assert np.array_equal(img[:, sel], model.render(int(tex[k]), seed, size)[:, sel])


def test_texture_pool_is_shared_and_order_free(monkeypatch):
    """Textures are shared by the images of a seed, so an image is the same whatever was made
    before it, at whatever size or seed, and however little memory the pool may hold."""
    fresh = DeadLeaves("dead-leaves-textures", textures=30, texture_iterations=1).generate([7], 1, 48)
    gen = DeadLeaves("dead-leaves-textures", textures=30, texture_iterations=1)
    gen.generate([0, 1], 1, 48)  # fills part of the pool image 7 draws from
    assert torch.equal(gen.generate([7], 1, 48), fresh)
    for s in (2, 3, 4):  # evicts seed 1's pool (a few pools are kept)
        gen.generate([0], s, 32 if s % 2 else 48)
    assert torch.equal(gen.generate([7], 1, 48), fresh)
    roomy = DeadLeaves("dead-leaves-textures", textures=400, texture_iterations=1).generate([0, 1, 7], 1, 48)
    monkeypatch.setenv("SEEBENCH_TEXTURE_CACHE_GB", "0.0001")  # ~7 slots: one image's worth, evictions
    small = DeadLeaves("dead-leaves-textures", textures=400, texture_iterations=1)
    assert torch.equal(small.generate([0, 1, 7], 1, 48), roomy)
    assert small._pool._pools[(1, 48)]["store"].shape[0] < 400


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
