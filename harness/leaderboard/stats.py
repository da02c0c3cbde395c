"""What a table may claim: intervals over seeds, tests against the baselines, indistinguishable groups, ρ with its interval.

Everything here works on plain numbers keyed by seed (`{seed: value}` per row), so the same
statistics serve every renderer (terminal, markdown, CSV/JSON, the page, the chart).

- `interval`: the 95 % t-interval of a row's mean over its seeds; None with one seed (no interval
  exists, and the renderers say so rather than print ± 0).
- `compare`: is a row different from a baseline? Paired t-test over the seeds both have (the same
  seed means the same data order and initialisation, so pairing removes that shared noise) when at
  least two seeds match, else Welch's t-test; None when either side has fewer than two seeds.
- `holm`: Holm's step-down correction of a family of p-values (scipy has no Holm; statsmodels
  would be a dependency for one function).
- `groups`: rows that cannot be told apart, as the classic "underline" display: rows sorted by
  mean, each maximal run in which no pair differs after Holm correction gets a letter.
- `spearman_interval`: ρ of our means against the paper's numbers with a bootstrap interval that
  resamples each row's seeds, and the number of rows it rests on.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from scipy import stats as sps

from seebench.primitives.rng import keyed_rng

ALPHA = 0.05


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0


def interval(values: Sequence[float], level: float = 0.95) -> Interval | None:
    """The t-interval of the mean of `values` (one per seed); None with fewer than two values."""
    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if len(x) < 2:
        return None
    mean, sem = float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x)))
    half = float(sps.t.ppf(0.5 + level / 2.0, len(x) - 1)) * sem
    return Interval(mean, mean - half, mean + half, len(x))


@dataclass(frozen=True)
class Comparison:
    p: float  # two-sided p-value before correction
    test: str  # "paired" or "welch"
    diff: float  # mean(row) - mean(baseline)
    n: int  # seeds used (pairs for a paired test, row seeds for Welch)


def compare(row: Mapping[int, float], baseline: Mapping[int, float]) -> Comparison | None:
    """Two-sided test of row vs baseline; paired by seed when at least two seeds match."""
    if len(row) < 2 or len(baseline) < 2:
        return None
    common = sorted(set(row) & set(baseline))
    a = np.asarray(list(row.values()), dtype=float)
    b = np.asarray(list(baseline.values()), dtype=float)
    if len(common) >= 2:
        x = np.asarray([row[s] for s in common], dtype=float)
        y = np.asarray([baseline[s] for s in common], dtype=float)
        d = x - y
        if np.all(d == d[0]):  # no spread in the differences: the t statistic is undefined
            p = 1.0 if d[0] == 0 else 0.0
        else:
            p = float(sps.ttest_rel(x, y).pvalue)
        return Comparison(p, "paired", float(d.mean()), len(common))
    if np.all(a == a[0]) and np.all(b == b[0]):
        p = 1.0 if a[0] == b[0] else 0.0
    else:
        p = float(sps.ttest_ind(a, b, equal_var=False).pvalue)
    return Comparison(p, "welch", float(a.mean() - b.mean()), len(a))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values (same order as given), monotone and capped at 1."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p, kind="stable")
    m = len(p)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted.tolist()


def differs(rows: Mapping[str, Mapping[int, float]], baseline: str,
            alpha: float = ALPHA) -> dict[str, tuple[Comparison, float, bool]]:
    """Every row (but the baseline) against `baseline`: (comparison, Holm-adjusted p, significant)."""
    if baseline not in rows:
        return {}
    tested = {name: compare(values, rows[baseline]) for name, values in rows.items() if name != baseline}
    tested = {name: c for name, c in tested.items() if c is not None}
    adjusted = holm([c.p for c in tested.values()]) if tested else []
    return {name: (c, p, p < alpha) for (name, c), p in zip(tested.items(), adjusted)}


def groups(rows: Mapping[str, Mapping[int, float]], higher_is_better: bool = True,
           alpha: float = ALPHA) -> dict[str, str]:
    """Letters per row: rows sharing a letter cannot be told apart (all pairwise tests, Holm-corrected).

    Rows with fewer than two seeds get no letter (nothing can be said of them).
    """
    names = [n for n, v in rows.items() if len(v) >= 2]
    names.sort(key=lambda n: -np.mean(list(rows[n].values())) if higher_is_better else np.mean(list(rows[n].values())))
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    comps = [compare(rows[a], rows[b]) for a, b in pairs]
    adjusted = holm([c.p for c in comps]) if comps else []
    different = {frozenset(pair) for pair, p in zip(pairs, adjusted) if p < alpha}
    runs: list[tuple[int, int]] = []
    for i in range(len(names)):
        j = i
        while j + 1 < len(names) and all(frozenset((names[k], names[j + 1])) not in different for k in range(i, j + 1)):
            j += 1
        if not runs or j > runs[-1][1]:  # keep only maximal runs
            runs.append((i, j))
    letters: dict[str, str] = {n: "" for n in names}
    for k, (i, j) in enumerate(runs):
        letter = _letter(k)
        for n in names[i:j + 1]:
            letters[n] += letter
    return letters


def _letter(k: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[k] if k < 26 else f"[{k}]"


@dataclass(frozen=True)
class Rho:
    rho: float
    low: float | None
    high: float | None
    rows: int
    samples: int


def spearman_interval(rows: Mapping[str, Mapping[int, float]], paper: Mapping[str, float],
                      samples: int = 2000, seed: int = 0, level: float = 0.95) -> Rho | None:
    """Spearman ρ of row means against the paper's numbers, with a bootstrap interval over seeds.

    Each bootstrap sample redraws every row's seeds with replacement and recomputes the means; rows
    with one seed stay fixed. None when fewer than three rows have a paper number (ρ means nothing)
    or when every mean is tied.
    The interval is None when no row has two seeds (nothing to resample).
    """
    names = [n for n in rows if n in paper and len(rows[n]) > 0]
    if len(names) < 3:
        return None
    ours = np.asarray([np.mean(list(rows[n].values())) for n in names])
    theirs = np.asarray([paper[n] for n in names], dtype=float)
    rho = _spearman(ours, theirs)
    if not math.isfinite(rho):  # every mean (or paper number) tied: no rank order to correlate
        return None
    if not any(len(rows[n]) >= 2 for n in names):
        return Rho(rho, None, None, len(names), 0)
    rng = keyed_rng(seed)  # = np.random.default_rng(seed)
    values = [np.asarray(list(rows[n].values()), dtype=float) for n in names]
    boot = np.empty(samples)
    for s in range(samples):
        means = np.asarray([v[rng.integers(0, len(v), len(v))].mean() for v in values])
        r = _spearman(means, theirs)
        boot[s] = 0.0 if not math.isfinite(r) else r  # all means tied in a sample: no rank order
    lo, hi = np.quantile(boot, [0.5 - level / 2.0, 0.5 + level / 2.0])
    return Rho(rho, float(lo), float(hi), len(names), samples)


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sps.ConstantInputWarning)  # handled: nan -> no rank order
        return float(sps.spearmanr(x, y).statistic)
