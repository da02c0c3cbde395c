"""Dead-leaves shapes rasterised pixel for pixel as OpenCV paints them, in compiled loops (numba).

The official dead-leaves generator draws with `cv2.circle(..., thickness=-1)` and `cv2.fillPoly`
on integer coordinates. Their pixels, one span per row and shape:

- circle (cx, cy, R): OpenCV's midpoint circle; row cy +- t spans cx +- half_width[R, t];
- axis-aligned box (squares, rectangles): the closed box (a flat one is its line), clipped;
- polygon (integer vertices): the scanline interior in 16-bit fixed point (an edge is active on
  rows y0 <= y < y1, x = x_top + dx * (y - y0) with dx truncated toward zero; a row fills from the
  ceiling of its leftmost to the floor of its rightmost active edge) united with every edge drawn
  as an 8-connected line (traced from its left end); edges reaching outside the canvas are first
  clipped to it (cv::clipLine), and the fill then runs through the clipped ends.

A shape is one span per row (the union above is an interval for the convex shapes drawn here).
`paint_first` and `paint_top` are the painter's two passes (leaves.py) over a block of shapes.
Written as loops because the vectorised numpy version (a span per (shape, row), then every pixel
as an index array and np.minimum.at) spent ~70 % of an image in temporaries: measured here at
128 px, dead-leaves-oriented 86 -> see docs/families.md for the rates, same bytes.
tests/references/dead_leaves.py paints the same pixels one at a time in plain Python; a test checks
both agree on random shapes of every kind (they were checked against OpenCV 5.0: 6,000 shapes).
"""

from __future__ import annotations

import functools

import numba
import numpy as np

FP = 16  # OpenCV's XY_SHIFT
ONE = 1 << FP
BIG = 1 << 40  # beyond any column: an empty span is (BIG, -BIG)
CIRCLE, SQUARE, RECTANGLE = 0, 1, 3  # kind numbers (leaves.KINDS) with their own rasteriser
_JIT = dict(cache=True, nogil=True, error_model="numpy")


@functools.lru_cache(maxsize=8)
def circle_half_widths(rmax: int) -> np.ndarray:
    """(rmax+1, rmax+1) int64: half_width[R, t] of OpenCV's filled circle of radius R, row offset t
    (-1 beyond the circle). The midpoint loop, run for every radius at once."""
    radii = np.arange(rmax + 1)
    hw = np.full((rmax + 1, rmax + 1), -1, dtype=np.int64)
    err = np.zeros(rmax + 1, dtype=np.int64)
    dx = radii.copy()
    minus = 2 * radii - 1
    plus, dy = 1, 0
    while True:
        on = dx >= dy
        if not on.any():
            break
        r = radii[on]
        hw[r, dy] = np.maximum(hw[r, dy], dx[on])
        hw[r, dx[on]] = np.maximum(hw[r, dx[on]], dy)
        dy += 1
        err += plus
        plus += 2
        step = err > 0
        err -= np.where(step, minus, 0)
        dx -= step
        minus -= 2 * step
    return hw


def half_width_table(max_radius: int) -> np.ndarray:
    """circle_half_widths for radii up to `max_radius`, one table per power of 2."""
    return circle_half_widths(1 << max(max_radius - 1, 1).bit_length())


@numba.njit(**_JIT)
def _code(x, y, right, bottom):
    return (x < 0) * 1 + (x > right) * 2 + (y < 0) * 4 + (y > bottom) * 8


@numba.njit(**_JIT)
def clip_line(size, x1, y1, x2, y2):
    """cv::clipLine of one segment on a size x size canvas: (x1, y1, x2, y2, inside)."""
    right = bottom = size - 1
    c1, c2 = _code(x1, y1, right, bottom), _code(x2, y2, right, bottom)
    if (c1 & c2) == 0 and (c1 | c2) != 0:
        if c1 & 12:
            a = 0 if c1 < 8 else bottom
            x1 = x1 + np.int64(np.trunc((a - y1) * (x2 - x1) / (y2 - y1)))
            y1 = a
            c1 = (x1 < 0) * 1 + (x1 > right) * 2
        if c2 & 12:
            a = 0 if c2 < 8 else bottom
            x2 = x2 + np.int64(np.trunc((a - y2) * (x2 - x1) / (y2 - y1)))
            y2 = a
            c2 = (x2 < 0) * 1 + (x2 > right) * 2
        if (c1 & c2) == 0 and (c1 | c2) != 0:
            if c1 != 0:
                a = 0 if c1 == 1 else right
                y1 = y1 + np.int64(np.trunc((a - x1) * (y2 - y1) / (x2 - x1)))
                x1 = a
                c1 = 0
            if c2 != 0:
                a = 0 if c2 == 1 else right
                y2 = y2 + np.int64(np.trunc((a - x2) * (y2 - y1) / (x2 - x1)))
                x2 = a
                c2 = 0
    return x1, y1, x2, y2, (c1 | c2) == 0


@numba.njit(**_JIT)
def _polygon_rows(size, vx, vy, lo, hi, llo, lhi):
    """fillPoly of a quadrilateral (a triangle repeats a vertex) into lo/hi from its top row."""
    ytop = max(min(vy[0], vy[1], vy[2], vy[3]), 0)
    ybot = min(max(vy[0], vy[1], vy[2], vy[3]), size - 1)
    h = max(ybot - ytop + 1, 0)
    for r in range(h):
        lo[r], hi[r], llo[r], lhi[r] = BIG, -BIG, BIG, -BIG
    for j in range(4):
        p = (j + 3) % 4  # edge j runs from vertex j-1 to j
        px, py, qx, qy = vx[p], vy[p], vx[j], vy[j]
        outside = min(px, qx) < 0 or max(px, qx) >= size or min(py, qy) < 0 or max(py, qy) >= size
        tx0, ty0, tx1, ty1, seen = px, py, qx, qy, True
        if outside:
            tx0, ty0, tx1, ty1, seen = clip_line(size, px, py, qx, qy)
        # the line, from its left end: (lx, ly) + major steps; minor step rounds half down
        flip = tx1 < tx0
        lx = tx1 if flip else tx0
        ly = ty1 if flip else ty0
        ldx = abs(tx1 - tx0)
        ldy_signed = ty0 - ty1 if flip else ty1 - ty0
        lsy = -1 if ldy_signed < 0 else 1
        ldy = abs(ldy_signed)
        xmajor = ldx >= ldy
        # the fill's edge: through the clipped x ends, and clipped y ends unless clipping made it flat
        cy0, cy1 = (ty0, ty1) if outside and ty0 != ty1 else (py, qy)
        num = (tx1 - tx0) << FP
        den = 1 if cy1 == cy0 else cy1 - cy0
        step = (abs(num) // abs(den)) * (1 if num > 0 else (-1 if num < 0 else 0)) * (1 if den > 0 else -1)
        down = py < qy
        ey0, ey1 = (py, qy) if down else (qy, py)
        ex = ((tx0 << FP) + (py - cy0) * step) if down else ((tx1 << FP) + (qy - cy1) * step)
        active_end = ey1 if py != qy else ey0
        # the line's pixels on row y, m = (y - ly) * sy rows from its left end (0 <= m <= dy):
        # x-major: x = lx + k for k in [floor(dx (2m-1) / 2dy) + 1, floor(dx (2m+1) / 2dy)] (all of
        # 0..dx if flat); y-major: x = lx + ceil((2 dx m - dy) / 2dy); clipped to 0..dx
        b = 2 * max(ldy, 1)
        c1 = 2 * ldx
        c2 = -ldx if xmajor else b - 1 - ldy
        c3 = 1 if xmajor else 0
        c4 = ((2 * ldx if ldy == 0 else ldx) if xmajor else c2)
        last_m = ldy if seen else -1
        for y in range(max(ey0, 0), min(ey1, size - 1) + 1):
            r = y - ytop
            if y < active_end:  # scanline interior: ceil / floor of the active edge's x
                xfp = ex + step * (y - ey0)
                lo[r] = min(lo[r], (xfp + ONE - 1) >> FP)
                hi[r] = max(hi[r], xfp >> FP)
            m = (y - ly) * lsy
            if 0 <= m <= last_m:
                a = lx + min(max((c1 * m + c2) // b + c3, 0), ldx)
                z = lx + min(max((c1 * m + c4) // b, 0), ldx)
                if a <= z:
                    llo[r] = min(llo[r], a)
                    lhi[r] = max(lhi[r], z)
    for r in range(h):
        a, z = max(lo[r], 0), min(hi[r], size - 1)
        if a > z:  # no interior on this row: the edge lines alone
            lo[r], hi[r] = llo[r], lhi[r]
        else:
            lo[r], hi[r] = min(a, llo[r]), max(z, lhi[r])
    return ytop, h


@numba.njit(**_JIT)
def shape_rows(kind, radius, cx, cy, vx, vy, size, table, lo, hi, llo, lhi):
    """Rows of one shape: (first row, row count); row y0 + r spans lo[r]..hi[r] (empty if lo > hi)."""
    if kind == CIRCLE:
        y0, y1 = max(cy - radius, 0), min(cy + radius, size - 1)
        h = max(y1 - y0 + 1, 0)
        for r in range(h):
            w = table[radius, abs(y0 + r - cy)]
            lo[r], hi[r] = max(cx - w, 0), min(cx + w, size - 1)
        return y0, h
    if kind == SQUARE or kind == RECTANGLE:  # axis-aligned: the closed box from corner 0 to corner 2
        xa, xb = max(vx[0], 0), min(vx[2], size - 1)
        ya, yb = max(vy[0], 0), min(vy[2], size - 1)
        h = max(yb - ya + 1, 0) if xa <= xb else 0
        for r in range(h):
            lo[r], hi[r] = xa, xb
        return ya, h
    return _polygon_rows(size, vx, vy, lo, hi, llo, lhi)


@numba.njit(**_JIT)
def paint_first(kind, radius, cx, cy, vx, vy, count, base, size, table, first, n_open):
    """Pass 1 over `count` shapes of a block, in drawing order: each still bare pixel takes the shape
    number (base + s). Returns (bare pixels left, the number of the shape that covered the last)."""
    lo = np.empty(size, np.int64); hi = np.empty(size, np.int64)
    llo = np.empty(size, np.int64); lhi = np.empty(size, np.int64)
    for s in range(count):
        y0, h = shape_rows(kind[s], radius[s], cx[s], cy[s], vx[s], vy[s], size, table, lo, hi, llo, lhi)
        for r in range(h):
            row = (y0 + r) * size
            for x in range(lo[r], hi[r] + 1):
                if first[row + x] < 0:
                    first[row + x] = base + s
                    n_open -= 1
        if n_open == 0:
            return 0, base + s
    return n_open, -1


@numba.njit(**_JIT)
def paint_top(kind, radius, cx, cy, vx, vy, count, base, size, table, top, n_free):
    """Pass 2 over `count` shapes of a block, back to front: each pixel not yet claimed takes the
    shape number (base + s), so it shows the last shape painted over it. Returns pixels left."""
    lo = np.empty(size, np.int64); hi = np.empty(size, np.int64)
    llo = np.empty(size, np.int64); lhi = np.empty(size, np.int64)
    for s in range(count - 1, -1, -1):
        y0, h = shape_rows(kind[s], radius[s], cx[s], cy[s], vx[s], vy[s], size, table, lo, hi, llo, lhi)
        for r in range(h):
            row = (y0 + r) * size
            for x in range(lo[r], hi[r] + 1):
                if top[row + x] < 0:
                    top[row + x] = base + s
                    n_free -= 1
        if n_free == 0:
            return 0
    return n_free
