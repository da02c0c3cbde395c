"""Reference FractalDB-1k: the official search and renderer step by step, one chaos-game point at a time.

Official code: hirokatsukataoka16/FractalDB-Pretrained-ResNet-PyTorch, run as its exe.sh does it:
param_search/ifs_search.py (--rate 0.2 --category 1000 --numof_point 100000) finds the categories,
fractal_renderer/make_fractaldb.py (--image_size 362 --iteration 200000 --draw_type patch_gray
--weight_csv weights_0.4.csv, --instance 10) draws 25 weight variants x 10 patch draws x 4 flips.
Several chains may run side by side (arrays over candidates or images), but each one is the official
single chain: it starts at (0, 0), every point is kept, the map is chosen by `rand <= cumulative`.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image

SEARCH_SIZE, SEARCH_POINTS, FILL = 512, 100_000, 0.2  # ifs_search.py arguments and generator()
IMAGE_SIZE, IMAGE_POINTS, PAD = 362, 200_000, 6  # exe.sh: imagesize=362, numof_ite=200000; pad 6
WEIGHT_STEP = 0.4  # exe.sh: weight=0.4 -> fractal_renderer/weights/weights_0.4.csv
GREY = 127  # draw_patch(..., 'gray'): patch colour (127, 127, 127)


def candidates(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """ifs_search.py __main__: param_size = randint(2, 8) maps; a..f = uniform(-1, 1, 6) each;
    prob = |a d - b c|, normalised over the maps. Rows (a, b, c, d, e, f, prob) as the csv files."""
    out = []
    for _ in range(n):
        params = np.zeros((int(rng.integers(2, 8)), 7))
        for i in range(len(params)):
            a, b, c, d, e, f = rng.uniform(-1.0, 1.0, 6)
            params[i] = a, b, c, d, e, f, abs(a * d - b * c)
        params[:, 6] /= params[:, 6].sum()
        out.append(params)
    return out


def chains(params: list[np.ndarray], points: int, rand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ifs_simple.ifs_function.calculate for each parameter set: (points, chains) x and y.

    rand (points, chains) are the uniforms; step i takes the first map j with rand[i] <= cumulative
    probability j (a map of probability 0 pads a shorter IFS and is never taken). The walk is float64
    as the official; the points are kept as float32 (memory), far finer than a pixel.
    """
    k = max(len(p) for p in params)
    table = np.zeros((len(params), k, 7))
    for n, p in enumerate(params):
        table[n, :len(p)] = p
    cumulative = np.cumsum(table[:, :, 6], axis=1)
    cumulative[:, -1] = np.maximum(cumulative[:, -1], 1.0)  # rounding: the last map takes rand = 1
    coefficient = [np.ascontiguousarray(table[:, :, m]).ravel() for m in range(6)]  # chain n, map j at n k + j
    first = np.arange(len(params)) * k
    xs = np.zeros((points, len(params)), dtype=np.float32); ys = np.zeros_like(xs)  # point 0 = (0, 0)
    x = np.zeros(len(params)); y = np.zeros(len(params))
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(points - 1):
            j = first + (rand[i][:, None] > cumulative).sum(axis=1)  # first map with rand <= cumulative
            a, b, c, d, e, f = (np.take(m, j) for m in coefficient)
            x, y = x * a + y * b + e, x * c + y * d + f
            xs[i + 1] = x; ys[i + 1] = y
    return xs, ys


def pixels(x: np.ndarray, y: np.ndarray, size: int, pad: int = PAD) -> tuple[np.ndarray, np.ndarray]:
    """ifs_function.__rescale: drop nan points and the 100 before the first one, shift each axis to
    start at 0 (if it went negative), stretch each axis on its own to [pad, size - pad], uint16."""
    for axis in (0, 1):
        bad = np.flatnonzero(np.isnan(x if axis == 0 else y))
        if bad.size:
            keep = np.ones(len(x), dtype=bool)
            keep[max(bad[0] - 100, 0):bad[0]] = False
            keep[bad] = False
            x, y = x[keep], y[keep]
    if x.size < 2 or not (np.isfinite(x).all() and np.isfinite(y).all()):
        # a walk past float32 range: official keeps those huge points, which squash the attractor
        # into a few pixels; here the drawing is empty (both are rejected by the search)
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if x.min() < 0:
        x = x - x.min()
    if y.min() < 0:
        y = y - y.min()
    with np.errstate(divide="ignore", invalid="ignore"):
        col = x / (x.max() - x.min()) * float(size - 2 * pad) + float(pad)
        row = y / (y.max() - y.min()) * float(size - 2 * pad) + float(pad)
    ok = np.isfinite(col) & np.isfinite(row)
    return col[ok].astype(np.uint16).astype(np.int64), row[ok].astype(np.uint16).astype(np.int64)


def search_fill(params: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """ifs_search.py generator() + cal_pix: share of a 512 x 512 canvas lit by 100,000 one-pixel points."""
    xs, ys = chains(params, SEARCH_POINTS, rng.random((SEARCH_POINTS, len(params))))
    fills = np.zeros(len(params))
    for n in range(len(params)):
        col, row = pixels(xs[:, n], ys[:, n], SEARCH_SIZE)
        canvas = np.zeros((SEARCH_SIZE, SEARCH_SIZE), dtype=bool)
        canvas[row, col] = True
        fills[n] = canvas.mean()
    return fills


def accepted(rng: np.random.Generator, n_candidates: int) -> list[tuple[np.ndarray, float]]:
    """(params, fill) of the candidates that ifs_search.py keeps (`pixels >= threshold`), in order."""
    params = candidates(rng, n_candidates)
    fills = search_fill(params, rng)
    return [(p, float(f)) for p, f in zip(params, fills) if f >= FILL]


@functools.lru_cache(maxsize=64)
def category(cat: int, seed: int) -> np.ndarray:
    """The params of category `cat`: the first accepted candidate of its own stream."""
    rng = np.random.default_rng([seed, cat, 1])
    while True:
        found = accepted(rng, 64)
        if found:
            return found[0][0]


def weights(step: float = WEIGHT_STEP) -> np.ndarray:
    """The 25 rows of weights_<step>.csv: a at 1-2s, 1-s, 1, 1+s, 1+2s; then b..f at the four non-1 values."""
    rows = [[1 - 2 * step, 1, 1, 1, 1, 1], [1 - step, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1],
            [1 + step, 1, 1, 1, 1, 1], [1 + 2 * step, 1, 1, 1, 1, 1]]
    for j in range(1, 6):
        for factor in (1 - 2 * step, 1 - step, 1 + step, 1 + 2 * step):
            row = [1.0] * 6; row[j] = factor; rows.append(row)
    return np.array(rows)


def draw_patches(col: np.ndarray, row: np.ndarray, rng: np.random.Generator, size: int = IMAGE_SIZE) -> np.ndarray:
    """ifs_function.draw_patch, 'gray': for each point in order, a 3 x 3 patch of a random nonzero 9-bit
    mask (random.randrange(1, 512)) times 127 is pasted with its corner at (x + 1, y + 1), overwriting
    what is there. The last paste over a pixel decides it: computed as 'which point pasted last here'."""
    masks = rng.integers(1, 512, size=len(col))
    if len(col) == 0:  # a weight variant whose walk diverged: nothing to draw
        return np.zeros((size, size), dtype=np.uint8)
    last = np.full((size + 3, size + 3), -1, dtype=np.int64)  # point index * 9 + patch cell, or -1
    order = np.arange(len(col)) * 9
    for i in range(3):  # patch row i, column j: bit i * 3 + j of the mask string '{:09b}'
        for j in range(3):
            np.maximum.at(last, (row + 1 + i, col + 1 + j), order + i * 3 + j)
    last = last[:size, :size]
    point, cell = last // 9, last % 9
    bit = (masks[np.maximum(point, 0)] >> (8 - cell)) & 1  # '{:09b}'[cell]: most significant first
    return np.where((last >= 0) & (bit == 1), GREY, 0).astype(np.uint8)


def flips(image: np.ndarray, trans_type: int) -> np.ndarray:
    """draw_patch: FLIP_TOP_BOTTOM, then __transpose(trans_type): 1 top-bottom, 2 left-right, 3 both."""
    image = image[::-1]
    if trans_type in (1, 3):
        image = image[::-1]
    if trans_type in (2, 3):
        image = image[:, ::-1]
    return image


def instances(jobs: list[tuple[np.ndarray, int, int]], rng: np.random.Generator) -> list[np.ndarray]:
    """make_fractaldb.py, patch_gray: one grey (362, 362) image per (category params, weight row, flip).

    Every weight row multiplies a..f of every map (set_param weight_a..weight_f); the probabilities stay
    the csv's. ifs_function.calculate seeds numpy with 100 each time: every image walks one sequence.
    """
    rand = np.random.default_rng(100).random(IMAGE_POINTS)
    variants = []
    for params, w, _ in jobs:
        p = params.copy()
        p[:, :6] *= weights()[w]
        variants.append(p)
    xs, ys = chains(variants, IMAGE_POINTS, np.repeat(rand[:, None], len(variants), axis=1))
    out = []
    for n, (_, _, trans_type) in enumerate(jobs):
        col, row = pixels(xs[:, n], ys[:, n], IMAGE_SIZE)
        out.append(np.ascontiguousarray(flips(draw_patches(col, row, rng), trans_type)))
    return out


def to_size(grey: np.ndarray, size: int) -> np.ndarray:
    """(3, size, size) uint8: the grey image resized (PIL bilinear, antialiased) and repeated."""
    if grey.shape[0] != size:
        grey = np.asarray(Image.fromarray(grey).resize((size, size), Image.BILINEAR))
    return np.ascontiguousarray(np.broadcast_to(grey, (3, size, size)))


def render_fractaldb(index: int, seed: int, size: int, categories: int = 1000) -> np.ndarray:
    """Image `index`: category index % categories, one of its 1000 instances (25 weights x 10 x 4) at random."""
    rng = np.random.default_rng([seed, index, 2])
    job = (category(index % categories, seed), int(rng.integers(25)), int(rng.integers(4)))
    return to_size(instances([job], rng)[0], size)


REFERENCES = {"fractaldb": render_fractaldb}


# -- the stored sample of accepted categories (fractaldb_categories.json) ---------------------------
# The official search keeps about 3% of candidates, so a sample of accepted categories large enough
# for a two-sample test costs minutes here; it is computed once by this module and stored. Batch b
# is `accepted(np.random.default_rng([SAMPLE_SEED, b]), SAMPLE_BATCH)`: any batch can be recomputed
# alone (tests/test_fidelity_fractaldb.py recomputes batch 0). Regenerate (about 2 min):
#     cd tests && python3 -m references.fractaldb
SAMPLE_SEED, SAMPLE_BATCH, SAMPLE_BATCHES = 2021, 64, 110
SAMPLE_FILE = __file__.replace("fractaldb.py", "fractaldb_categories.json")


def sample_batch(b: int) -> list[dict]:
    return [{"batch": b, "params": p.tolist(), "fill": f}
            for p, f in accepted(np.random.default_rng([SAMPLE_SEED, b]), SAMPLE_BATCH)]


def load_sample() -> list[dict]:
    import json
    with open(SAMPLE_FILE) as fh:
        return json.load(fh)["accepted"]


if __name__ == "__main__":
    import json
    found = [entry for b in range(SAMPLE_BATCHES) for entry in sample_batch(b)]
    with open(SAMPLE_FILE, "w") as fh:
        json.dump({"made_by": "python3 -m references.fractaldb (tests/references/fractaldb.py)",
                   "candidates": SAMPLE_BATCH * SAMPLE_BATCHES, "accepted": found}, fh)
    print(f"{len(found)} of {SAMPLE_BATCH * SAMPLE_BATCHES} candidates accepted -> {SAMPLE_FILE}")
