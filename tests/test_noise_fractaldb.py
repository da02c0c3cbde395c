"""FractalDB: the official acceptance rule, map probabilities, weight variants, flips, labels and instances."""

import numpy as np
import pytest

from seebench import ConfigError
from seebench_plugins.generators.noise.base import image_rng
from seebench_plugins.generators.noise.fractaldb import SEARCH_SIZE, FractalDB, flip, weight_variants
from seebench_plugins.generators.noise.fractaldb_ifs import canvas_pixels, choice_table, fill_rate


def test_categories_pass_the_official_fill_rule():
    gen = FractalDB(categories=4)
    for c in range(4):
        maps, probs, rate = gen.category(c, seed=0)
        assert rate >= 0.2 and 2 <= len(maps) <= 7
        det = np.abs(maps[:, 0] * maps[:, 3] - maps[:, 1] * maps[:, 2])
        np.testing.assert_allclose(probs, det / det.sum())  # ifs_search.py: prob = |ad - bc| / sum
        # re-measured with an independent stream the attractor still lights about as much of 512 px
        again = fill_rate(maps, probs, image_rng(9, c, "check"), 100_000, SEARCH_SIZE, 2048, 20)
        assert abs(again - rate) < 0.02, (c, rate, again)


def test_choice_table_follows_the_probabilities():
    probs = np.array([0.1, 0.6, 0.3])
    counts = np.bincount(choice_table(probs), minlength=3) / 2**16
    np.testing.assert_allclose(counts, probs, atol=1e-4)


def test_canvas_fit_stretches_each_axis():
    x = np.array([0.0, 1.0, 3.0]); y = np.array([0.0, -0.5, 0.1])  # the origin is part of the fit
    col, row = canvas_pixels(x, y, 362)
    assert col.min() == row.min() == 6 and col.max() == row.max() == 356


def test_weight_variants_are_the_official_csv():
    w = weight_variants(0.4)
    assert w.shape == (25, 6)
    assert w[2].tolist() == [1.0] * 6  # weights_0.4.csv row 3 is the identity
    assert w[:5, 0].tolist() == pytest.approx([0.2, 0.6, 1.0, 1.4, 1.8])
    assert w[5:9, 1].tolist() == pytest.approx([0.2, 0.6, 1.4, 1.8])
    assert ((w != 1).sum(axis=1) <= 1).all() and w[21:, 5].tolist() == pytest.approx([0.2, 0.6, 1.4, 1.8])


def test_flips_are_the_four_official_orientations():
    a = np.arange(12).reshape(3, 4)
    got = {flip(a, k).tobytes() for k in range(4)}
    assert len(got) == 4 and np.array_equal(flip(a, 1), a)  # top-bottom twice: as drawn


def test_labels_and_instances():
    gen = FractalDB(categories=3)
    idx = [0, 1, 2, 3, 4, 5]
    assert gen.labels(idx, 0).tolist() == [0, 1, 2, 0, 1, 2]
    imgs = gen.generate(idx, 0, 64).numpy()
    assert not np.array_equal(imgs[0], imgs[3])  # same category, different instance
    assert (imgs[:, 0] == imgs[:, 1]).all() and (imgs[:, 0] == imgs[:, 2]).all()  # grey
    fill = (imgs.max(axis=1) > 0).mean(axis=(1, 2))
    assert (fill > 0.05).all()
    native = gen.canvas(0, 0)
    assert native.shape == (362, 362) and set(np.unique(native)) <= {0, 127}


def test_category_depends_on_seed():
    a = FractalDB(categories=2).category(0, 0)[0]
    b = FractalDB(categories=2).category(0, 1)[0]
    assert a.shape != b.shape or not np.allclose(a, b)


@pytest.mark.parametrize("bad", [dict(categories=0), dict(min_maps=1), dict(min_maps=5, max_maps=3),
                                 dict(fill=1.5), dict(weight_step=0.7), dict(points=10)])
def test_bad_parameters(bad):
    with pytest.raises(ConfigError):
        FractalDB(**bad)
