"""Reference dead leaves: one shape at a time on the canvas, as generate_datasets/dead_leaves/generate_dataset.py does.

Plain and slow on purpose: each step below names the line of the official `dead_leaves(res, sigma,
shape_mode, max_iters=5000, textures)` it follows. The official code draws with OpenCV
(`cv2.circle`, `cv2.fillPoly`); the pixels those calls fill are written out here in plain Python
(`circle_pixels`, `polygon_pixels`: OpenCV's midpoint circle, and its polygon fill = scanline
interior in 16-bit fixed point plus every edge drawn as an 8-connected line), so no OpenCV is needed.
Randomness comes from numpy's Generator keyed by (seed, index) instead of the official
random.seed(i) / np.random.seed(i): the same distributions, not the same bytes.

Official facts reproduced: rmin 0.03, rmax 1 (fractions of res), sigma 3; radius = the nearest of
200 points of the normalised cumulative sum of 1/r^sigma - 1/rmax^sigma over linspace(rmin, rmax,
200), times res, truncated to whole pixels (at least 1); integer centre uniform on the canvas;
colour int(U(0,1) * 255) per channel (0..254); 'mixed' picks one of the 6 shapes uniformly; each new
shape is painted ON TOP, and painting stops once no pixel is black (0,0,0) or after 5000 shapes.
Textured: every distinct colour of the final image gets a texture chosen uniformly (with replacement)
from a fixed set of full-size spectrum+colour+WMM images, pasted aligned (pixel y, x shows the
texture's pixel y, x) in its own channel order.
"""

from __future__ import annotations

import functools

import numpy as np

SHAPES = ("circle", "square", "oriented_square", "rectangle", "triangle", "quadrilater")  # official names
RMIN, RMAX, SIGMA, MAX_ITERS, N_TEXTURES = 0.03, 1.0, 3.0, 5000, 10_000


def radius_table(sigma: float = SIGMA, rmin: float = RMIN, rmax: float = RMAX, k: int = 200):
    """(r_list, r_dist) exactly as the official code builds them."""
    r_list = np.linspace(rmin, rmax, k)
    r_dist = 1.0 / r_list ** sigma
    if sigma > 0:
        r_dist = r_dist - 1 / rmax ** sigma  # "normalize so that the tail is 0"
    r_dist = np.cumsum(r_dist)
    return r_list, r_dist / r_dist.max()


# ---- what cv2.circle(img, c, r, color, thickness=-1) fills (OpenCV drawing.cpp, Circle) ----------
@functools.lru_cache(maxsize=None)
def circle_half_widths(radius: int) -> tuple[int, ...]:
    """half_width[t] of the filled midpoint circle on the row t px above / below the centre."""
    hw = [-1] * (radius + 1)
    err, dx, dy, plus, minus = 0, radius, 0, 1, 2 * radius - 1
    while dx >= dy:
        hw[dy] = max(hw[dy], dx)  # rows cy -+ dy: x from cx - dx to cx + dx
        hw[dx] = max(hw[dx], dy)  # rows cy -+ dx: x from cx - dy to cx + dy
        dy += 1
        err += plus
        plus += 2
        if err > 0:
            err -= minus
            dx -= 1
            minus -= 2
    return tuple(hw)


def circle_pixels(cx: int, cy: int, radius: int):
    """(xs, ys) of the filled circle, unclipped."""
    xs, ys = [], []
    for t, h in enumerate(circle_half_widths(radius)):
        for y in {cy - t, cy + t}:
            xs.extend(range(cx - h, cx + h + 1)); ys.extend([y] * (2 * h + 1))
    return np.array(xs, dtype=np.int64), np.array(ys, dtype=np.int64)


# ---- what cv2.fillPoly(img, [pts], color) fills (drawing.cpp: CollectPolyEdges, FillEdgeCollection) --
def clip_line(size: int, p1, p2):
    """cv::clipLine on a size x size canvas: endpoints moved onto the border (truncating), in place order."""
    (x1, y1), (x2, y2) = p1, p2
    right = bottom = size - 1
    c1 = (x1 < 0) + (x1 > right) * 2 + (y1 < 0) * 4 + (y1 > bottom) * 8
    c2 = (x2 < 0) + (x2 > right) * 2 + (y2 < 0) * 4 + (y2 > bottom) * 8
    if (c1 & c2) == 0 and (c1 | c2) != 0:
        if c1 & 12:
            a = 0 if c1 < 8 else bottom
            x1 += int((a - y1) * (x2 - x1) / (y2 - y1)); y1 = a
            c1 = (x1 < 0) + (x1 > right) * 2
        if c2 & 12:
            a = 0 if c2 < 8 else bottom
            x2 += int((a - y2) * (x2 - x1) / (y2 - y1)); y2 = a
            c2 = (x2 < 0) + (x2 > right) * 2
        if (c1 & c2) == 0 and (c1 | c2) != 0:
            if c1:
                a = 0 if c1 == 1 else right
                y1 += int((a - x1) * (y2 - y1) / (x2 - x1)); x1 = a; c1 = 0
            if c2:
                a = 0 if c2 == 1 else right
                y2 += int((a - x2) * (y2 - y1) / (x2 - x1)); x2 = a; c2 = 0
    return (x1, y1), (x2, y2), (c1 | c2) == 0


def _outside(size: int, *pts) -> bool:
    return any(not (0 <= v < size) for p in pts for v in p)


def line_pixels(p0, p1, size: int):
    """8-connected line p0-p1 on the canvas (cv::Line via cv::LineIterator: clipped first, then
    traced from its left end)."""
    if _outside(size, p0, p1):
        p0, p1, inside = clip_line(size, p0, p1)
        if not inside:
            return []
    (x0, y0), (x1, y1) = p0, p1
    if x1 < x0:
        (x0, y0), (x1, y1) = (x1, y1), (x0, y0)
    dx, dy = x1 - x0, abs(y1 - y0)
    sy = 1 if y1 >= y0 else -1
    x_major = dx >= dy
    big, small = (dx, dy) if x_major else (dy, dx)
    err = big - 2 * small
    x, y = x0, y0
    out = []
    for _ in range(big + 1):
        out.append((x, y))
        step_minor = err < 0
        err += -2 * small + (2 * big if step_minor else 0)
        if x_major:
            x += 1
            y += sy if step_minor else 0
        else:
            y += sy
            x += 1 if step_minor else 0
    return out


def polygon_pixels(pts, size: int):
    """(xs, ys) that fillPoly paints on a size x size canvas for integer vertices `pts`."""
    pix = set()
    edges = []
    for i in range(len(pts)):
        p0, p1 = pts[i - 1], pts[i]
        pix.update(line_pixels(p0, p1, size))  # every edge is also drawn as a line
        # the fill's edge runs through the line's clipped ends (x always, y unless clipped flat)
        c0, c1 = p0, p1
        if _outside(size, p0, p1):
            t0, t1, _ = clip_line(size, p0, p1)
            c0, c1 = (t0[0], p0[1]), (t1[0], p1[1])
            if t0[1] != t1[1]:
                c0, c1 = t0, t1
        if p0[1] == p1[1]:
            continue  # horizontal edges take no part in the scanline fill
        num = (c1[0] - c0[0]) << 16
        den = c1[1] - c0[1]
        step = abs(num) // abs(den) * (1 if (num >= 0) == (den > 0) else -1)  # C division: toward 0
        if p0[1] < p1[1]:
            edges.append((p0[1], p1[1], (c0[0] << 16) + (p0[1] - c0[1]) * step, step))
        else:
            edges.append((p1[1], p0[1], (c1[0] << 16) + (p1[1] - c1[1]) * step, step))
    if len(edges) >= 2:
        for y in range(max(min(e[0] for e in edges), 0), min(max(e[1] for e in edges), size)):
            xs = sorted(x + step * (y - y0) for y0, y1, x, step in edges if y0 <= y < y1)
            for a, b in zip(xs[0::2], xs[1::2]):  # spans between pairs of active edges
                lo, hi = max((a + 0xFFFF) >> 16, 0), min(b >> 16, size - 1)
                pix.update((x, y) for x in range(lo, hi + 1))
    if not pix:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    xs, ys = zip(*pix)
    return np.array(xs, dtype=np.int64), np.array(ys, dtype=np.int64)


def shape_pixels(shape: str, cx: int, cy: int, radius: int, rng: np.random.Generator, size: int):
    """The official shape geometry (draws its extra random numbers from rng in the official order)."""
    if shape == "circle":
        return circle_pixels(cx, cy, radius)
    if shape in ("square", "oriented_square"):
        side = radius * np.sqrt(2)  # the square inscribed in the circle of radius r
        corners = np.array(((-side / 2, -side / 2), (side / 2, -side / 2), (side / 2, side / 2),
                            (-side / 2, side / 2)), dtype="int32").astype(float)  # int32: truncated
        if shape == "oriented_square":
            theta = rng.uniform(0, 2 * np.pi)
            c, s = np.cos(theta), np.sin(theta)
            corners = (np.array(((c, -s), (s, c))) @ corners.T).T
    elif shape == "rectangle":
        a = rng.uniform(0, 0.5 * np.pi)  # one corner in the first quadrant, the others mirrored
        hx, hy = int(radius * np.cos(a)), int(radius * np.sin(a))
        corners = np.array(((hx, hy), (hx, -hy), (-hx, -hy), (-hx, hy)), dtype=float)
    else:  # three or four points at sorted random angles on the circle
        angles = sorted(rng.uniform(0, 2 * np.pi, 3 if shape == "triangle" else 4))
        corners = np.array([(radius * np.cos(a), radius * np.sin(a)) for a in angles])
    pts = (np.array((cx, cy)) + corners).astype(np.int32)  # np.array(corners, dtype='int32')
    return polygon_pixels([(int(x), int(y)) for x, y in pts], size)


def draw_shapes(index: int, seed: int, size: int, shape_mode: str = "mixed"):
    """The official painting loop. Returns (label map: number of the shape on top, per shape: its
    radius in px, its shape name, its colour)."""
    rng = np.random.default_rng([seed, index, 11])
    r_list, r_dist = radius_table()
    label = np.full((size, size), -1, dtype=np.int64)
    radii, shapes, colors = [], [], []
    for i in range(MAX_ITERS):
        shape = SHAPES[rng.integers(len(SHAPES))] if shape_mode == "mixed" else shape_mode
        color = tuple(int(k) for k in rng.uniform(0, 1, 3) * 255)
        r_p = rng.uniform(0, 1)
        r_i = np.argmin(np.abs(r_dist - r_p))  # the nearest grid point of the cumulative law
        radius = max(int(r_list[r_i] * size), 1)
        center_x, center_y = np.array(rng.uniform(0, size, size=2), dtype="int32")
        xs, ys = shape_pixels(shape, int(center_x), int(center_y), radius, rng, size)
        keep = (xs >= 0) & (xs < size) & (ys >= 0) & (ys < size)
        label[ys[keep], xs[keep]] = i  # painted on top of everything before it
        radii.append(radius); shapes.append(shape); colors.append(color)
        if (label >= 0).all():  # official: (img.sum(-1) == 0).sum() == 0, no black pixel left
            break
    return label, np.array(radii), shapes, np.array(colors, dtype=np.uint8)


def flat_image(label: np.ndarray, colors: np.ndarray) -> np.ndarray:
    img = np.zeros(label.shape + (3,), dtype=np.uint8)
    seen = label >= 0
    img[seen] = colors[label[seen]]
    return img.transpose(2, 0, 1).copy()


@functools.lru_cache(maxsize=4)
def _texture_model():
    from seebench_plugins.generators.noise.statistical import StatisticalNoise
    return StatisticalNoise("reference/dead-leaves-texture", color=True, use_wmm=True)


@functools.lru_cache(maxsize=20_000)
def texture(t: int, seed: int, size: int) -> np.ndarray:
    """Texture t of the fixed set: a full-size spectrum+colour+WMM image (3, size, size)."""
    return _texture_model().render(t, seed, size)


def textured_image(label: np.ndarray, colors: np.ndarray, seed: int, index: int,
                   n_textures: int = N_TEXTURES) -> np.ndarray:
    """Official texture step: one random texture per distinct colour of the flat image, aligned."""
    flat = flat_image(label, colors).astype(np.int64)
    rng = np.random.default_rng([seed, index, 12])
    different_colors = flat[0] * 256 ** 2 + flat[1] * 256 + flat[2]
    img = flat.copy()
    for color in np.unique(different_colors):
        t = int(rng.integers(n_textures))  # random.choice(list(textures.keys()))
        mask = different_colors == color
        img = img * (1 - mask) + texture(t, seed, label.shape[0]) * mask
    return np.clip(img, 0, 255).astype(np.uint8)


def _renderer(shape_mode: str, textured: bool = False):
    def render(index: int, seed: int, size: int) -> np.ndarray:
        label, _, _, colors = draw_shapes(index, seed, size, shape_mode)
        if textured:
            return textured_image(label, colors, seed, index)
        return flat_image(label, colors)
    return render


REFERENCES = {
    "dead-leaves-squares": _renderer("square"),
    "dead-leaves-oriented": _renderer("oriented_square"),
    "dead-leaves-shapes": _renderer("mixed"),
    "dead-leaves-textures": _renderer("mixed", textured=True),
}
