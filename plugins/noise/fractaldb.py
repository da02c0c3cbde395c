"""Generator `fractaldb`: iterated-function-system fractals, one category per accepted random IFS."""

from __future__ import annotations

import numpy as np
import torch

from harness import GENERATOR, Component, ConfigError, Param, hookimpl

from .base import PerImageGenerator, check_range, image_rng

CHECK_SIZE = 128  # categories are accepted at this canvas size, whatever size is rendered


def chaos_game(maps: np.ndarray, probs: np.ndarray, rng: np.random.Generator,
               walkers: int, steps: int, burn_in: int = 8):
    """Points of the IFS attractor: `walkers` independent chaos-game walks, vectorised per step.

    maps (K, 6) rows (a, b, c, d, e, f): x' = a x + b y + e, y' = c x + d y + f.
    Returns x, y (N,) and the map that produced each point (for colouring).
    """
    choice = rng.choice(len(maps), size=(steps, walkers), p=probs)
    x = rng.uniform(-1, 1, walkers); y = rng.uniform(-1, 1, walkers)
    xs = np.empty((steps - burn_in, walkers)); ys = np.empty_like(xs)
    a, b, c, d, e, f = (maps[:, j] for j in range(6))
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            k = choice[t]
            x, y = a[k] * x + b[k] * y + e[k], c[k] * x + d[k] * y + f[k]
            if t >= burn_in:
                xs[t - burn_in] = x; ys[t - burn_in] = y
    return xs.ravel(), ys.ravel(), choice[burn_in:].ravel()


def rasterise(x: np.ndarray, y: np.ndarray, size: int, pad: float = 0.04):
    """(flat pixel index, kept mask) of the points after fitting their bounding box into the canvas.

    Points of a diverging walk (|coordinate| >= 1e6, inf, nan) are dropped.
    """
    with np.errstate(invalid="ignore"):
        ok = (np.abs(x) < 1e6) & (np.abs(y) < 1e6)
    x, y = x[ok], y[ok]
    if x.size == 0:
        return np.zeros(0, dtype=np.int64), ok
    xlo, xhi, ylo, yhi = x.min(), x.max(), y.min(), y.max()
    span = max(xhi - xlo, yhi - ylo, 1e-9)
    k = size * (1 - 2 * pad) / span
    i = np.clip(((x - (xlo + xhi) / 2) * k + size / 2).astype(np.int64), 0, size - 1)
    j = np.clip(((y - (ylo + yhi) / 2) * k + size / 2).astype(np.int64), 0, size - 1)
    return (size - 1 - j) * size + i, ok


def fill_rate(maps: np.ndarray, probs: np.ndarray, rng: np.random.Generator, walkers: int, steps: int) -> float:
    """Fraction of the CHECK_SIZE canvas the rendered attractor covers."""
    x, y, _ = chaos_game(maps, probs, rng, walkers, steps)
    pix, _ = rasterise(x, y, CHECK_SIZE)
    hit = np.zeros(CHECK_SIZE * CHECK_SIZE, dtype=bool)
    hit[pix] = True
    return float(hit.mean())


def probabilities(maps: np.ndarray) -> np.ndarray:
    """Map probabilities ∝ |det| of the linear part (FractalDB's rule)."""
    det = np.abs(maps[:, 0] * maps[:, 3] - maps[:, 1] * maps[:, 2]) + 1e-3
    return det / det.sum()


class FractalDB(PerImageGenerator):
    """Image i has category i % categories; its IFS is the category's, with one map's weights varied."""

    def __init__(self, categories: int = 1000, min_maps: int = 2, max_maps: int = 4, fill: float = 0.2,
                 walkers: int = 1024, steps: int = 48, weight_jitter: float = 0.2):
        self.name = "fractaldb"
        if categories < 1:
            raise ConfigError(f"fractaldb: categories must be >= 1, got {categories}")
        if not 2 <= min_maps <= max_maps <= 8:
            raise ConfigError(f"fractaldb: need 2 <= min_maps <= max_maps <= 8, got {min_maps}, {max_maps}")
        check_range("fractaldb", "fill", fill, 0.0, 0.9)
        check_range("fractaldb", "weight_jitter", weight_jitter, 0.0, 0.9)
        self.categories, self.min_maps, self.max_maps, self.fill = categories, min_maps, max_maps, fill
        self.walkers, self.steps, self.jitter = walkers, steps, weight_jitter
        self._cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, float]] = {}

    def category(self, cat: int, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
        """(maps, colours, fill rate) of a category: the first random IFS of its stream that fills enough."""
        key = (int(seed), int(cat))
        if key not in self._cache:
            rng = image_rng(seed, cat, "fractaldb/category")
            for _attempt in range(10_000):
                k = int(rng.integers(self.min_maps, self.max_maps + 1))
                maps = rng.uniform(-1.0, 1.0, size=(k, 6))
                colors = rng.integers(40, 256, size=(k, 3)).astype(np.uint8)
                check_rng = np.random.Generator(np.random.Philox(key=rng.integers(0, 2**63, size=2)))
                probs = probabilities(maps)
                # quick reject: distinct pixels grow sublinearly with points, so a quarter of the
                # points filling < fill/4 predicts failure (category search measured ~15% faster)
                if fill_rate(maps, probs, check_rng, self.walkers // 4, self.steps) < self.fill / 4:
                    continue
                rate = fill_rate(maps, probs, check_rng, self.walkers, self.steps)
                if rate >= self.fill:
                    break
            else:  # pragma: no cover - never seen: the acceptance rate is a few percent
                raise ConfigError(f"fractaldb: no IFS with fill rate >= {self.fill} found for category {cat}")
            self._cache[key] = (maps, colors, rate)
        return self._cache[key]

    def labels(self, indices, seed: int) -> torch.Tensor:
        return torch.tensor([int(i) % self.categories for i in indices], dtype=torch.int64)

    def render(self, index: int, seed: int, size: int) -> np.ndarray:
        maps, colors, _ = self.category(index % self.categories, seed)
        rng = image_rng(seed, index, "fractaldb/instance")
        maps = maps.copy()
        j = int(rng.integers(len(maps)))  # FractalDB instances: one map's parameters scaled by a weight
        maps[j, :4] *= 1.0 + rng.uniform(-self.jitter, self.jitter)
        # more points at larger canvases so strokes stay solid
        walkers = max(self.walkers, int(self.walkers * (size / CHECK_SIZE) ** 2))
        x, y, which = chaos_game(maps, probabilities(maps), rng, walkers, self.steps)
        pix, ok = rasterise(x, y, size)
        top = np.full(size * size, -1, dtype=np.int64)
        np.maximum.at(top, pix, which[ok])  # a pixel shows the highest map that hit it: order-free
        palette = np.concatenate([colors, np.zeros((1, 3), dtype=np.uint8)])  # -1 -> black
        img = palette[top]
        return np.ascontiguousarray(img.reshape(size, size, 3).transpose(2, 0, 1))


@hookimpl
def seebench_register_generators():
    return [Component(
        kind=GENERATOR, name="fractaldb", factory=FractalDB,
        description="IFS fractals (FractalDB): categories are random IFSs that fill >= 20% of the canvas",
        params=(
            Param("categories", 1000, "number of IFS categories (labels are index % categories)", minimum=1),
            Param("min_maps", 2, "fewest affine maps of an IFS", minimum=2, maximum=8),
            Param("max_maps", 4, "most affine maps of an IFS", minimum=2, maximum=8),
            Param("fill", 0.2, "fill rate a category's IFS must reach at 128 px", minimum=0.0, maximum=0.9),
            Param("walkers", 1024, "parallel chaos-game walkers (points per image = walkers * steps)", minimum=16),
            Param("steps", 48, "chaos-game steps per walker", minimum=10),
            Param("weight_jitter", 0.2, "instances scale one map's weights by 1 +- this", minimum=0.0, maximum=0.9),
        ),
        tags=("fractal",),
        metadata={"role": "synthetic", "family": "fractaldb", "reference": {"imagenet100-top1": 33.4}},
    )]
