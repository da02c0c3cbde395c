"""Dead leaves: the fast generator against the plain reference (tests/references/dead_leaves.py).

Statistics that decide what the images look like, at the paper's 128 px (small-scale resolution of
generate_dataset.py) and at 64 px: visible regions per image and their areas, radii of the painted
shapes, kind shares, colours, per-image variety; for textures that every region is an aligned window
of one texture of the set. Two-sample tests on fixed seeds (deterministic: a pass is always a
pass); each tolerance says why. Samples: 60 fast images and 14 reference images per (family, size).
"""

import numpy as np
import pytest
from scipy import stats

from seebench.plugins.manager import load_registry
from references.dead_leaves import SHAPES, draw_shapes, radius_table, shape_pixels
from seebench_plugins.generators.noise.dead_leaves import DeadLeaves
from seebench_plugins.generators.noise.statistical import StatisticalNoise

FAMILIES = {"dead-leaves-squares": "square", "dead-leaves-oriented": "oriented_square",
            "dead-leaves-shapes": "mixed"}
SIZES = (128, 64)
N_FAST, N_REF = 60, 14
# p-values below this fail. Both sides are correct samplers of one law, so a right generator fails
# with probability 1e-3 per test, and the seeds are fixed: the outcome never flips between runs.
P_MIN = 1e-3


def summarise(label: np.ndarray, radii, kinds, colors) -> dict:
    """What one image is made of: visible regions (by shape), their areas, kinds and colours."""
    areas = np.bincount(label[label >= 0].ravel())
    shown = np.flatnonzero(areas)
    return {"regions": shown.size, "areas": areas[shown], "radii": np.asarray(radii, float),
            "kinds": np.asarray(kinds), "shown_kinds": np.asarray(kinds)[shown],
            "colors": np.asarray(colors)[shown], "n_shapes": len(radii),
            "pixel_kind_share": np.bincount(np.asarray(kinds)[label.ravel()], minlength=6) / label.size}


@pytest.fixture(scope="module")
def samples():
    cache = {}

    def get(family: str, size: int):
        if (family, size) not in cache:
            gen = DeadLeaves(family)
            fast = []
            for i in range(N_FAST):
                lv = gen.leaves(i, 1, size)
                n = lv.n_shapes
                fast.append(summarise(lv.label, lv.radii[:n], lv.kinds[:n], lv.colors[:n]))
            ref = []
            for i in range(N_REF):
                label, radii, shapes, colors = draw_shapes(i, 2, size, FAMILIES[family])
                ref.append(summarise(label, radii, [SHAPES.index(s) for s in shapes], colors))
            cache[family, size] = fast, ref
        return cache[family, size]

    return get


def pooled(sample, key):
    return np.concatenate([s[key] for s in sample])


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("family", FAMILIES)
def test_visible_regions_and_their_areas(samples, family, size):
    fast, ref = samples(family, size)
    n_fast = [s["regions"] for s in fast]
    n_ref = [s["regions"] for s in ref]
    # mean regions per image within 20%: the per-image sd is ~40% of the mean (coverage is a rare
    # event), so 14 reference images pin the mean to ~+-11%; the flaw found was x0.45-0.57
    assert 0.8 < np.mean(n_fast) / np.mean(n_ref) < 1.25, (np.mean(n_fast), np.mean(n_ref))
    assert stats.ks_2samp(n_fast, n_ref).pvalue > P_MIN
    # region areas: per image (the regions of one image are not independent: one big shape
    # changes them all), its median and 90th percentile, compared over images
    for q in (0.5, 0.9):
        a_fast = [np.quantile(s["areas"], q) for s in fast]
        a_ref = [np.quantile(s["areas"], q) for s in ref]
        assert stats.mannwhitneyu(a_fast, a_ref).pvalue > P_MIN, (q, np.median(a_fast), np.median(a_ref))
    # pooled median within 1 px + 10% (whole-pixel areas; the flaw: about twice the median)
    a_fast, a_ref = pooled(fast, "areas"), pooled(ref, "areas")
    assert abs(np.median(a_fast) - np.median(a_ref)) <= 1 + 0.1 * np.median(a_ref)


@pytest.mark.parametrize("family", FAMILIES)
def test_radius_law_of_painted_shapes(samples, family):
    """Radii: the official 200-point grid, truncated to whole pixels (most mass on int(0.03 res))."""
    for size in SIZES:
        fast, ref = samples(family, size)
        r_fast, r_ref = pooled(fast, "radii"), pooled(ref, "radii")
        assert np.array_equal(r_fast, np.round(r_fast)), "radii are whole pixels"
        # the exact law: P(radius = k) from the official table, against >= 10^4 fast radii (chi2)
        r_list, r_dist = radius_table()
        # grid point i is nearest to u on (mid_{i-1}, mid_i): its probability is that length
        cut = np.concatenate([[0.0], (r_dist[1:] + r_dist[:-1]) / 2, [1.0]])
        law = np.maximum((r_list * size).astype(int), 1)
        values = np.unique(law)
        p = np.array([np.diff(cut)[law == v].sum() for v in values])
        count = np.array([(r_fast == v).sum() for v in values])
        assert count.sum() == r_fast.size, "a radius off the official grid"
        expected = p / p.sum() * r_fast.size
        big = expected >= 5
        chi = stats.chisquare(np.append(count[big], count[~big].sum()),
                              np.append(expected[big], expected[~big].sum()))
        assert chi.pvalue > P_MIN
        assert stats.ks_2samp(r_fast, r_ref).pvalue > P_MIN


def test_kind_shares():
    """Mixed shapes: each drawn shape one of the 6 kinds with p = 1/6; the pixel share of each kind
    (squares inscribed in the circle are half a circle's area) as the reference's."""
    fast, ref = [], []
    gen = DeadLeaves("dead-leaves-shapes")
    for i in range(N_FAST):
        lv = gen.leaves(i, 3, 128)
        fast.append(summarise(lv.label, lv.radii[:lv.n_shapes], lv.kinds[:lv.n_shapes], lv.colors))
    for i in range(N_REF):
        label, radii, shapes, colors = draw_shapes(i, 4, 128, "mixed")
        ref.append(summarise(label, radii, [SHAPES.index(s) for s in shapes], colors))
    drawn = np.bincount(pooled(fast, "kinds"), minlength=6)
    assert stats.chisquare(drawn).pvalue > P_MIN  # uniform over the 6 kinds
    share_fast = np.array([s["pixel_kind_share"] for s in fast])
    share_ref = np.array([s["pixel_kind_share"] for s in ref])
    for k in range(6):
        # per-image shares: 60 vs 14 images; the flaw (squares of side 2r, 2x the area) moves the
        # square share from ~0.12 to ~0.25
        assert stats.mannwhitneyu(share_fast[:, k], share_ref[:, k]).pvalue > P_MIN, SHAPES[k]
        assert abs(share_fast[:, k].mean() - share_ref[:, k].mean()) < 0.1, SHAPES[k]  # ~2.5 s.e.


@pytest.mark.parametrize("family", ["dead-leaves-squares", "dead-leaves-shapes"])
def test_colours_and_per_image_variety(samples, family):
    fast, ref = samples(family, 128)
    c_fast, c_ref = pooled(fast, "colors"), pooled(ref, "colors")
    # official colour: int(U(0,1) * 255) per channel, so 0..254 and never 255
    assert c_fast.max() <= 254 and c_fast.min() == 0
    for ch in range(3):
        assert stats.ks_2samp(c_fast[:, ch], c_ref[:, ch]).pvalue > P_MIN
    # per-image variety: shapes painted until covered (the stopping rule) and area spread
    assert stats.ks_2samp([s["n_shapes"] for s in fast], [s["n_shapes"] for s in ref]).pvalue > P_MIN
    spread_fast = [np.log(s["areas"]).std() for s in fast]
    spread_ref = [np.log(s["areas"]).std() for s in ref]
    assert stats.mannwhitneyu(spread_fast, spread_ref).pvalue > P_MIN


def test_fast_shape_pixels_equal_the_reference():
    """Shape by shape the fast rasteriser paints the reference's pixels (OpenCV's), borders included."""
    from seebench_plugins.generators.noise.leaves import block_pixels, draw_block, radius_grid
    size = 64
    rng = np.random.default_rng(5)
    for kinds in ((0,), (1,), (2,), (3,), (4,), (5,)):
        blk = draw_block(rng, size, kinds, radius_grid(3.0, 0.03, 1.0))
        sel = np.arange(blk.kind.size)
        pix, sid = block_pixels(blk, size, sel)
        for k in range(0, blk.kind.size, 2):
            want = np.zeros(size * size, bool)
            got = np.zeros(size * size, bool)
            got[pix[sid == k]] = True
            shape = SHAPES[blk.kind[k]]
            vx, vy = blk.vx[k], blk.vy[k]
            if shape == "circle":
                xs, ys = shape_pixels(shape, int(blk.cx[k]), int(blk.cy[k]), int(blk.radius[k]), None, size)
            else:
                from references.dead_leaves import polygon_pixels
                xs, ys = polygon_pixels(list(zip(vx.tolist(), vy.tolist())), size)
            inside = (xs >= 0) & (xs < size) & (ys >= 0) & (ys < size)
            want[ys[inside] * size + xs[inside]] = True
            assert np.array_equal(got, want), (shape, k)


def test_texture_regions_are_aligned_windows_of_one_texture():
    """Textured: a visible region shows the pixels (y, x) of one texture of the set at (y, x), in the
    texture's own channel order, and the set has the official 10,000 textures by default."""
    comp = load_registry(allow=["noise-dead-leaves"]).get("generator", "dead-leaves-textures")
    assert {p.name: p.default for p in comp.params}["textures"] == 10_000
    size, seed, n = 64, 3, 12
    gen = DeadLeaves("dead-leaves-textures", textures=n, texture_iterations=1)
    img = gen.generate([4], seed, size)[0].numpy()
    lv = gen.leaves(4, seed, size)
    model = StatisticalNoise("dead-leaves-textures/texture", color=True, use_wmm=True, iterations=1)
    textures = np.stack([model.render(t, seed, size) for t in range(n)])
    areas = np.bincount(lv.label.ravel())
    used = set()
    for k in np.argsort(-areas)[:12]:
        sel = lv.label == k
        match = [t for t in range(n) if np.array_equal(img[:, sel], textures[t][:, sel])]
        assert match, f"region {k} ({areas[k]} px) is no aligned window of any texture"
        used.update(match)
    assert len(used) > 3  # regions take different textures


def test_each_region_takes_a_texture_uniformly_from_the_ten_thousand():
    """Official: random.choice over the 10,000 loaded textures, per region, with replacement."""
    gen = load_registry(allow=["noise-dead-leaves"]).get("generator", "dead-leaves-textures").build()
    picks, repeats, expected = [], 0, 0.0
    for i in range(20):
        lv = gen.leaves(i, 0, 128)
        shown = np.unique(lv.label)
        tex = gen.texture_of(lv)[shown]
        picks.append(tex)
        k = shown.size  # regions; repeats among k uniform picks from 10,000
        repeats += k - np.unique(tex).size
        expected += k - 10_000 * (1 - (1 - 1e-4) ** k)
    picks = np.concatenate(picks)
    assert stats.kstest(picks / 10_000, "uniform").pvalue > P_MIN
    # repeats are ~Poisson(expected ~ 60): within 4 sd (a set of 1,000 would give ~10x as many)
    assert abs(repeats - expected) < 4 * np.sqrt(expected) + 1, (repeats, expected)
