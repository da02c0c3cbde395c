"""Table statistics: t-intervals, paired vs Welch tests, Holm, indistinguishable groups, ρ with a bootstrap interval."""

import math

import pytest

from seebench.leaderboard.stats import compare, differs, groups, holm, interval, spearman_interval


def test_interval_is_the_t_interval_and_absent_for_one_seed():
    iv = interval([1.0, 2.0, 3.0])
    assert iv.mean == 2.0 and iv.n == 3
    assert iv.half_width == pytest.approx(4.302653 * 1.0 / math.sqrt(3), rel=1e-6)  # t(0.975, 2) * s / sqrt(n)
    assert interval([5.0]) is None and interval([]) is None


def test_pairing_by_seed_removes_the_shared_seed_noise():
    # Seeds move both rows together by several points; the row is 1 point better on every seed.
    seed_effect = {0: -3.0, 1: 0.5, 2: 2.5, 3: -1.0}
    baseline = {s: 60.0 + e for s, e in seed_effect.items()}
    row = {s: 61.0 + e + 0.05 * (-1) ** s for s, e in seed_effect.items()}
    paired = compare(row, baseline)
    assert paired.test == "paired" and paired.n == 4 and paired.diff == pytest.approx(1.0)
    assert paired.p < 0.001
    unpaired = compare({s + 10: v for s, v in row.items()}, baseline)  # no common seed: Welch
    assert unpaired.test == "welch" and unpaired.p > 0.3
    assert compare({0: 1.0}, baseline) is None


def test_holm_adjusts_step_down_and_stays_monotone():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])


def test_differs_marks_only_rows_beyond_noise_after_correction():
    rows = {"random-init": {0: 56.0, 1: 56.5, 2: 55.8},
            "family": {0: 64.0, 1: 64.8, 2: 63.9},
            "close": {0: 56.3, 1: 56.2, 2: 56.1}}
    out = differs(rows, "random-init")
    assert set(out) == {"family", "close"}
    assert out["family"][2] and not out["close"][2]
    assert out["family"][1] >= out["family"][0].p  # adjusted p never below the raw one
    assert differs(rows, "white-noise") == {}


def test_groups_letter_rows_that_cannot_be_told_apart():
    rows = {"a": {0: 70.0, 1: 70.4, 2: 69.8}, "b": {0: 69.9, 1: 70.3, 2: 69.9},
            "c": {0: 60.0, 1: 60.2, 2: 59.7}, "d": {0: 50.1, 1: 50.0, 2: 49.6}, "lonely": {0: 80.0}}
    letters = groups(rows)
    assert letters["a"] == letters["b"] == "a"
    assert letters["c"] == "b" and letters["d"] == "c"
    assert "lonely" not in letters


def test_rho_has_a_bootstrap_interval_and_the_number_of_rows():
    paper = {"x": 30.0, "y": 35.0, "z": 40.0, "w": 45.0}
    clear = {"x": {0: 50.0, 1: 50.1, 2: 49.9}, "y": {0: 55.0, 1: 55.2, 2: 54.9},
             "z": {0: 60.0, 1: 60.1, 2: 59.8}, "w": {0: 65.0, 1: 65.1, 2: 64.9}}
    r = spearman_interval(clear, paper)
    assert r.rho == pytest.approx(1.0) and r.rows == 4 and r.low == pytest.approx(1.0)
    noisy = {k: {0: 50.0 + 3 * i, 1: 58.0 - 3 * i, 2: 54.0 + 0.1 * i} for i, k in enumerate(clear)}
    r = spearman_interval(noisy, paper)
    assert r.low < 0 < r.high  # ranks flip between bootstrap samples: the interval says so
    assert r.rho == pytest.approx(1.0)  # the means keep the paper's order; single seeds do not
    assert spearman_interval({"x": clear["x"], "y": clear["y"]}, paper) is None
    tied = {k: {0: 50.0, 1: 51.0} for k in clear}
    assert spearman_interval(tied, paper) is None
    one_seed = {k: {0: v[0]} for k, v in clear.items()}
    r = spearman_interval(one_seed, paper)
    assert r.rho == pytest.approx(1.0) and r.low is None and r.samples == 0
