"""Dead-leaves painter: each new shape on top of the others until no pixel is left bare, as the paper's code.

The official `dead_leaves()` (generate_datasets/dead_leaves/generate_dataset.py) paints shape after
shape over the canvas and stops at the first shape after which no pixel is black (or after 5000
shapes); a pixel shows the LAST shape painted over it. Checking the whole canvas after every shape
would cost a pass over it per shape, so this finds the same picture in two passes over blocks of
shapes (`leaves_raster` paints their exact pixels, shape by shape, in compiled loops):

1. front to back in drawing order, each bare pixel takes the shape painted over it: the canvas is
   covered by shape `n - 1`, so the official loop paints exactly n shapes;
2. back to front from shape n - 1, each pixel takes the first shape met: the one on top.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seebench_plugins.generators.noise.leaves_raster import half_width_table, paint_first, paint_top, shape_rows

# Shapes are drawn in fixed blocks from the image's stream, so the shape sequence never depends on
# how much of it a rendering needed.
BLOCK = 256
KINDS = ("circle", "square", "rotated-square", "rectangle", "triangle", "quadrilateral")
N_RANDOM = 10  # uniforms per shape: kind, radius, cx, cy, angle / a, 4 polygon angles, texture


def radius_grid(sigma: float, rmin: float, rmax: float, k: int = 200):
    """The official radius law: `k` radii linspace(rmin, rmax) and the normalised cumulative sum
    of 1/r^sigma - 1/rmax^sigma (a sample is the grid radius whose cumulative value is nearest to
    a uniform number; most mass sits on the smallest radius)."""
    r_list = np.linspace(rmin, rmax, k)
    dist = 1.0 / r_list ** sigma
    if sigma > 0:
        dist = dist - 1 / rmax ** sigma
    cdf = np.cumsum(dist)
    return r_list, cdf / cdf.max()


def nearest_grid_index(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """argmin |cdf - u| per u (cdf increasing; ties to the lower index, as np.argmin)."""
    hi = np.clip(np.searchsorted(cdf, u), 1, cdf.size - 1)
    lo = hi - 1
    return np.where(np.abs(cdf[hi] - u) < np.abs(cdf[lo] - u), hi, lo)


@dataclass
class Block:
    """BLOCK shapes as the official loop draws them: kind, integer radius and centre, colour, vertices."""

    kind: np.ndarray  # index into KINDS
    radius: np.ndarray  # px, int
    cx: np.ndarray
    cy: np.ndarray
    color: np.ndarray  # (BLOCK, 3) uint8, int(U * 255): 0..254
    vx: np.ndarray  # (BLOCK, 4) polygon vertices (triangles repeat one), int
    vy: np.ndarray
    texture_u: np.ndarray  # uniform per shape: its texture, where textures are used
    box: tuple  # x0, x1, y0, y1 (half-open, clipped) bounding boxes


def draw_block(rng: np.random.Generator, size: int, kinds: tuple[int, ...], grid) -> Block:
    """The next BLOCK shapes of an image's stream."""
    u = rng.random((N_RANDOM, BLOCK))
    color = (rng.random((BLOCK, 3)) * 255).astype(np.uint8)
    kinds_arr = np.asarray(kinds)
    kind = kinds_arr[np.minimum((u[0] * len(kinds)).astype(np.int64), len(kinds) - 1)]
    r_list, cdf = grid
    radius = np.maximum((r_list[nearest_grid_index(cdf, u[1])] * size).astype(np.int64), 1)
    cx = (u[2] * size).astype(np.int64)
    cy = (u[3] * size).astype(np.int64)
    fr = radius.astype(float)
    vx = np.repeat(cx[:, None], 4, 1)
    vy = np.repeat(cy[:, None], 4, 1)
    sx = np.array([-1, 1, 1, -1]); sy = np.array([-1, -1, 1, 1])
    counts = np.bincount(kind, minlength=len(KINDS))
    for kd in kinds:
        if kd == 0 or not counts[kd]:
            continue  # circles keep (cx, cy)
        # the shapes of this kind (a plain slice when the whole block is: no gathers, same values)
        m = slice(None) if counts[kd] == BLOCK else np.flatnonzero(kind == kd)
        r = fr[m, None]
        if kd in (1, 2):  # the square inscribed in the circle, corners +-int(r*sqrt(2)/2)
            h = np.trunc(r * np.sqrt(2) / 2)
            ox, oy = h * sx, h * sy
            if kd == 2:  # rotated by theta ~ U(0, 2 pi) after the truncation
                theta = u[4, m, None] * (2 * np.pi)
                c, s = np.cos(theta), np.sin(theta)
                ox, oy = c * ox - s * oy, s * ox + c * oy
        elif kd == 3:  # rectangle: corners (+-int(r cos a), +-int(r sin a)), a ~ U(0, pi/2)
            a = u[4, m, None] * (np.pi / 2)
            ox, oy = np.trunc(r * np.cos(a)) * sx, np.trunc(r * np.sin(a)) * sy
        else:  # triangle / quadrilateral: vertices at sorted random angles on the circle
            ang = np.sort(u[5:8 if kd == 4 else 9, m].T * (2 * np.pi), axis=1)
            if kd == 4:
                ang = np.concatenate([ang, ang[:, 2:]], 1)  # the 4th vertex repeats the 3rd
            ox, oy = r * np.cos(ang), r * np.sin(ang)
        vx[m] = np.trunc(cx[m, None] + ox)  # np.array(corners, dtype='int32') truncates
        vy[m] = np.trunc(cy[m, None] + oy)
    circ = kind == 0
    x0 = np.where(circ, cx - radius, vx.min(1)); x1 = np.where(circ, cx + radius, vx.max(1)) + 1
    y0 = np.where(circ, cy - radius, vy.min(1)); y1 = np.where(circ, cy + radius, vy.max(1)) + 1
    box = tuple(np.minimum(np.maximum(v, 0), size) for v in (x0, x1, y0, y1))
    return Block(kind, radius, cx, cy, color, vx, vy, u[9], box)


def block_pixels(blk: Block, size: int, sel: np.ndarray):
    """(pixel, shape) pairs of the shapes `sel` of a block (flat pixel index, index within block)."""
    table = half_width_table(int(blk.radius.max()))
    lo, hi, llo, lhi = (np.empty(size, np.int64) for _ in range(4))
    pix, sid = [], []
    for s in sel:
        y0, h = shape_rows(blk.kind[s], blk.radius[s], blk.cx[s], blk.cy[s], blk.vx[s], blk.vy[s], size, table,
                           lo, hi, llo, lhi)
        for r in range(h):
            if lo[r] <= hi[r]:
                pix.append((y0 + r) * size + np.arange(lo[r], hi[r] + 1))
                sid.append(np.full(hi[r] - lo[r] + 1, s))
    if not pix:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(pix), np.concatenate(sid)


def _shapes(blk: Block) -> tuple:
    return blk.kind, blk.radius, blk.cx, blk.cy, blk.vx, blk.vy


@dataclass
class Leaves:
    """What a rendering painted: per pixel the shape on top, and every painted shape's draws."""

    label: np.ndarray  # (H, W) int64, number of the shape on top, -1 where no shape fell
    radii: np.ndarray  # (n_shapes,) radius in px of every painted shape
    kinds: np.ndarray  # (n_shapes,) index into KINDS
    colors: np.ndarray  # (n_shapes, 3) uint8
    texture_u: np.ndarray  # (n_shapes,) uniform per shape for its texture choice

    @property
    def n_shapes(self) -> int:
        """Shapes the official loop paints: until the canvas is covered (or the cap)."""
        return int(self.radii.size)

    @property
    def covered(self) -> float:
        return float((self.label >= 0).mean())


def paint(rng: np.random.Generator, size: int, kinds: tuple[int, ...], sigma: float = 3.0,
          rmin: float = 0.03, rmax: float = 1.0, cap: int = 5000) -> Leaves:
    """Paint shapes from `rng`, each on top, until every pixel is covered or `cap` were painted."""
    grid = radius_grid(sigma, rmin, rmax)
    n_px = size * size
    table = half_width_table(max(int(grid[0][-1] * size), 1))
    # pass 1: first shape over each pixel, in drawing order -> how many shapes the loop paints
    first = np.full(n_px, -1, dtype=np.int64)
    n_open, n_shapes = n_px, -1
    blocks: list[Block] = []
    n = 0
    while n_open and n < cap:
        blk = draw_block(rng, size, kinds, grid)
        blocks.append(blk)
        n_open, last = paint_first(*_shapes(blk), min(BLOCK, cap - n), n, size, table, first, n_open)
        n_shapes = last + 1
        n += min(BLOCK, cap - n)
    if n_open:
        n_shapes = min(n, cap)
    # pass 2: the last shape (< n_shapes) over each pixel, back to front
    top = np.full(n_px, -1, dtype=np.int64)
    n_free = n_px - n_open  # pixels some shape covers; the others stay bare
    for b in range(len(blocks) - 1, -1, -1):
        if not n_free:
            break
        base = b * BLOCK
        n_free = paint_top(*_shapes(blocks[b]), max(min(BLOCK, n_shapes - base), 0), base, size, table, top, n_free)

    def cat(field):
        return np.concatenate([getattr(blk, field) for blk in blocks])[:n_shapes]

    return Leaves(label=top.reshape(size, size), radii=cat("radius"), kinds=cat("kind"),
                  colors=cat("color"), texture_u=cat("texture_u"))
