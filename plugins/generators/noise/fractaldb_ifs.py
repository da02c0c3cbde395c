"""FractalDB's iterated function systems: random affine maps, a vectorised chaos game, the official canvas fit.

Facts from the official FractalDB code (Kataoka et al., hirokatsukataoka16/FractalDB-Pretrained-ResNet-
PyTorch): param_search/ifs_search.py draws 2-7 maps (np.random.randint(2, 8)) with all six parameters
uniform in [-1, 1] and gives each map the probability |ad - bc| / sum; ifs_simple.py / ifs_function.py run
the chaos game from (0, 0) and fit the points into the canvas one axis at a time (`__rescale`: each axis
stretched on its own to [pad, size - pad], the start point included, coordinates truncated to integers).
"""

from __future__ import annotations

import numpy as np

PAD = 6  # ifs_search.py generator(): draw_point(512, 512, 6, 6, ...); make_fractaldb.py --pad_size_x/y 6
CHOICE_LEVELS = 1 << 16  # a map is chosen by a 16-bit uniform looked up in a table of its probabilities
DIVERGED = 1e12  # |coordinate| past this: the walk diverges (official: overflow, nan, squashed attractor)


def random_ifs(rng: np.random.Generator, min_maps: int, max_maps: int) -> tuple[np.ndarray, np.ndarray]:
    """(maps (K, 6) rows a, b, c, d, e, f; probabilities (K,)) as ifs_search.py draws a candidate."""
    k = int(rng.integers(min_maps, max_maps + 1))
    maps = rng.uniform(-1.0, 1.0, size=(k, 6))
    det = np.abs(maps[:, 0] * maps[:, 3] - maps[:, 1] * maps[:, 2])
    return maps, det / det.sum()


def choice_table(probs: np.ndarray) -> np.ndarray:
    """Map index for each 16-bit uniform: the first map whose cumulative probability reaches it
    (ifs_simple.calculate: `if rand[i] <= select_function[j]`)."""
    u = (np.arange(CHOICE_LEVELS) + 0.5) / CHOICE_LEVELS
    table = np.searchsorted(np.cumsum(probs), u, side="left")
    return np.minimum(table, len(probs) - 1).astype(np.intp)


def chaos_game(maps: np.ndarray, choices: np.ndarray, burn_in: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Points of the official chain, computed by `walkers` chains at once.

    choices (steps, walkers): the map of each step. Every walker starts at (0, 0) like the official
    single chain; the points kept are the origin, walker 0's whole walk (the official chain's start) and
    every walker's points after `burn_in` steps (samples of the attractor, as the rest of the official
    chain is). None when the walk diverges (no bounded attractor: the official search rejects those).
    """
    steps, walkers = choices.shape
    a, b, c, d, e, f = (np.ascontiguousarray(maps[:, j]) for j in range(6))
    x = np.zeros(walkers); y = np.zeros(walkers)
    xs = np.empty((steps, walkers)); ys = np.empty((steps, walkers))
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            k = choices[t]
            x, y = a[k] * x + b[k] * y + e[k], c[k] * x + d[k] * y + f[k]
            xs[t] = x; ys[t] = y
    if not (np.all(np.abs(x) < DIVERGED) and np.all(np.abs(y) < DIVERGED)):
        return None
    start_x = np.concatenate([[0.0], xs[:burn_in, 0]]); start_y = np.concatenate([[0.0], ys[:burn_in, 0]])
    return (np.concatenate([start_x, xs[burn_in:].ravel()]), np.concatenate([start_y, ys[burn_in:].ravel()]))


def canvas_pixels(x: np.ndarray, y: np.ndarray, size: int, pad: int = PAD) -> tuple[np.ndarray, np.ndarray]:
    """(column, row) of each point: each axis shifted to 0 and stretched to [pad, size - pad] on its own,
    then truncated (ifs_function.__rescale; its nan handling is the divergence test of `chaos_game`)."""
    span = float(size - 2 * pad)
    xr = max(float(x.max() - x.min()), 1e-300); yr = max(float(y.max() - y.min()), 1e-300)
    col = ((x - x.min()) * (span / xr) + pad).astype(np.int64)
    row = ((y - y.min()) * (span / yr) + pad).astype(np.int64)
    return col, row


def walk_shape(points: int, walkers: int, burn_in: int) -> tuple[int, int]:
    """(steps, walkers) so that the kept points number at least `points`."""
    walkers = max(1, min(walkers, points))
    return burn_in + -(-(points - burn_in - 1) // walkers), walkers


def fill_rate(maps: np.ndarray, probs: np.ndarray, rng: np.random.Generator, points: int, size: int,
              walkers: int, burn_in: int) -> float:
    """Share of a size x size canvas lit by `points` one-pixel points (ifs_search.py cal_pix)."""
    steps, walkers = walk_shape(points, walkers, burn_in)
    u = rng.integers(0, CHOICE_LEVELS, size=(steps, walkers), dtype=np.uint16)
    walk = chaos_game(maps, choice_table(probs)[u], burn_in)
    if walk is None:
        return 0.0
    col, row = canvas_pixels(walk[0][:points], walk[1][:points], size)
    lit = np.zeros(size * size, dtype=bool)
    lit[row * size + col] = True
    return float(np.count_nonzero(lit)) / (size * size)
