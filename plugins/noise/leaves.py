"""Dead-leaves rasteriser: front-to-back occlusion of random shapes until the canvas is covered."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Shapes are drawn in fixed blocks from the image's stream, so the shape sequence never depends on
# how much of it a rendering needed; shapes after full coverage cannot change a pixel.
BLOCK = 256
KINDS = ("circle", "square", "rotated-square", "rectangle", "triangle", "quadrilateral")


def sample_radii(u: np.ndarray, rmin: float, rmax: float, sigma: float) -> np.ndarray:
    """Inverse CDF of the density p(r) ∝ r^-sigma on [rmin, rmax] (sigma != 1)."""
    if abs(sigma - 1.0) < 1e-9:
        return rmin * (rmax / rmin) ** u
    a, b = rmin ** (1.0 - sigma), rmax ** (1.0 - sigma)
    return (a + u * (b - a)) ** (1.0 / (1.0 - sigma))


@dataclass
class Leaves:
    """What a rendering drew: per pixel the front shape's number, and every drawn shape's radius/kind."""

    label: np.ndarray  # (H, W) int64, index into the shape sequence, -1 where uncovered
    radii: np.ndarray  # (n_drawn,) radius in pixels of every shape drawn until coverage
    kinds: np.ndarray  # (n_drawn,) index into KINDS
    colors: np.ndarray  # (n_drawn, 3) uint8
    extra: list  # per-block extra draws (texture choice), see DeadLeaves

    @property
    def n_shapes(self) -> int:
        """Shapes needed until the canvas was covered (or the cap)."""
        return int(self.label.max()) + 1 if self.label.size else 0

    @property
    def covered(self) -> float:
        return float((self.label >= 0).mean())


def _halfplanes(u: np.ndarray, r: np.ndarray, kinds: np.ndarray):
    """Each shape as up to 4 half-planes a*dx + b*dy <= c plus a disc dx^2+dy^2 <= R2, and its extent."""
    n = r.shape[0]
    A = np.zeros((n, 4)); B = np.zeros((n, 4)); C = np.ones((n, 4))
    R2 = np.full(n, np.inf); ext = r.copy()
    k = kinds
    # axis-aligned square and rectangle (rectangle: sides r and aspect*r, long side along x or y)
    axis = (k == 1) | (k == 3)
    hx = r.copy(); hy = r.copy()
    aspect = 0.3 + 0.7 * u[5]
    rect = k == 3
    swap = u[4] < 0.5
    hx[rect & swap] = (aspect * r)[rect & swap]
    hy[rect & ~swap] = (aspect * r)[rect & ~swap]
    A[axis] = [1.0, -1.0, 0.0, 0.0]; B[axis] = [0.0, 0.0, 1.0, -1.0]
    C[axis] = np.stack([hx, hx, hy, hy], 1)[axis]
    # rotated square
    rot = k == 2
    th = u[4] * (math.pi / 2)
    c, s = np.cos(th), np.sin(th)
    A[rot] = np.stack([c, -c, -s, s], 1)[rot]; B[rot] = np.stack([s, -s, c, -c], 1)[rot]
    C[rot] = r[rot, None]
    ext[rot] = (r * (np.abs(c) + np.abs(s)))[rot]
    # disc
    R2[k == 0] = (r * r)[k == 0]
    # convex polygons inscribed in the circle of radius r: vertices at sorted random angles (CCW)
    for kind, nv in ((4, 3), (5, 4)):
        sel = k == kind
        if not sel.any():
            continue
        phi = np.sort(u[6:6 + nv, sel].T * (2 * math.pi), axis=1)
        vx = r[sel, None] * np.cos(phi); vy = r[sel, None] * np.sin(phi)
        ex = np.roll(vx, -1, 1) - vx; ey = np.roll(vy, -1, 1) - vy
        a, b, cc = ey, -ex, ey * vx - ex * vy  # inside iff cross(edge, d - v) >= 0
        if nv == 3:
            a = np.concatenate([a, np.zeros((a.shape[0], 1))], 1)
            b = np.concatenate([b, np.zeros((b.shape[0], 1))], 1)
            cc = np.concatenate([cc, np.ones((cc.shape[0], 1))], 1)
        A[sel], B[sel], C[sel] = a, b, cc
    return A.T.copy(), B.T.copy(), C.T.copy(), R2, ext


def paint(rng: np.random.Generator, size: int, kinds: tuple[int, ...], sigma: float = 3.0,
          rmin: float = 0.03, rmax: float = 1.0, cap: int = 5000, extra_draw=None) -> Leaves:
    """Draw shapes from `rng` (front first) until every pixel is covered or `cap` shapes were drawn.

    Vectorised scanline rasterisation per block of shapes: shapes whose bounding box holds no
    uncovered pixel are dropped (summed-area table); every remaining shape is cut into rows, each
    row's covered pixel interval is solved from the shape's half-planes / disc (convex shapes), the
    intervals are expanded into (pixel, shape) pairs, and each pixel keeps the smallest (front-most)
    shape number. A pixel is inside when its centre is. Measured ~7-9x (128 px) and ~6-7x (256 px)
    faster per CPU-second than painting one shape at a time on the whole canvas in numpy
    (benchmarks/generators.py).
    """
    H = W = size
    r0, r1 = rmin * size, rmax * size
    label = np.full(H * W, -1, dtype=np.int64)
    uncovered = np.ones(H * W, dtype=bool)
    n_unc = H * W
    kinds_arr = np.asarray(kinds)
    radii, kind_list, colors, extras = [], [], [], []
    n = 0
    while n_unc and n < cap:
        u = rng.random((10, BLOCK))
        col = rng.integers(0, 256, size=(BLOCK, 3), dtype=np.uint8)
        extras.append(extra_draw(rng) if extra_draw else None)
        k_blk = min(BLOCK, cap - n)
        cx, cy = u[0] * W, u[1] * H
        r = sample_radii(u[2], r0, r1, sigma)
        kind = kinds_arr[np.minimum((u[3] * len(kinds)).astype(np.int64), len(kinds) - 1)]
        radii.append(r[:k_blk]); kind_list.append(kind[:k_blk]); colors.append(col[:k_blk])
        A, B, C, R2, ext = _halfplanes(u, r, kind)
        x0 = np.clip(np.floor(cx - ext - 0.5), 0, W).astype(np.int64)
        x1 = np.clip(np.ceil(cx + ext - 0.5) + 1, 0, W).astype(np.int64)
        y0 = np.clip(np.floor(cy - ext - 0.5), 0, H).astype(np.int64)
        y1 = np.clip(np.ceil(cy + ext - 0.5) + 1, 0, H).astype(np.int64)
        live = (np.arange(BLOCK) < k_blk) & (x1 > x0) & (y1 > y0)
        if n:  # drop shapes whose box holds no uncovered pixel (summed-area table)
            sat = np.zeros((H + 1, W + 1), dtype=np.int32)
            np.cumsum(np.cumsum(uncovered.reshape(H, W), 0, dtype=np.int32), 1, out=sat[1:, 1:])
            live &= (sat[y1, x1] - sat[y0, x1] - sat[y1, x0] + sat[y0, x0]) > 0
        keep = np.flatnonzero(live)
        if keep.size:
            # rows of every kept shape
            h = y1[keep] - y0[keep]
            rsid = np.repeat(keep, h)
            rstart = np.cumsum(h) - h
            ry = y0[rsid] + (np.arange(rsid.size) - np.repeat(rstart, h))
            dy = ry + 0.5 - cy[rsid]
            lo = np.full(rsid.size, -np.inf); hi = np.full(rsid.size, np.inf)
            empty = np.zeros(rsid.size, dtype=bool)
            for j in range(4):  # a*dx <= c - b*dy, per row
                a = A[j][rsid]; rhs = C[j][rsid] - B[j][rsid] * dy
                q = rhs / np.where(a == 0, 1.0, a)
                hi = np.where(a > 0, np.minimum(hi, q), hi)
                lo = np.where(a < 0, np.maximum(lo, q), lo)
                empty |= (a == 0) & (rhs < 0)
            disc = R2[rsid]
            s2 = disc - dy * dy
            empty |= s2 < 0
            half = np.sqrt(np.maximum(s2, 0.0))  # inf for non-discs
            hi = np.minimum(hi, half); lo = np.maximum(lo, -half)
            xl = np.clip(np.ceil(cx[rsid] + lo - 0.5), 0, W)
            xr = np.clip(np.floor(cx[rsid] + hi - 0.5) + 1, 0, W)
            width = np.where(empty, 0, np.maximum(xr - xl, 0)).astype(np.int64)
            # pixels of every row interval
            pstart = np.cumsum(width) - width
            pix = np.arange(int(width.sum())) + np.repeat(ry * W + xl.astype(np.int64) - pstart, width)
            sid = np.repeat(rsid, width)
            m = uncovered[pix]
            pix, sid = pix[m], sid[m]
            first = np.full(H * W, BLOCK, dtype=np.int64)
            np.minimum.at(first, pix, sid)  # order-free: min is commutative
            new = first < BLOCK
            label[new] = first[new] + n
            uncovered[new] = False
            n_unc -= int(new.sum())
        n += k_blk
    return Leaves(
        label=label.reshape(H, W),
        radii=np.concatenate(radii), kinds=np.concatenate(kind_list),
        colors=np.concatenate(colors), extra=extras,
    )
