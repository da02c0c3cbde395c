"""Procedural red-cup scenes: a shaded cup on cluttered, textured (1/f) backgrounds, like real photos."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy.ndimage import zoom


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Low-frequency noise in [-1, 1], (h, w): a coarse random grid upsampled smoothly."""
    gh, gw = max(2, cells * h // max(h, w)), max(2, cells)
    coarse = rng.uniform(-1, 1, size=(gh + 1, gw + 1)).astype(np.float32)
    return zoom(coarse, ((h / (gh + 1)), (w / (gw + 1))), order=3)[:h, :w]


def pink_noise(rng: np.random.Generator, h: int, w: int, slope: float = 1.0, stretch: float = 1.0) -> np.ndarray:
    """Zero-mean unit-std noise (h, w) with amplitude spectrum 1/f^slope (natural images: about 1),
    optionally anisotropic (stretch > 1: grain along x, like wood or fabric)."""
    fy = np.fft.fftfreq(h)[:, None].astype(np.float32)
    fx = np.fft.rfftfreq(w)[None, :].astype(np.float32)
    f = np.sqrt((fy * stretch) ** 2 + fx ** 2)
    f[0, 0] = 1.0
    amp = f ** np.float32(-slope)
    amp[0, 0] = 0.0
    spec = np.fft.rfft2(rng.standard_normal(size=(h, w), dtype=np.float32)) * amp
    out = np.fft.irfft2(spec, s=(h, w)).astype(np.float32)
    return out / (out.std() + 1e-8)


def _clutter(rng: np.random.Generator, yy: np.ndarray, xx: np.ndarray, img: np.ndarray, count: int) -> np.ndarray:
    """Other objects: rectangles and ellipses of random colour and shade (edges, as real rooms have)."""
    h, w = yy.shape
    for _ in range(count):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        ry, rx = rng.uniform(0.03, 0.25) * h, rng.uniform(0.03, 0.25) * w
        if rng.uniform() < 0.5:
            mask = (np.abs(yy - cy) < ry) & (np.abs(xx - cx) < rx)
        else:
            mask = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1
        colour = rng.uniform(0.05, 0.95, size=3).astype(np.float32)
        shade = 1.0 + 0.3 * rng.uniform(-1, 1) * (yy - cy) / max(ry, 1.0)
        img = np.where(mask[..., None], colour * np.clip(shade, 0.3, 1.5)[..., None], img)
    return img


def render_cup_scene(rng: np.random.Generator, width: int = 960, height: int = 720) -> np.ndarray:
    """Linear radiance (height, width, 3) float32 in [0, 1] of one red cup on a random background.

    Rendered at quarter resolution (scene content is smooth) and upsampled, plus full-resolution
    fine texture on the background so the denoiser sees realistic edges and texture.
    """
    h, w = height // 4, width // 4
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    # background: two-tone table/wall split with a colour gradient and blotchy texture
    wall = rng.uniform(0.15, 0.85, size=3).astype(np.float32)
    table = rng.uniform(0.1, 0.8, size=3).astype(np.float32)
    horizon = rng.uniform(0.45, 0.8) * h
    tilt = rng.uniform(-0.15, 0.15)
    is_table = (yy - horizon - tilt * (xx - w / 2)) > 0
    bg = np.where(is_table[..., None], table, wall)
    grad = 1.0 + 0.35 * rng.uniform(-1, 1) * (xx / w - 0.5) + 0.25 * rng.uniform(-1, 1) * (yy / h - 0.5)
    bg = bg * grad[..., None] * (1.0 + 0.15 * _smooth_noise(rng, h, w, 6))[..., None]
    bg = _clutter(rng, yy, xx, bg, int(rng.integers(3, 9)))
    # the cup: a cylinder seen slightly from above
    cx = rng.uniform(0.3, 0.7) * w
    base_y = min(h - 4, horizon + rng.uniform(0.1, 0.3) * h)
    cw = rng.uniform(0.12, 0.22) * w
    ch = cw * rng.uniform(1.0, 1.4)
    top_y = base_y - ch
    ell = 0.25 * cw
    u = (xx - cx) / cw  # -1..1 across the cup
    body = (np.abs(u) <= 1) & (yy >= top_y) & (yy <= base_y + ell * np.sqrt(np.clip(1 - u ** 2, 0, 1)))
    rim = ((xx - cx) / cw) ** 2 + ((yy - top_y) / ell) ** 2 <= 1
    inner = ((xx - cx) / (0.9 * cw)) ** 2 + ((yy - top_y) / (0.8 * ell)) ** 2 <= 1
    hx = cx + rng.choice([-1, 1]) * 1.15 * cw
    hy = top_y + 0.45 * ch
    hr = np.sqrt(((xx - hx) / (0.35 * cw)) ** 2 + ((yy - hy) / (0.3 * ch)) ** 2)
    handle = (hr <= 1.0) & (hr >= 0.62) & (np.abs(xx - cx) > cw * 0.95)
    red = np.array([rng.uniform(0.6, 0.9), rng.uniform(0.02, 0.08), rng.uniform(0.03, 0.1)], dtype=np.float32)
    light_dir = rng.uniform(-0.6, 0.6)
    shade = np.clip(np.sqrt(np.clip(1 - u ** 2, 0, 1)) * (1 + light_dir * u) * 0.85 + 0.15, 0, 1.4)
    highlight = np.exp(-((u - (light_dir * 0.6 - 0.3)) / 0.07) ** 2) * rng.uniform(0.3, 0.8)
    cup = red * shade[..., None] + highlight[..., None]
    img = bg
    # shadow on the table
    sh = np.exp(-(((xx - cx - light_dir * -cw) / (1.3 * cw)) ** 2 + ((yy - base_y) / (0.6 * ell + 2)) ** 2))
    img = img * (1 - 0.5 * sh)[..., None]
    img = np.where(handle[..., None], red * 0.7, img)
    img = np.where(body[..., None], cup, img)
    img = np.where(rim[..., None], red * 0.95 + 0.05, img)
    img = np.where(inner[..., None], red * 0.35, img)
    # lighting: overall exposure and colour temperature
    exposure = rng.uniform(0.35, 0.95)
    tint = np.array([1 + rng.uniform(-0.15, 0.15), 1.0, 1 + rng.uniform(-0.15, 0.15)], dtype=np.float32)
    img = np.clip(img * exposure * tint, 0, 1).astype(np.float32)
    t = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))[None]
    full = F.interpolate(t, size=(height, width), mode="bilinear", align_corners=False)[0].permute(1, 2, 0).numpy()
    # full-resolution texture with a natural 1/f spectrum: the fine detail of real surfaces, which a
    # denoiser cannot tell from sensor noise (it is what makes real photos' fingerprints hard to see)
    texture = pink_noise(rng, height, width, slope=rng.uniform(0.8, 1.2), stretch=rng.uniform(1.0, 4.0))
    contrast = np.float32(rng.uniform(0.08, 0.25))
    grain = rng.standard_normal(size=(height, width), dtype=np.float32) * np.float32(rng.uniform(0.0, 0.03))
    full = full * (1.0 + contrast * texture + grain)[..., None]
    return np.clip(full, 0.0, 1.0)
