"""Turning full camera frames into benchmark images: resized whole frames or native-resolution crops."""

from __future__ import annotations

import hashlib

import numpy as np
from PIL import Image

MODES = ("resize", "crops")


def held_out_keys(keys: list[str], fraction: float, seed: int = 0) -> set[str]:
    """Deterministic held-out set from stable keys (files' relative paths, indices).

    Keys are ranked by a hash and the lowest round(fraction * n) are held out (at least one when
    fraction > 0 and there are two or more keys), so the split has the asked size even for a few
    photos, and adding photos to a folder moves at most a few existing ones between splits.
    """
    if fraction <= 0 or len(keys) < 2:
        return set()
    ranked = sorted(keys, key=lambda k: hashlib.sha256(f"{seed}:{k}".encode()).digest())
    count = min(len(keys) - 1, max(1, int(round(fraction * len(keys)))))
    return set(ranked[:count])


def resize_frame(frame: np.ndarray, size: int) -> np.ndarray:
    """uint8 (H, W, 3) -> (size, size, 3): centre square crop, then an antialiased downscale."""
    h, w, _ = frame.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    img = Image.fromarray(np.ascontiguousarray(frame[top:top + side, left:left + side]))
    if side != size:
        img = img.reduce(max(1, side // (2 * size))) if side >= 4 * size else img
        img = img.resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(img)


def crop_positions(width: int, height: int, size: int, positions: int) -> list[tuple[int, int]]:
    """Top-left corners (y, x) of `positions` crops (1, 4, 9, ...: an n x n grid) on the sensor.

    Corners are multiples of 16, so every crop starts on the same Bayer phase (RGGB at its
    top-left) and on the JPEG 8x8 / 16x16 MCU grid.
    """
    n = int(round(positions ** 0.5))
    if n * n != positions:
        raise ValueError(f"positions must be a square number (1, 4, 9, ...), got {positions}")
    if size > width or size > height:
        raise ValueError(f"crop size {size} is larger than the {width}x{height} frame; use a smaller size")
    corners = []
    for r in range(n):
        for c in range(n):
            cy = (r + 0.5) * height / n - size / 2
            cx = (c + 0.5) * width / n - size / 2
            y = int(np.clip(round(cy / 16) * 16, 0, (height - size) // 16 * 16))
            x = int(np.clip(round(cx / 16) * 16, 0, (width - size) // 16 * 16))
            corners.append((y, x))
    return corners


def take_crops(frame: np.ndarray, size: int, corners: list[tuple[int, int]]) -> list[np.ndarray]:
    """Native-resolution crops (no resampling) at fixed sensor positions."""
    return [np.ascontiguousarray(frame[y:y + size, x:x + size]) for y, x in corners]


def position_names(corners: list[tuple[int, int]]) -> list[str]:
    return [f"y{y}x{x}" for y, x in corners]
